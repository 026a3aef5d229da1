"""The ``educhain`` command line: a thin layer over the library.

One module per command group; each registers itself on :data:`main` below.  Errors the user
can fix exit with status 2 and a one-line message: click's ``UsageError``/``BadParameter`` for
options, :class:`edu_chain.cli.errors.CliError` for everything else (which carries its exit
status: 1 when the work itself failed); unexpected failures keep their traceback.
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
      educhain demo                          # a guided tour that ends by itself
      educhain exercises list                # the curriculum; then: exercises start ID
      educhain testnet up --nodes 3 --mine   # a classroom testnet; prints the explorer URL
      educhain grade SUBMISSIONS --out OUT   # grade a whole class
      educhain --version
    """


def _register() -> None:
    """Attach the command groups to :data:`main` (one module each, imported once ``main``
    exists; click lists them alphabetically in ``--help``)."""
    from edu_chain.cli.bench import bench
    from edu_chain.cli.certificates import certificates
    from edu_chain.cli.check import check
    from edu_chain.cli.classroom import classroom
    from edu_chain.cli.demo import demo
    from edu_chain.cli.exercises import exercises
    from edu_chain.cli.grade import grade
    from edu_chain.cli.mine import mine
    from edu_chain.cli.node import node
    from edu_chain.cli.scholarship import scholarship
    from edu_chain.cli.testnet import testnet
    from edu_chain.cli.tx import tx
    from edu_chain.cli.wallet import wallet
    from edu_chain.cli.wallet_psbt import multisig, psbt

    wallet.add_command(multisig)
    wallet.add_command(psbt)
    commands = (
        bench,
        certificates,
        check,
        classroom,
        demo,
        exercises,
        grade,
        mine,
        node,
        scholarship,
        testnet,
        tx,
        wallet,
    )
    for command in commands:
        main.add_command(command)


_register()
