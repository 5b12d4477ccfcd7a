"""Validation of single answer fields, shared by the interactive prompts and --answers files,
so both paths accept and refuse exactly the same input."""

from __future__ import annotations

import datetime as dt

from rettidig_cli.domain import dates
from rettidig_cli.domain.privacy import CPR_MESSAGE, check_text, contains_cpr

NAME_MAX = 60
SHORT_MAX = 200
TEXT_MAX = 4000


def text(value, label: str, required: bool = True, max_length: int = TEXT_MAX) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValueError(f"{label} skal være en tekst.")
    return check_text(value, required=required, max_length=max_length, label=label)


def date(value, label: str, required: bool = True, ahead: bool = False) -> dt.date | None:
    """A date from the user or an answers file, within the plausible range (data/limits.toml);
    `ahead`: a field that looks ahead reads "fredag" as the coming Friday (dates.parse_date)."""
    if value in (None, "") and not required:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = value  # TOML files may hold real dates
    elif not isinstance(value, str):
        raise ValueError(f"{label} skal være en dato, fx {dates.DATE_EXAMPLE}.")
    elif contains_cpr(value):
        raise ValueError(CPR_MESSAGE)  # and never echo the number back
    else:
        try:
            day = dates.parse_date(value, ahead)
        except ValueError as exc:
            raise ValueError(f"{label}: {exc}") from None
    try:
        return dates.check_plausible(day)
    except ValueError as exc:
        raise ValueError(f"{label}: {exc}") from None


def time(value, label: str) -> dt.time:
    if isinstance(value, dt.time):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{label} skal være et klokkeslæt, fx 14:00.")
    if contains_cpr(value):
        raise ValueError(CPR_MESSAGE)  # parse_time's message would echo the number back
    return dates.parse_time(value)


def whole_number(value, label: str, low: int, high: int) -> int:
    # isdecimal, not isdigit (which takes "²", that int() refuses in English), and no int() of a
    # long digit string: slow, and refused in English past 4300 digits. Too long is out of range.
    if isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) <= max(20, len(str(high))):
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{label} skal være et helt tal fra {low} til {high}.")
    return value


def choice(value, label: str, options: list[str]) -> str:
    """One of the options, matched without regard to case; a clear list if not."""
    if isinstance(value, str):
        wanted = value.strip().casefold()
        for option in options:
            if option.casefold() == wanted:
                return option
    raise ValueError(f"{label} skal være en af: {', '.join(options)}.")


def yes_no(value, label: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("ja", "j", "yes", "true"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("nej", "n", "no", "false"):
        return False
    raise ValueError(f"{label} skal være ja eller nej.")


def names(value, label: str) -> list[str]:
    """A list of people, typed as 'a, b, c' or given as a list."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [part for part in value.split(",")]
    if not isinstance(value, list):
        raise ValueError(f"{label} skal være en liste af navne, adskilt med komma.")
    cleaned = [text(part, label, required=False, max_length=SHORT_MAX) for part in value]
    return [part for part in cleaned if part]


def validator(parse):
    """Turn a field parser into a questionary validator (True or a Danish error message)."""

    def check(raw: str):
        try:
            parse(raw)
        except ValueError as exc:
            return str(exc)
        return True

    return check
