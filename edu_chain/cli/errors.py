"""The one error type of the command line: a message for the user and the exit status.

``CliError("...")`` is a problem the user can fix (a wrong folder, no node at that URL, a busy
port): click prints ``Error: ...`` on one line, no traceback, and exits with status 2, the
status of click's own usage errors.  ``CliError("...", exit_code=1)`` is for a command that
was used correctly but whose work failed (the demo when a node does not do what a step says).
"""

from __future__ import annotations

import click

USAGE_EXIT_CODE = 2


class CliError(click.ClickException):
    """One line for the user and the exit status; 2 (a usage or environment problem) by default.

    >>> CliError("no node answered at http://127.0.0.1:8332").exit_code
    2
    """

    def __init__(self, message: str, *, exit_code: int = USAGE_EXIT_CODE) -> None:
        super().__init__(message)
        self.exit_code = exit_code
