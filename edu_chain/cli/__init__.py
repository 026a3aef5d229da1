"""The ``educhain`` command line: a thin layer over the library.

One module per command group; each registers itself on :data:`main` below.  Errors the user
can fix exit with status 2 and a one-line message (click's ``UsageError``/``BadParameter``);
unexpected failures keep their traceback.
"""

from __future__ import annotations

import click

from edu_chain import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="educhain")
def main() -> None:
    """edu_chain: learn blockchains by building, mining, breaking and grading one.

    \b
    Examples:
      educhain demo                      # a guided tour that ends by itself
      educhain --version
    """


def _register() -> None:
    from edu_chain.cli import demo

    main.add_command(demo.demo)
    from edu_chain.cli.check import check
    from edu_chain.cli.grade import grade

    main.add_command(grade)
    main.add_command(check)
    from edu_chain.cli.exercises import exercises

    main.add_command(exercises)
    from edu_chain.cli.mine import mine

    main.add_command(mine)
    from edu_chain.cli.bench import bench

    main.add_command(bench)
    from edu_chain.cli.wallet import wallet

    main.add_command(wallet)
    from edu_chain.cli.node import node

    main.add_command(node)
    from edu_chain.cli.testnet import testnet

    main.add_command(testnet)


_register()
