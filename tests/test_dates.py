import datetime as dt

import pytest

from rettidig_cli.domain import dates


@pytest.mark.parametrize("text, expected", [
    ("3-3-2026", dt.date(2026, 3, 3)),
    ("03.03.2026", dt.date(2026, 3, 3)),
    ("3/3-2026", dt.date(2026, 3, 3)),
    ("2026-03-03", dt.date(2026, 3, 3)),
    (" 31.12.26 ", dt.date(2026, 12, 31)),
])
def test_danish_date_forms_are_read(text, expected):
    assert dates.parse_date(text) == expected


def test_relative_words(monkeypatch):
    monkeypatch.setattr(dates, "today", lambda: dt.date(2026, 5, 1))
    assert dates.parse_date("i dag") == dt.date(2026, 5, 1)
    assert dates.parse_date("i morgen") == dt.date(2026, 5, 2)


@pytest.mark.parametrize("text", ["31-2-2026", "31/2", "", "2026/13/01", "i overovermorgen", "12345", "om to år",
                                  "for 2 uger", "næste fredagsbar"])
def test_bad_dates_give_danish_message_with_example(text):
    with pytest.raises(ValueError) as err:
        dates.parse_date(text)
    assert "fx 3-3-2026" in str(err.value)


def test_format_in_danish():
    assert dates.format_date(dt.date(2026, 3, 3)) == "tirsdag 3. marts 2026"
    assert dates.format_short(dt.date(2026, 12, 14)) == "14. dec. 2026"
    assert dates.format_short(dt.date(2026, 5, 14)) == "14. maj 2026"


def test_time_parsing():
    assert dates.parse_time("14:00") == dt.time(14, 0)
    assert dates.parse_time("8.30") == dt.time(8, 30)
    with pytest.raises(ValueError):
        dates.parse_time("25:00")


def test_meetings_skip_kristi_himmelfartsdag_and_keep_rhythm():
    # 2026-05-14 is Kristi himmelfartsdag (a Thursday): that meeting moves to Friday,
    # but the next one stays on the rhythm from the original Thursday.
    proposed = dates.propose_meetings(dt.date(2026, 4, 30), every_weeks=2, count=3)
    assert [p.day for p in proposed] == [dt.date(2026, 4, 30), dt.date(2026, 5, 15), dt.date(2026, 5, 28)]
    assert proposed[1].moved_from == dt.date(2026, 5, 14)
    assert proposed[1].reason == "Kristi himmelfartsdag"


def test_meetings_skip_2_paaskedag_and_weekends():
    # 2026-04-06 is 2. påskedag (Monday); 2026-04-11 is a Saturday.
    proposed = dates.propose_meetings(dt.date(2026, 3, 30), every_weeks=1, count=2)
    assert proposed[1].day == dt.date(2026, 4, 7)
    assert proposed[1].reason == "Anden påskedag"
    weekend = dates.propose_meetings(dt.date(2026, 4, 11), every_weeks=4, count=1)
    assert weekend[0].day == dt.date(2026, 4, 13) and weekend[0].reason == "weekend"


def test_every_proposed_meeting_is_a_working_day():
    import holidays

    closed = holidays.Denmark(years=range(2026, 2030))
    for start in (dt.date(2026, 11, 23), dt.date(2027, 3, 22), dt.date(2027, 12, 20)):
        for rhythm in (1, 4, 6, 8):
            for p in dates.propose_meetings(start, rhythm, 12):
                assert p.day.weekday() < 5 and p.day not in closed


def test_customary_closing_days_are_avoided_when_guide_asks():
    # Grundlovsdag 2026 is Friday 5 June.
    assert dates.propose_meetings(dt.date(2026, 6, 5), 4, 1, include_optional=True)[0].day == dt.date(2026, 6, 8)
    assert dates.propose_meetings(dt.date(2026, 6, 5), 4, 1, include_optional=False)[0].day == dt.date(2026, 6, 5)


def test_check_meeting_day_explains_in_danish():
    assert "Kristi himmelfartsdag" in dates.check_meeting_day(dt.date(2026, 5, 14))
    assert "lørdag" in dates.check_meeting_day(dt.date(2026, 5, 16))
    assert dates.check_meeting_day(dt.date(2026, 5, 13)) is None


def test_dates_as_rettidig_prints_them_are_read_back():
    from rettidig_cli.domain.dates import parse_date

    assert parse_date("mandag 14. december 2026") == dt.date(2026, 12, 14)
    assert parse_date("14. dec. 2026") == dt.date(2026, 12, 14)
    assert parse_date("3. sept 2027") == dt.date(2027, 9, 3)
    for wrong in ("14. decx 2026", "31. februar 2027", "14. de 2026", "3 decx"):
        with pytest.raises(ValueError):
            parse_date(wrong)


def test_a_four_digit_year_is_taken_as_typed():
    from rettidig_cli.domain.dates import parse_date

    assert parse_date("3-3-26") == dt.date(2026, 3, 3)
    assert parse_date("1-1-0050") == dt.date(50, 1, 1)


@pytest.mark.parametrize("text, expected", [
    ("fredag", dt.date(2026, 12, 4)),  # the nearest Friday: two days ago (today is Sunday 6 December)
    ("næste fredag", dt.date(2026, 12, 11)), ("på fredag", dt.date(2026, 12, 11)),
    ("sidste fredag", dt.date(2026, 12, 4)), ("i fredags", dt.date(2026, 12, 4)), ("søndag", dt.date(2026, 12, 6)),
    ("næste søndag", dt.date(2026, 12, 13)),
    ("3/3", dt.date(2027, 3, 3)), ("1.12", dt.date(2026, 12, 1)), ("14 dec", dt.date(2026, 12, 14)),
    ("3. marts", dt.date(2027, 3, 3)), ("3 december", dt.date(2026, 12, 3)),
    ("om 2 uger", dt.date(2026, 12, 20)), ("om en måned", dt.date(2027, 1, 6)), ("for en uge siden", dt.date(2026, 11, 29)),
    ("i overmorgen", dt.date(2026, 12, 8)), ("i forgårs", dt.date(2026, 12, 4)), ("  Næste   Fredag ", dt.date(2026, 12, 11)),
])
def test_dates_as_people_say_them(monkeypatch, text, expected):
    monkeypatch.setattr(dates, "today", lambda: dt.date(2026, 12, 6))
    assert dates.parse_date(text) == expected
    assert not dates.written_in_full(text)


@pytest.mark.parametrize("text, nearest, coming", [
    ("fredag", dt.date(2026, 12, 4), dt.date(2026, 12, 11)),  # a Sunday: two days back, or the coming one
    ("søndag", dt.date(2026, 12, 6), dt.date(2026, 12, 6)),  # today either way
    ("3 dec", dt.date(2026, 12, 3), dt.date(2027, 12, 3)),
    ("1/1", dt.date(2027, 1, 1), dt.date(2027, 1, 1)),
    ("sidste fredag", dt.date(2026, 12, 4), dt.date(2026, 12, 4)),  # said outright: as said
])
def test_a_field_that_looks_ahead_reads_a_weekday_or_a_day_without_year_as_the_coming_one(monkeypatch, text,
                                                                                           nearest, coming):
    monkeypatch.setattr(dates, "today", lambda: dt.date(2026, 12, 6))
    assert dates.parse_date(text) == nearest
    assert dates.parse_date(text, ahead=True) == coming


def test_a_deadline_given_as_a_weekday_is_the_coming_one_and_said_back(cli, seeded, monkeypatch):
    from helpers import flat, ok, plan_json

    code = seeded("resen", 3)
    monkeypatch.setattr(dates, "today", lambda: dt.date.today() + dt.timedelta(days=(6 - dt.date.today().weekday())))
    sunday = dates.today()
    said = flat(ok(cli, "aftale", "ny", code, "--hvad", "Læse højt", "--hvem", "Ali", "--senest", "fredag").out)
    friday = sunday + dt.timedelta(days=5)
    assert f"fredag = {dates.format_date(friday)}" in said
    assert plan_json(cli, code)["aftaler"][-1]["senest"] == friday.isoformat()


def test_a_month_is_a_calendar_month():
    assert dates.add_months(dt.date(2027, 2, 1), 1) == dt.date(2027, 3, 1)
    assert dates.add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    assert dates.add_months(dt.date(2026, 12, 15), 2) == dt.date(2027, 2, 15)


def test_a_date_far_away_is_pointed_out(monkeypatch):
    monkeypatch.setattr(dates, "today", lambda: dt.date(2026, 12, 6))
    assert dates.far_away(dt.date(2028, 1, 1)) and dates.far_away(dt.date(2025, 1, 1))
    assert dates.far_away(dt.date(2027, 6, 1)) is None
