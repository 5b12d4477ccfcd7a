"""One error hierarchy. Each error carries a Danish message for the user and its exit code;
cli.main() is the only place that prints them."""


class RettidigError(Exception):
    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(RettidigError):
    """Bad input from the user: a value, a flag, an answers file."""

    exit_code = 2


class GuideError(RettidigError):
    """A guide file that cannot be read or does not follow the format."""

    exit_code = 3


class StoreError(RettidigError):
    """The data file cannot be opened, is not ours, or is locked."""

    exit_code = 4


class LockedError(StoreError):
    """Another window held the data file's write lock for longer than we wait; nothing was saved.
    EX_TEMPFAIL, so a script knows that trying again later may work."""

    exit_code = 75


class NotFoundError(RettidigError):
    exit_code = 5


class CaseChangedError(NotFoundError):
    """The case a command read before asking was erased, closed or reopened in another window
    before the answer could be saved; nothing was saved (not in any other case either)."""


class NoTerminalError(RettidigError):
    """An interactive command was started without a terminal to ask in."""

    exit_code = 6


class Interrupted(RettidigError):
    """The user pressed Ctrl-C; everything answered so far is already saved."""

    exit_code = 130
