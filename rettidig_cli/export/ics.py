"""Status meetings and agreement deadlines as a calendar file (ICS) for Outlook and phones.

Calendars sync to the cloud, so a title carries the case code and the kind of event only, and
the description never holds the child's or the parents' names. Each event has a stable UID:
importing a newer file updates the events instead of adding them twice."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard

from rettidig_cli.domain import privacy
from rettidig_cli.views.model import Agreement, Meeting, cleaned
from rettidig_cli.domain.vocabulary import OPEN_AGREEMENT, MeetingState

TIMEZONE = "Europe/Copenhagen"


def _copenhagen() -> Timezone:
    """Denmark's time zone written with the EU rule (last Sunday of March and October), the
    compact form Outlook expects; the library's own form lists every change until 2038."""
    zone = Timezone()
    zone.add("tzid", TIMEZONE)
    for part, name, start, before, after, month in (
        (TimezoneDaylight(), "CEST", dt.datetime(1996, 3, 31, 2), 1, 2, 3),
        (TimezoneStandard(), "CET", dt.datetime(1996, 10, 27, 3), 2, 1, 10),
    ):
        part.add("tzname", name)
        part.add("dtstart", start)
        part.add("tzoffsetfrom", dt.timedelta(hours=before))
        part.add("tzoffsetto", dt.timedelta(hours=after))
        part.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1su"})
        zone.add_component(part)
    return zone


def _span(event: Event, start, length: dt.timedelta) -> None:
    """DTSTART and DTEND; DURATION instead of DTEND when the end would lie past the calendar's last
    day (a date written by hand or by an older version, like 31-12-9999), so the export still works."""
    event.add("dtstart", start)
    try:
        event.add("dtend", start + length)
    except OverflowError:
        event.add("duration", length)


def _uid(code: str, kind: str, number: int) -> str:
    return f"{code}-{kind}-{number}@rettidig"


def meeting_title(code: str, m: Meeting) -> str:
    return f"{code} · {m.kind} nr. {m.nr}" if m.status_meeting else f"{code} · {m.kind}"


def calendar(code: str, meetings: list[Meeting], agreements: list[Agreement], redactor, minutes: int,
             reminder_hours: int, stamp: dt.datetime) -> bytes:
    # The output boundary for a calendar file: every text from the case cleaned before icalendar
    # folds and escapes it (icalendar escapes commas and line breaks, not escapes or bidi marks).
    code, meetings, agreements = (privacy.printable(code), cleaned(meetings, privacy.printable),
                                  cleaned(agreements, privacy.printable))
    tz = ZoneInfo(TIMEZONE)
    cal = Calendar()
    cal.add("prodid", "-//rettidig//rettidig//DA")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"rettidig {code}")
    cal.add("x-wr-timezone", TIMEZONE)
    cal.add_component(_copenhagen())
    text = lambda value: privacy.printable(redactor.text(value))  # noqa: E731

    for m in meetings:
        event = Event()
        title = meeting_title(code, m)
        event.add("uid", _uid(code, "moede", m.nr))
        event.add("dtstamp", stamp)
        event.add("summary", title)
        day = dt.date.fromisoformat(m.held_on or m.day)
        if m.time:
            hour, minute = (int(x) for x in m.time.split(":"))
            _span(event, dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz), dt.timedelta(minutes=minutes))
        else:
            _span(event, day, dt.timedelta(days=1))
        people = m.people()
        lines = [f"Deltagere: {', '.join(text(p) for p in people)}" if people else "",
                 f"Aflyst: {text(m.cancel_reason)}" if m.cancel_reason else "",
                 f"Se planen: rettidig plan {code}"]
        event.add("description", "\n".join(line for line in lines if line))
        event.add("categories", ["rettidig"])
        cancelled = m.status == MeetingState.CANCELLED
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        # Each move or cancellation raises the sequence, so calendars take the newest version.
        event.add("sequence", m.changes)
        if m.status == MeetingState.PLANNED and reminder_hours:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", title)
            alarm.add("trigger", dt.timedelta(hours=-reminder_hours))
            event.add_component(alarm)
        cal.add_component(event)

    for a in agreements:
        if not a.due:
            continue
        event = Event()
        due = dt.date.fromisoformat(a.due)
        event.add("uid", _uid(code, "aftale", a.nr))
        event.add("dtstamp", stamp)
        event.add("summary", f"{code} · Frist for aftale nr. {a.nr}")
        _span(event, due, dt.timedelta(days=1))
        event.add("description", f"{text(a.what)}\nHvem: {text(a.who)}\nStatus: {a.status}\n"
                                 f"Se planen: rettidig plan {code}")
        event.add("transp", "TRANSPARENT")  # a deadline does not block the day
        event.add("categories", ["rettidig"])
        done = a.status not in OPEN_AGREEMENT
        event.add("status", "CANCELLED" if done else "CONFIRMED")
        event.add("sequence", 1 if done else 0)
        cal.add_component(event)
    return cal.to_ical()
