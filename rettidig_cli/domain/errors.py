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


class DiskError(RettidigError):
    """The disk refused a write or a read (full, failing, read-only, a name too long). EX_IOERR.
    Every step is written whole or not at all, so what was saved before is still there."""

    exit_code = 74


def os_reason(exc: OSError) -> str:
    """Why the operating system said no, in Danish words."""
    import errno

    reasons = {
        errno.ENOSPC: "der er ikke mere plads på disken",
        errno.EDQUOT: "din plads på disken er brugt op",
        errno.EIO: "disken svarede med en fejl",
        errno.EROFS: "disken er skrivebeskyttet",
        errno.EACCES: "du har ikke lov til det",
        errno.EPERM: "du har ikke lov til det",
        errno.ENAMETOOLONG: "filnavnet er for langt",
        errno.ENOENT: "filen eller mappen findes ikke",
        errno.EISDIR: "det er en mappe",
        errno.ENOTDIR: "en del af stien er ikke en mappe",
        errno.EEXIST: "filen findes allerede",
    }
    return reasons.get(exc.errno, f"fejl fra styresystemet: {exc.strerror or exc.__class__.__name__}")


def disk_error(exc: OSError, what: str = "") -> DiskError:
    """A Danish message for an error from the operating system; never the path's content."""
    import errno

    hint = "Skaf plads på disken, og prøv igen." if exc.errno in (errno.ENOSPC, errno.EDQUOT) else \
        "Kør: rettidig doctor – og tal med den, der hjælper dig med IT, hvis fejlen kommer igen."
    return DiskError(f"{what or 'Det kunne ikke gøres færdigt'}: {os_reason(exc)}. Det, der allerede er gemt, er "
                     "ikke tabt.", hint=hint)


class CaseUnreadableError(StoreError):
    """The data file holds a value in this case that no plan or timeline can be built from (a date
    that is not a date, written by hand or by an older version). The message names the case code
    only. Exit code 4, as StoreError; `reason` is the why, without the code."""

    def __init__(self, message: str, hint: str | None = None, reason: str = ""):
        super().__init__(message, hint)
        self.reason = reason or message

    @classmethod
    def of(cls, code: str, exc: BaseException) -> "CaseUnreadableError":
        reason = (f"Datafilen har en værdi i sagen, som rettidig ikke kan læse ({exc.__class__.__name__}), "
                  "fx en dato eller et tal skrevet i hånden.")
        return cls(f"Sag {code} kan ikke vises. {reason}", reason=reason,
                   hint="Intet er ændret. Kør: rettidig doctor, og kontakt den, der har installeret rettidig.")


# What reading a hand-written or damaged stored value can raise while a plan or timeline is built.
UNREADABLE_VALUE = (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError, RecursionError)


class CaseGuideError(GuideError):
    """The guide snapshot a case was opened with is beyond this version's limits (data/limits.toml).
    Exit code 3, as GuideError; `reason` is the why, without the code."""

    def __init__(self, message: str, hint: str | None = None, reason: str = ""):
        super().__init__(message, hint)
        self.reason = reason or message
