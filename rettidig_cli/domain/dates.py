"""Danish dates: parsing what practitioners type, formatting as they read it, and proposing
status-meeting dates on working days that are not Danish public holidays."""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
MONTHS = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)
DATE_EXAMPLE = "3-3-2026, 3/3, 14. dec., fredag, næste fredag, i morgen eller om 2 uger"

_DANISH = re.compile(r"^\s*(\d{1,2})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{2}|\d{4})\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
# As rettidig prints dates: "mandag 14. december 2026", "14. dec. 2026". The year is required:
# "3. marts" typed in November could mean either March.
_LONG = re.compile(r"^\s*(?:[a-zæøå]+\.?\s+)?(\d{1,2})\.?\s*([a-zæøå]{3,})\.?\s*(\d{4})\s*$")
_TIME = re.compile(r"^\s*(\d{1,2})(?:[:.](\d{2}))?\s*$")
_RELATIVE = {"i dag": 0, "idag": 0, "i morgen": 1, "imorgen": 1, "i går": -1, "igår": -1, "i overmorgen": 2,
             "overmorgen": 2, "i forgårs": -2, "forgårs": -2}
# Without a year: the nearest such day (typed in December, "3/3" is March next year, "1.12" this month).
_DAY_MONTH = re.compile(r"^\s*(\d{1,2})\s*[-./]\s*(\d{1,2})\s*\.?\s*$")
_DAY_MONTH_NAME = re.compile(r"^\s*(?:[a-zæøå]+\.?\s+)?(\d{1,2})\.?\s*([a-zæøå]{3,})\.?\s*$")
_WEEKDAY = re.compile(r"^\s*(næste|sidste|på|i)?\s*(mandag|tirsdag|onsdag|torsdag|fredag|lørdag|søndag)s?\s*$")
_COUNT = {"en": 1, "et": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5, "seks": 6}
_IN = re.compile(r"^\s*(om|for)\s+(\d{1,3}|en|et|to|tre|fire|fem|seks)\s+(dag|dage|uge|uger|måned|måneder)"
                 r"(\s+siden)?\s*$")


def today() -> dt.date:
    return dt.date.today()


def moment() -> dt.datetime:
    """Now, to the minute: which of today's meetings are still to come."""
    return dt.datetime.now().replace(second=0, microsecond=0)


def parse_date(text: str, ahead: bool = False) -> dt.date:
    """Read a date typed in a Danish form; raise ValueError with a Danish message otherwise. A date
    without its year or week ("fredag", "14 dec") is the nearest one; for a field that looks ahead
    (a deadline, a meeting to plan: `ahead`) the coming one."""
    raw = " ".join((text or "").lower().split())
    if raw in _RELATIVE:
        return today() + dt.timedelta(days=_RELATIVE[raw])
    spoken = _spoken(raw, ahead)
    if spoken is not None:
        return spoken
    match = _ISO.match(raw)
    if match:
        year, month, day = (int(g) for g in match.groups())
    elif _DANISH.match(raw):
        match = _DANISH.match(raw)
        day, month, year = (int(g) for g in match.groups())
        if len(match.group(3)) == 2:  # "3-3-26"; a four-digit year is taken as typed
            year += 2000
    elif _LONG.match(raw) and _month(_LONG.match(raw).group(2)):
        match = _LONG.match(raw)
        day, month, year = int(match.group(1)), _month(match.group(2)), int(match.group(3))
    else:
        raise ValueError(f"«{text}» er ikke en dato, jeg kan læse. Skriv fx {DATE_EXAMPLE}.")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"«{text}» findes ikke i kalenderen. Skriv fx {DATE_EXAMPLE}.") from None


def _spoken(raw: str, ahead_only: bool = False) -> dt.date | None:
    """A date as people say it: "3/3", "14 dec", "fredag", "næste fredag", "om 2 uger", "for en uge
    siden"; None if the text is not one of these forms (a full date is read by parse_date)."""
    now = today()
    match = _WEEKDAY.match(raw)
    if match:
        which, wanted = match.group(1), WEEKDAYS.index(match.group(2))
        ahead = (wanted - now.weekday()) % 7
        if which == "næste":
            return now + dt.timedelta(days=ahead or 7)
        if which in ("sidste", "i"):  # "sidste fredag", "i fredags"
            return now - dt.timedelta(days=(7 - ahead) % 7 or 7)
        if which == "på":
            return now + dt.timedelta(days=ahead)
        back = (7 - ahead) % 7
        if ahead_only or ahead <= back:
            return now + dt.timedelta(days=ahead)
        return now - dt.timedelta(days=back)
    match = _IN.match(raw)
    if match:
        direction, amount, unit, ago = match.groups()
        if (direction == "for") != bool(ago):
            return None
        count = _COUNT.get(amount) or int(amount)
        sign = -1 if ago else 1
        if unit.startswith("måned"):
            return add_months(now, sign * count)
        return now + dt.timedelta(days=sign * count * (7 if unit.startswith("uge") else 1))
    match = _DAY_MONTH.match(raw)
    if match:
        return _nearest(int(match.group(1)), int(match.group(2)), raw, ahead_only)
    match = _DAY_MONTH_NAME.match(raw)
    if match and _month(match.group(2)):
        return _nearest(int(match.group(1)), _month(match.group(2)), raw, ahead_only)
    return None


def _nearest(day: int, month: int, raw: str, ahead_only: bool = False) -> dt.date:
    """The day and month in the year that puts it nearest to today (a tie: the coming one); with
    ahead_only, the first from today on."""
    now = today()
    found = []
    for year in (now.year - 1, now.year, now.year + 1):
        try:
            found.append(dt.date(year, month, day))
        except ValueError:
            continue
    if not found:
        raise ValueError(f"«{raw}» findes ikke i kalenderen. Skriv fx {DATE_EXAMPLE}.")
    coming = [d for d in found if d >= now]
    if ahead_only and coming:
        return min(coming)
    return min(found, key=lambda d: (abs((d - now).days), d < now))


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later (1 Feb → 1 Mar; 31 Jan → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    import calendar

    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def written_in_full(text: str) -> bool:
    """Whether a typed date names its year (3-3-2026): else the date understood is said back."""
    raw = " ".join((text or "").lower().split())
    return bool(_ISO.match(raw) or _DANISH.match(raw) or _LONG.match(raw))


def said_back(text: str, day: dt.date) -> str | None:
    """The date understood from a typed one, said back ("fredag = fredag 11. december 2026"); None
    for a date that names its year (3-3-2026: nothing to say back)."""
    return None if written_in_full(text) else f"{text.strip()} = {format_date(day)}"


def far_away(day: dt.date) -> str | None:
    """A warning for a date more than a year from today: most often a typo in the year."""
    if abs((day - today()).days) > 366:
        return f"Bemærk: {format_date(day)} ligger mere end et år fra i dag."
    return None


def plausible_range() -> tuple[dt.date, dt.date]:
    """The first and last date rettidig takes from a user (data/limits.toml): from 1 January of
    the earliest year to 31 December a number of years ahead of today."""
    from rettidig_cli.guide.reference import limits

    rules = limits()
    return dt.date(rules.earliest_year, 1, 1), dt.date(today().year + rules.years_ahead, 12, 31)


def check_plausible(day: dt.date) -> dt.date:
    """The day if it lies in the plausible range; a Danish ValueError if not (31-12-9999 is a typo,
    and a date near the calendar's end breaks every calculation with it)."""
    first, last = plausible_range()
    if not first <= day <= last:
        raise ValueError(f"{format_short(day)} ligger uden for det mulige. Skriv en dato mellem "
                         f"{format_short(first)} og {format_short(last)}.")
    return day


def add_days(day: dt.date, days: int) -> dt.date | None:
    """day + days, or None if that lies beyond the calendar (year 1 to 9999)."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return None


def _month(word: str) -> int | None:
    """1-12 for a Danish month name or its first three or more letters ("dec", "sept")."""
    for number, name in enumerate(MONTHS, start=1):
        if name.startswith(word):
            return number
    return None


def parse_time(text: str) -> dt.time:
    match = _TIME.match(text or "")
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if hour < 24 and minute < 60:
            return dt.time(hour, minute)
    raise ValueError(f"«{text}» er ikke et klokkeslæt. Skriv fx 14:00 eller 8.30.")


def format_date(day: dt.date | None) -> str:
    """'tirsdag 3. marts 2026'"""
    if day is None:
        return ""
    return f"{WEEKDAYS[day.weekday()]} {day.day}. {MONTHS[day.month - 1]} {day.year}"


def clock(hhmm: str | None) -> str:
    """A stored time (14:00) as it is said: "kl. 14.00"; nothing without a time."""
    return f"kl. {hhmm.replace(':', '.')}" if hhmm else ""


def format_short(day: dt.date | None) -> str:
    """'3. mar. 2026' for table cells."""
    if day is None:
        return ""
    month = MONTHS[day.month - 1]
    month = month if len(month) <= 4 else month[:3] + "."
    return f"{day.day}. {month} {day.year}"


def format_compact(day: dt.date | None) -> str:
    """'tir. 3. mar. 2026' for narrow columns where the weekday still matters."""
    if day is None:
        return ""
    return f"{WEEKDAYS[day.weekday()][:3]}. {format_short(day)}"


def from_iso(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def format_iso(value: str | None, short: bool = False) -> str:
    """A stored ISO date (or timestamp) in Danish: long 'tirsdag 3. marts 2026' or short '3. mar. 2026'.
    A stored value that is not a date (written by hand into the file) is shown as it is."""
    if not value:
        return ""
    try:
        day = dt.date.fromisoformat(value[:10])
    except (TypeError, ValueError):
        return str(value)
    return format_short(day) if short else format_date(day)


def days_closed(years: range, include_optional: bool) -> dict[dt.date, str]:
    """Public holidays (and, if the guide asks, the customary closing days) with Danish names."""
    import holidays  # slow import; only needed when scheduling

    closed = dict(holidays.Denmark(years=years, language="da"))
    if include_optional:
        closed.update(holidays.Denmark(years=years, categories=("optional",), language="da"))
    return closed


class ProposedDate(NamedTuple):
    day: dt.date
    moved_from: dt.date | None = None
    reason: str = ""


def next_working_day(day: dt.date, closed: dict[dt.date, str]) -> ProposedDate:
    """The day itself if it is a working day, else the first working day after it."""
    moved = day
    while moved.weekday() >= 5 or moved in closed:
        if moved == dt.date.max:  # the calendar's last day: nothing after it to move to
            return ProposedDate(day)
        moved += dt.timedelta(days=1)
    if moved == day:
        return ProposedDate(day)
    reason = closed.get(day) or ("weekend" if day.weekday() >= 5 else "")
    return ProposedDate(moved, moved_from=day, reason=reason)


def working_day_after_weeks(start: dt.date, weeks: int, include_optional: bool = True) -> dt.date:
    """The first meeting suggested `weeks` after `start`, on a working day: the rhythm then counts
    from a working day, and not every meeting is moved off a Sunday."""
    day = add_days(start, 7 * weeks) or dt.date.max
    return next_working_day(day, days_closed(range(day.year, min(dt.MAXYEAR, day.year + 1) + 1), include_optional)).day


def propose_meetings(
    first: dt.date, every_weeks: int, count: int, include_optional: bool = True
) -> list[ProposedDate]:
    """Status-meeting dates on a fixed rhythm. The rhythm counts from the nominal dates, so one
    meeting moved off a holiday does not push all the later ones."""
    if every_weeks < 1 or count < 1:
        raise ValueError("Rytme og antal skal være mindst 1.")
    last_year = min(dt.MAXYEAR, first.year + 1 + (every_weeks * count) // 52)
    closed = days_closed(range(first.year, last_year + 1), include_optional)
    return [
        next_working_day(add_days(first, 7 * every_weeks * i) or dt.date.max, closed) for i in range(count)
    ]


def check_meeting_day(day: dt.date, include_optional: bool = True) -> str | None:
    """A Danish reason why a meeting cannot be on this day, or None if it can."""
    if day.weekday() >= 5:
        return f"{format_date(day)} er en {WEEKDAYS[day.weekday()]}. Vælg en hverdag."
    name = days_closed(range(day.year, day.year + 1), include_optional).get(day)
    if name:
        return f"{format_date(day)} er {name}. Vælg en anden dag."
    return None
