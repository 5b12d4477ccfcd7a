"""The morning view (rettidig_cli/views/overview.py) and a case's timeline (rettidig_cli/views/history.py),
built from real cases: created through the CLI's answers path, changed through the follow-up
operations in rettidig_cli/workflow/followup.py, and planned with plan.build(today=...) on chosen days."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re

import pytest

from rettidig_cli.domain import dates
from rettidig_cli.workflow import followup
from rettidig_cli.views import history, overview
from rettidig_cli.views import plan as plans
from rettidig_cli.storage import store as store_module
from rettidig_cli.domain.errors import UsageError
from rettidig_cli.guide.reference import followup_rules
from rettidig_cli.storage.store import Store, db_path

from conftest import danish_long

TODAY = dt.date.today()
DAY = dt.timedelta(days=1)
_files = itertools.count(1)


# ---------------------------------------------------------------- days


def working_day(first: dt.date, last: dt.date | None = None) -> dt.date | None:
    """The first day from `first` on that a Resen status meeting can be held (no weekend or closing day)."""
    day = first
    while dates.check_meeting_day(day, include_optional=True):
        day += DAY
    return day if last is None or day <= last else None


def _week_fits(monday: dt.date) -> bool:
    """Two meeting days from Tuesday on this week (so one is Wednesday or later), and one next week."""
    this_week = [monday + DAY * i for i in range(1, 5) if not dates.check_meeting_day(monday + DAY * i)]
    return len(this_week) >= 2 and working_day(monday + DAY * 7, monday + DAY * 11) is not None


def pick_monday() -> dt.date:
    """The next Monday whose week suits the tests (a later one around holidays). It is at most a few
    weeks ahead, well inside the 28 quiet days, so a case made today is not quiet then."""
    monday = TODAY + DAY * (7 - TODAY.weekday())
    while not _week_fits(monday):
        monday += dt.timedelta(weeks=1)
    assert (monday - TODAY).days < 28
    return monday


T = pick_monday()  # the "today" the overview is looked at, unless a test says otherwise
FAR = working_day(T + dt.timedelta(weeks=6))  # a meeting day no overview at T asks about


# ---------------------------------------------------------------- cases


def answers(child: str, tilbud: str, tovholder: str, meeting: dt.date, due: dt.date | None,
            what: str) -> dict:
    """A complete Resen case (lille sag) with one agreement and one status meeting."""
    agreement = {"hvad": what, "hvem": "Pædagog Ali"}
    if due:
        agreement["senest"] = due.isoformat()
    return {
        "sikkerhed": False,
        "barn": {"navn": child, "aldersgruppe": "4-5 år", "tilbud": tilbud},
        "stikord": "Sprog og leg",
        "foraeldre-orienteret": {"svar": "ja", "navn": "Mor og far"},
        "iagttagelser": [{"hvad": "Bruger få ord og peger.", "metode": "TRAS", "hvem": "Pædagog Ali"}],
        "placering": {"placering": "bekymring", "begrundelse": "Sproget påvirker legen."},
        "analyse": "Sproglige vanskeligheder.",
        "sagstype": "lille",
        "aftaler": [agreement],
        "tovholder": {"navn": tovholder, "rolle": "pædagog"},
        "statusmoeder": {"datoer": [meeting.isoformat()]},
        "underskrift": {"svar": "ja", "navn": "Mor og far"},
    }


def create(cli, data_home, data: dict) -> str:
    path = data_home.parent / f"svar-{next(_files)}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = cli(["new", "--guide", "resen", "--answers", str(path)])
    assert result.code == 0, result.err
    return re.search(r"Ny sag: (RT-\d{4}-\d{3})", result.out).group(1)


def new_case(cli, data_home, *, child="C.D.", tilbud="Børnehave", tovholder="Ali Demir",
             meeting: dt.date = FAR, due: dt.date | None = None, what="Dialogisk læsning") -> str:
    return create(cli, data_home, answers(child, tilbud, tovholder, meeting, due, what))


def phase_one_case(cli, data_home, *, child="E.F.", tilbud="Vuggestue", observed=False) -> str:
    """A case stopped in Trin 1; with observed=True Trin 1 is complete and the case waits in phase 2."""
    data = {"sikkerhed": False, "barn": {"navn": child, "aldersgruppe": "2-3 år", "tilbud": tilbud},
            "stikord": "Græder meget", "foraeldre-orienteret": "ja"}
    if observed:
        data["iagttagelser"] = [{"hvad": "Græder ved aflevering."}]
        data["placering"] = "bekymring"
    return create(cli, data_home, data)


@pytest.fixture
def store(data_home):
    s = Store(db_path(None))
    yield s
    s.close()


def plan_at(store, code: str, today: dt.date) -> dict:
    return plans.build(store, store.case(code, log=False), today=today)


def row_at(store, code: str, today: dt.date) -> dict:
    return overview.row(plan_at(store, code, today).summary(), today)


def touch(store, code: str, day: dt.date) -> None:
    """Make the case look last changed on `day` (as if nobody had recorded anything since)."""
    store.db["cases"].update(store.case(code, log=False)["id"], {"updated_at": f"{day.isoformat()}T09:00:00"})


def close(store, code: str, reason: str = "Trivslen er genoprettet") -> None:
    followup.close_case(store, store.case(code, log=False), followup.parse_close_reason(reason))


# ---------------------------------------------------------------- reference data


def test_shipped_followup_rules():
    """data/followup.toml: quiet after 28 days, 'soon' is within 7 days, 'Andet' is the last close reason."""
    rules = followup_rules()
    assert rules.inactive_days == 28
    assert rules.soon_days == 7
    assert rules.close_reasons[0] == "Trivslen er genoprettet" and rules.close_reasons[-1] == "Andet"
    assert [o.id for o in rules.factor_types] == ["trivselstegn", "risiko", "beskyttelse"]


# ---------------------------------------------------------------- one case: urgency levels


def test_overdue_agreement_is_level_0(cli, data_home, store):
    """An agreement past its date makes the case 'overskredet' (level 0)."""
    code = new_case(cli, data_home, due=T - DAY, what="Dialogisk læsning")
    line = row_at(store, code, T)
    assert (line["niveau"], line["niveau_navn"]) == (overview.OVERDUE, "overskredet")
    assert any("Aftale" in task and "1" in task for task in line["opgaver"])
    assert line["forsinket"]


def test_agreement_due_today_is_not_overdue(cli, data_home, store):
    """An agreement due today is coming up, not overdue."""
    code = new_case(cli, data_home, due=T)
    assert row_at(store, code, T)["niveau"] == overview.SOON


def test_status_meeting_this_week_is_level_1(cli, data_home, store):
    """A status meeting later this week makes the case 'denne uge' (level 1)."""
    meeting = working_day(T, T + DAY * 4)
    code = new_case(cli, data_home, meeting=meeting)
    line = row_at(store, code, T)
    assert (line["niveau"], line["niveau_navn"]) == (overview.THIS_WEEK, "denne uge")
    assert line["opgaver"][0].startswith("Statusmøde")
    assert line["naeste_statusmoede"] == meeting.isoformat()


def test_status_meeting_today_says_i_dag(cli, data_home, store):
    """A status meeting on the day looked at reads 'Statusmøde i dag'."""
    meeting = working_day(T, T + DAY * 4)
    code = new_case(cli, data_home, meeting=meeting)
    assert row_at(store, code, meeting)["opgaver"] == [f"Statusmøde i dag: rettidig møde hold {code}"]


def test_status_meeting_tomorrow_says_i_morgen(cli, data_home, store):
    """A status meeting the next day (same week) reads 'Statusmøde i morgen'."""
    meeting = working_day(T + DAY, T + DAY * 4)
    code = new_case(cli, data_home, meeting=meeting)
    assert row_at(store, code, meeting - DAY)["opgaver"] == ["Statusmøde i morgen"]


def test_status_meeting_later_this_week_gives_the_date(cli, data_home, store):
    """A status meeting two or more days ahead this week is named by its Danish date."""
    meeting = working_day(T + DAY * 2, T + DAY * 4)
    code = new_case(cli, data_home, meeting=meeting)
    assert row_at(store, code, T)["opgaver"] == [f"Statusmøde {danish_long(meeting)}"]


def test_status_meeting_next_week_is_level_2(cli, data_home, store):
    """A status meeting next week makes the case 'snart' (level 2)."""
    meeting = working_day(T + DAY * 7, T + DAY * 11)
    code = new_case(cli, data_home, meeting=meeting)
    line = row_at(store, code, T)
    assert (line["niveau"], line["niveau_navn"]) == (overview.SOON, "snart")
    assert line["opgaver"] == [f"Statusmøde næste uge: {danish_long(meeting)}"]


def test_status_meeting_next_week_counts_by_calendar_week(cli, data_home, store):
    """Seen on a Sunday, a meeting the next day is 'this week' of the next calendar week: next week."""
    meeting = working_day(T + DAY * 7, T + DAY * 11)
    code = new_case(cli, data_home, meeting=meeting)
    sunday = T + DAY * 6
    assert row_at(store, code, sunday)["niveau"] == overview.SOON
    assert row_at(store, code, sunday + DAY)["niveau"] == overview.THIS_WEEK


def test_status_meeting_in_two_weeks_is_not_a_task(cli, data_home, store):
    """A meeting more than next week ahead asks nothing of the practitioner yet."""
    code = new_case(cli, data_home, meeting=FAR)
    line = row_at(store, code, T)
    assert (line["niveau"], line["niveau_navn"], line["opgaver"]) == (overview.CALM, "i gang", [])


def test_passed_meeting_not_registered_is_overdue(cli, data_home, store):
    """A status meeting that has passed without being registered as held is overdue."""
    meeting = working_day(T, T + DAY * 4)
    code = new_case(cli, data_home, meeting=meeting)
    assert row_at(store, code, meeting + DAY)["niveau"] == overview.OVERDUE


@pytest.mark.parametrize(("days_ahead", "expected"), [(0, True), (3, True), (7, True), (8, False)])
def test_agreement_due_within_soon_days_is_level_2(cli, data_home, store, days_ahead, expected):
    """An open agreement due within 7 days (data/followup.toml) is coming up."""
    due = T + DAY * days_ahead
    code = new_case(cli, data_home, due=due)
    line = row_at(store, code, T)
    text = f"Aftale nr. 1 skal være udført {danish_long(due)}"
    assert (text in line["opgaver"]) is expected
    assert line["niveau"] == (overview.SOON if expected else overview.CALM)


def test_done_agreement_due_soon_is_not_a_task(cli, data_home, store):
    """An agreement marked done is not asked about, even if its date is near."""
    code = new_case(cli, data_home, due=T + DAY * 2)
    case = store.case(code, log=False)
    agreement = followup.numbered(store, "agreements", case)[0]
    followup.change_agreement(store, case, agreement, followup.parse_status_change({"status": "udført"}))
    assert row_at(store, code, T)["niveau"] == overview.CALM


def test_quiet_after_inactive_days(cli, data_home, store):
    """Nothing recorded for 28 days (data/followup.toml) makes the case 'stille' (level 3)."""
    code = new_case(cli, data_home)
    last = dt.date.fromisoformat(plan_at(store, code, TODAY).updated)
    touch(store, code, T - DAY * 28)
    line = row_at(store, code, T)
    assert (line["niveau"], line["niveau_navn"]) == (overview.QUIET, "stille")
    assert line["opgaver"] == ["Intet registreret i 28 dage"]
    assert last == TODAY


def test_not_quiet_one_day_before_inactive_days(cli, data_home, store):
    """27 days without anything recorded is not yet quiet."""
    code = new_case(cli, data_home)
    touch(store, code, T - DAY * 27)
    assert row_at(store, code, T)["niveau"] == overview.CALM


def test_inactive_days_come_from_rules(cli, data_home, store, monkeypatch):
    """With inactive_days = 10 in the rules, 10 quiet days is enough."""
    code = new_case(cli, data_home)
    touch(store, code, T - DAY * 10)
    assert row_at(store, code, T)["niveau"] == overview.CALM
    monkeypatch.setattr(overview, "followup_rules", lambda: followup_rules()._replace(inactive_days=10))
    assert row_at(store, code, T)["opgaver"] == ["Intet registreret i 10 dage"]


def test_soon_days_come_from_rules(cli, data_home, store, monkeypatch):
    """With soon_days = 14 in the rules, an agreement due in 10 days is coming up."""
    code = new_case(cli, data_home, due=T + DAY * 10)
    assert row_at(store, code, T)["niveau"] == overview.CALM
    monkeypatch.setattr(overview, "followup_rules", lambda: followup_rules()._replace(soon_days=14))
    assert row_at(store, code, T)["niveau"] == overview.SOON


def test_closed_case_is_level_5_without_tasks(cli, data_home, store):
    """A closed case asks nothing, even with an overdue agreement, and says why it was closed."""
    code = new_case(cli, data_home, due=T - DAY)
    close(store, code, "trivslen er genoprettet")
    line = row_at(store, code, T)
    assert (line["niveau"], line["niveau_navn"], line["opgaver"]) == (overview.CLOSED, "lukket", [])
    assert line["status"] == "lukket"
    assert line["lukket"] == {"dato": TODAY.isoformat(), "grund": "Trivslen er genoprettet", "opsummering": ""}


def test_phase_two_without_tovholder_is_quiet(cli, data_home, store):
    """Past the first phase with no tovholder chosen: 'Ingen tovholder valgt' (level 3)."""
    code = phase_one_case(cli, data_home, observed=True)
    line = row_at(store, code, TODAY)
    assert line["fase_nummer"] == 2
    assert line["niveau"] == overview.QUIET
    assert line["opgaver"][0] == "Ingen tovholder valgt"


def test_unfinished_guide_names_the_next_phase_without_raising_urgency(cli, data_home, store):
    """A case still in the guide says which phase to continue, at the calm level only."""
    code = phase_one_case(cli, data_home)
    line = row_at(store, code, TODAY)
    assert line["opgaver"][-1].startswith("Fortsæt guiden: ")
    tasks = [t for t in overview.tasks(plan_at(store, code, TODAY).summary(), TODAY) if t["tekst"].startswith("Fortsæt")]
    assert [t["niveau"] for t in tasks] == [overview.CALM]


def test_phase_one_without_tovholder_is_not_flagged(cli, data_home, store):
    """In the first phase a missing tovholder is not a task."""
    code = phase_one_case(cli, data_home)
    line = row_at(store, code, TODAY)
    assert line["fase_nummer"] == 1
    assert "Ingen tovholder valgt" not in line["opgaver"]


def test_observation_deadline_coming_up_is_soon(cli, data_home, store):
    """Observations due within a week (Resen: one month after the case starts) are coming up."""
    code = phase_one_case(cli, data_home)
    deadline = dt.date.fromisoformat(plan_at(store, code, TODAY).observation_deadline)
    from rettidig_cli.domain.dates import add_months

    assert deadline == add_months(TODAY, 1)  # Resen: »inden for en måned«, a calendar month
    line = row_at(store, code, deadline - DAY * 3)
    assert line["niveau"] == overview.SOON
    assert f"Iagttagelserne skal ligge klar {danish_long(deadline)}" in line["opgaver"]


def test_observation_deadline_passed_is_overdue(cli, data_home, store):
    """Observations missing after the deadline make the case overdue."""
    code = phase_one_case(cli, data_home)
    deadline = dt.date.fromisoformat(plan_at(store, code, TODAY).observation_deadline)
    assert row_at(store, code, deadline)["niveau"] == overview.SOON
    assert row_at(store, code, deadline + DAY)["niveau"] == overview.OVERDUE


def test_row_describes_the_case(cli, data_home, store):
    """One line: code, child, setting, phase, tovholder, next meeting, ruler position, status."""
    code = new_case(cli, data_home, child="G.H.", tilbud="Dagpleje", tovholder="Sara Nielsen")
    line = row_at(store, code, T)
    assert {k: line[k] for k in ("kode", "barn", "tilbud", "fase", "fase_nummer", "fase_id", "tovholder",
                                 "naeste_statusmoede", "placering", "status", "lukket")} == {
        "kode": code, "barn": "G.H.", "tilbud": "Dagpleje", "fase": "Alle faser gennemgået",
        "fase_nummer": 3, "fase_id": "trin-2", "tovholder": "Sara Nielsen",
        "naeste_statusmoede": FAR.isoformat(), "placering": "Bekymringsbarn", "status": "åben", "lukket": None}
    assert line["sidst_aendret"] == TODAY.isoformat()
    assert line["aldersgruppe"] == plan_at(store, code, T).child.age_group != ""  # two Idas told apart


def test_row_of_unfinished_case_shows_phase_of_total(cli, data_home, store):
    """A case in Trin 1 shows '1/3' and the phase title."""
    code = phase_one_case(cli, data_home)
    assert row_at(store, code, TODAY)["fase"] == "1/3 Trin 1 – Når en bekymring starter"


def test_row_without_child_says_not_filled_in(cli, data_home, store):
    """A case stopped before the child was named reads '(ikke udfyldt)'."""
    code = create(cli, data_home, {"sikkerhed": False})
    line = row_at(store, code, TODAY)
    assert (line["barn"], line["tilbud"], line["tovholder"]) == ("(ikke udfyldt)", "", "")


def test_tasks_are_sorted_most_urgent_first(cli, data_home, store):
    """A case with an overdue and a coming-up item lists the overdue one first."""
    meeting = working_day(T + DAY * 7, T + DAY * 11)
    code = new_case(cli, data_home, due=T - DAY, meeting=meeting)
    found = overview.tasks(plan_at(store, code, T).summary(), T)
    assert [t["niveau"] for t in found] == sorted(t["niveau"] for t in found)
    assert found[0]["niveau"] == overview.OVERDUE and found[-1]["niveau"] == overview.SOON


# ---------------------------------------------------------------- several cases: sorting


def test_overview_sorts_cases_by_urgency(cli, data_home, store):
    """Overdue, this week, next week, quiet, calm, closed: in that order, whatever the creation order."""
    closed = new_case(cli, data_home, child="F", due=T - DAY)
    calm = new_case(cli, data_home, child="E")
    quiet = new_case(cli, data_home, child="D")
    next_week = new_case(cli, data_home, child="C", meeting=working_day(T + DAY * 7, T + DAY * 11))
    this_week = new_case(cli, data_home, child="B", meeting=working_day(T + DAY, T + DAY * 4))
    overdue = new_case(cli, data_home, child="A", due=T - DAY)
    close(store, closed)
    touch(store, quiet, T - DAY * 40)
    cases = store.cases(include_closed=True)
    lines = overview.overview([plans.build(store, c, T).summary() for c in cases], T)
    assert [line["kode"] for line in lines] == [overdue, this_week, next_week, quiet, calm, closed]
    assert [line["niveau"] for line in lines] == list(range(6))


def test_same_level_sorted_by_date(cli, data_home, store):
    """Two meetings this week: the earlier one first, though its case was made later."""
    first = working_day(T + DAY, T + DAY * 4)
    late = new_case(cli, data_home, child="L", meeting=working_day(first + DAY, T + DAY * 4))
    early = new_case(cli, data_home, child="K", meeting=first)
    lines = overview.overview([plan_at(store, c, T).summary() for c in (late, early)], T)
    assert [line["kode"] for line in lines] == [early, late]


def test_calm_cases_sorted_by_next_meeting(cli, data_home, store):
    """Among calm cases, the one with the nearest status meeting comes first."""
    later = new_case(cli, data_home, child="M", meeting=working_day(FAR + DAY * 14))
    sooner = new_case(cli, data_home, child="N", meeting=FAR)
    lines = overview.overview([plan_at(store, c, T).summary() for c in (later, sooner)], T)
    assert [line["kode"] for line in lines] == [sooner, later]


def test_overview_rows_hide_the_sort_key(cli, data_home, store):
    """The rows returned carry no internal sort key."""
    code = new_case(cli, data_home)
    assert "_sort" not in overview.overview([plan_at(store, code, T).summary()], T)[0]


def test_overdue_cases_longest_overdue_first(cli, data_home, store):
    """Of two overdue cases, the one overdue the longest comes first."""
    recent = new_case(cli, data_home, child="P", due=T - DAY * 2)
    longest = new_case(cli, data_home, child="Q", due=T - DAY * 10)
    lines = overview.overview([plan_at(store, c, T).summary() for c in (recent, longest)], T)
    assert [line["kode"] for line in lines] == [longest, recent]


def test_leader_not_told_of_underretning_is_overdue(cli, data_home, store):
    """On the abuse path, an underretning the leader has not been told about is overdue."""
    code = create(cli, data_home, {
        "sikkerhed": {"mistanke": True, "underretning": {"dato": TODAY.isoformat(), "leder_informeret": False}},
        "barn": {"navn": "R", "aldersgruppe": "4-5 år", "tilbud": "Børnehave"}})
    line = row_at(store, code, TODAY)
    assert line["mistanke_om_vold_eller_overgreb"] is True
    assert line["niveau"] == overview.OVERDUE
    assert any("Lederen" in task for task in line["opgaver"])



def test_abuse_path_duties_come_before_every_ordinary_overdue_item(cli, data_home, store):
    """An underretning the leader has not been told about has no date; it still ranks above an
    agreement that has been overdue for weeks (it used to sort last among the overdue)."""
    long_overdue = new_case(cli, data_home, child="P", due=T - DAY * 30)
    abuse = create(cli, data_home, {
        "sikkerhed": {"mistanke": True, "underretning": {"dato": TODAY.isoformat(), "leder_informeret": False}},
        "barn": {"navn": "R", "aldersgruppe": "4-5 år", "tilbud": "Børnehave"}})
    for cases in ([long_overdue, abuse], [abuse, long_overdue]):
        lines = overview.overview([plan_at(store, c, T).summary() for c in cases], T)
        assert [line["kode"] for line in lines] == [abuse, long_overdue]
    with store.atomic():
        listed = [line["kode"] for line in overview.from_store(store, T, False)[0]]
    assert listed.index(abuse) < listed.index(long_overdue)


# ---------------------------------------------------------------- several cases: filters


@pytest.fixture
def three_cases(cli, data_home, store):
    """Ali's finished Børnehave case, Mette's finished Vuggestue case, and a Trin 1 Dagpleje case."""
    codes = {
        "ali": new_case(cli, data_home, child="A", tilbud="Børnehave", tovholder="Ali Demir"),
        "mette": new_case(cli, data_home, child="B", tilbud="Vuggestue", tovholder="Mette Hansen"),
        "trin1": phase_one_case(cli, data_home, child="C", tilbud="Dagpleje"),
    }
    plans_now = [plan_at(store, code, T).summary() for code in codes.values()]
    return codes, plans_now


def found(plans_now, **filters) -> set[str]:
    return {line["kode"] for line in overview.overview(plans_now, T, **filters)}


def test_no_filter_shows_every_case(three_cases):
    """Without filters every case is listed."""
    codes, plans_now = three_cases
    assert found(plans_now) == set(codes.values())


def test_tovholder_filter_is_a_case_insensitive_part(three_cases):
    """'demir' finds Ali Demir's case only."""
    codes, plans_now = three_cases
    assert found(plans_now, tovholder="demir") == {codes["ali"]}
    assert found(plans_now, tovholder="METTE") == {codes["mette"]}


def test_tovholder_filter_leaves_out_cases_without_tovholder(three_cases):
    """A case with no tovholder never matches a tovholder filter."""
    codes, plans_now = three_cases
    assert codes["trin1"] not in found(plans_now, tovholder="a")


def test_setting_filter_is_exact_without_regard_to_case(three_cases):
    """'BØRNEHAVE' finds the Børnehave case; 'børne' finds nothing."""
    codes, plans_now = three_cases
    assert found(plans_now, setting="BØRNEHAVE") == {codes["ali"]}
    assert found(plans_now, setting="børne") == set()


def test_phase_filter_by_number(three_cases):
    """Phase '1' finds the case in Trin 1 only."""
    codes, plans_now = three_cases
    assert found(plans_now, phase="1") == {codes["trin1"]}


def test_phase_filter_by_id(three_cases):
    """Phase id 'trin-1' finds the case in Trin 1; 'trin-2' the cases in the last phase."""
    codes, plans_now = three_cases
    assert found(plans_now, phase="trin-1") == {codes["trin1"]}
    assert found(plans_now, phase=" TRIN-2 ") == {codes["ali"], codes["mette"]}


def test_phase_filter_by_title_part(three_cases):
    """Part of the phase title, in any case, finds the case."""
    codes, plans_now = three_cases
    assert found(plans_now, phase="BEKYMRING STARTER") == {codes["trin1"]}


def test_phase_filter_by_number_does_not_match_the_phase_count(three_cases):
    """Phase '3' finds the cases in phase 3, not the case in phase 1 of 3."""
    codes, plans_now = three_cases
    assert found(plans_now, phase="3") == {codes["ali"], codes["mette"]}


def test_phase_filter_by_title_part_finds_finished_cases(three_cases):
    """'handleplan' finds the cases whose phase is 'Trin 2 – Handleplan', like '3' and 'trin-2' do."""
    codes, plans_now = three_cases
    assert found(plans_now, phase="handleplan") == {codes["ali"], codes["mette"]}


def test_filters_combine(three_cases):
    """All filters given must match."""
    codes, plans_now = three_cases
    assert found(plans_now, tovholder="ali", setting="børnehave", phase="trin-2") == {codes["ali"]}
    assert found(plans_now, tovholder="ali", setting="vuggestue") == set()


# ---------------------------------------------------------------- history


@pytest.fixture
def clock(monkeypatch):
    """Every recorded moment one second after the one before, starting 08:00 today, so that
    'recorded' times are distinct as in real use."""
    start = dt.datetime.combine(TODAY, dt.time(8, 0))
    ticks = itertools.count()

    def now() -> str:
        return (start + dt.timedelta(seconds=next(ticks))).isoformat(timespec="seconds")

    monkeypatch.setattr(store_module, "now", now)
    monkeypatch.setattr(followup, "now", now)
    return now


@pytest.fixture
def case_code(cli, data_home, clock):
    return new_case(cli, data_home, due=FAR, what="Dialogisk læsning")


def timeline(store, code: str) -> list[dict]:
    return history.build(store, store.case(code, log=False))


def texts(store, code: str) -> list[str]:
    return [e["tekst"] for e in timeline(store, code)]


def move(store, code: str, to: dt.date, reason: str = "Sygdom") -> None:
    case = store.case(code, log=False)
    meeting = followup.planned_meetings(store, case)[0]
    value = followup.parse_move({"dato": to.isoformat(), "grund": reason}, meeting, store.guide_for(case))
    followup.move_meeting(store, case, meeting, value)


def test_history_starts_with_creation(store, case_code):
    """The first entry says the case was created and with which guide."""
    first = timeline(store, case_code)[0]
    assert (first["type"], first["tekst"]) == ("Sag", "Sagen er oprettet (guide: Resen).")
    assert first["dato"] == TODAY.isoformat()


def test_history_entries_have_the_same_fields(store, case_code):
    """Every entry has a date, a recorded moment, a kind, a text and a detail."""
    for entry in timeline(store, case_code):
        assert set(entry) == {"dato", "registreret", "type", "tekst", "detalje"}
        dt.date.fromisoformat(entry["dato"])
        dt.datetime.fromisoformat(entry["registreret"])


def test_history_shows_the_answers_given_at_creation(store, case_code):
    """Child, safety answer, agreement, tovholder and planned meeting are all in the timeline."""
    found_texts = texts(store, case_code)
    assert "C.D. (4-5 år, Børnehave)." in found_texts
    assert "Sikkerhedsspørgsmålet er besvaret: ingen mistanke om vold eller overgreb." in found_texts
    assert f"Aftale nr. 1: Dialogisk læsning (Pædagog Ali, senest {danish_long(FAR)})." in found_texts
    assert "Ali Demir (pædagog) er tovholder." in found_texts
    assert f"Statusmøde nr. 1 aftalt til {danish_long(FAR)} kl. 14.00." in found_texts


def test_history_shows_a_new_agreement_last(store, case_code):
    """An agreement added later is the newest entry, numbered after the first."""
    case = store.case(case_code, log=False)
    due = T + DAY * 3
    followup.add_item(store, case, store.guide_for(case), "agreements",
                      {"hvad": "Sprogvurdering", "hvem": "Ressourcepædagog", "senest": due.isoformat()})
    last = timeline(store, case_code)[-1]
    assert (last["type"], last["tekst"]) == ("Aftale", f"Aftale nr. 2: Sprogvurdering (Ressourcepædagog, "
                                                       f"senest {danish_long(due)}).")


def test_history_shows_agreement_status_change(store, case_code):
    """Changing an agreement's status adds 'Aftale nr. 1 er nu «i gang».' with the note."""
    case = store.case(case_code, log=False)
    agreement = followup.numbered(store, "agreements", case)[0]
    change = followup.parse_status_change({"status": "I gang", "note": "Startet i lille gruppe."})
    followup.change_agreement(store, case, agreement, change)
    last = timeline(store, case_code)[-1]
    assert (last["type"], last["tekst"]) == ("Aftale", "Aftale nr. 1 er nu «i gang». Startet i lille gruppe.")
    assert last["dato"] == TODAY.isoformat()


def test_history_dates_a_status_change_by_the_day_it_happened(store, case_code):
    """A change dated two days ago is placed before the case's creation today."""
    case = store.case(case_code, log=False)
    agreement = followup.numbered(store, "agreements", case)[0]
    earlier = TODAY - DAY * 2
    change = followup.parse_status_change({"status": "udført", "note": "Gjort", "dato": earlier.isoformat()})
    followup.change_agreement(store, case, agreement, change)
    entries = timeline(store, case_code)
    changed = next(i for i, e in enumerate(entries) if e["tekst"].startswith("Aftale nr. 1 er nu «udført»"))
    created = next(i for i, e in enumerate(entries) if e["tekst"].startswith("Sagen er oprettet"))
    assert entries[changed]["dato"] == earlier.isoformat()
    assert changed < created


def test_same_status_without_note_is_refused(store, case_code):
    """Setting an agreement to the status it already has, without a note, is refused."""
    case = store.case(case_code, log=False)
    agreement = followup.numbered(store, "agreements", case)[0]
    with pytest.raises(UsageError, match="har allerede status «aftalt»"):
        followup.change_agreement(store, case, agreement, followup.parse_status_change({"status": "aftalt"}))


def test_giving_up_an_agreement_needs_a_reason():
    """Status 'opgivet' requires a note saying why."""
    with pytest.raises(ValueError, match="skal udfyldes"):
        followup.parse_status_change({"status": "opgivet"})


def test_history_shows_a_moved_meeting(store, case_code):
    """Moving a meeting adds 'flyttet fra X til Y (grund)'; the planning entry keeps the first date."""
    new_day = working_day(FAR + DAY * 7)
    move(store, case_code, new_day, "Sygdom")
    found_texts = texts(store, case_code)
    assert found_texts[-1] == f"Statusmøde nr. 1 flyttet fra {danish_long(FAR)} til {danish_long(new_day)} (Sygdom)."
    assert f"Statusmøde nr. 1 aftalt til {danish_long(FAR)} kl. 14.00." in found_texts


def test_history_of_a_meeting_moved_twice(store, case_code):
    """Two moves appear in order, and the meeting is still said to be first planned for the first date."""
    second = working_day(FAR + DAY * 7)
    third = working_day(FAR + DAY * 14)
    move(store, case_code, second, "Sygdom")
    move(store, case_code, third, "Ferie")
    found_texts = texts(store, case_code)
    assert found_texts[-2:] == [
        f"Statusmøde nr. 1 flyttet fra {danish_long(FAR)} til {danish_long(second)} (Sygdom).",
        f"Statusmøde nr. 1 flyttet fra {danish_long(second)} til {danish_long(third)} (Ferie)."]
    assert f"Statusmøde nr. 1 aftalt til {danish_long(FAR)} kl. 14.00." in found_texts


def test_moving_to_a_weekend_is_refused(store, case_code):
    """A meeting cannot be moved to a Saturday."""
    case = store.case(case_code, log=False)
    meeting = followup.planned_meetings(store, case)[0]
    saturday = FAR + DAY * (5 - FAR.weekday())
    with pytest.raises(ValueError, match="lørdag"):
        followup.parse_move({"dato": saturday.isoformat()}, meeting, store.guide_for(case))


def test_moved_meeting_keeps_its_number(store, case_code):
    """A meeting keeps its number after a move; planned_meetings lists by date."""
    case = store.case(case_code, log=False)
    guide = store.guide_for(case)
    second = followup.parse_new_meeting({"dato": working_day(FAR + DAY * 7).isoformat()}, store, case, guide)
    followup.add_meeting(store, case, guide, second)
    move(store, case_code, working_day(FAR + DAY * 14))
    planned = followup.planned_meetings(store, store.case(case_code, log=False))
    assert [m["nr"] for m in planned] == [2, 1]


def test_history_shows_closing(store, case_code):
    """Closing adds 'Sagen er lukket: <reason>' with the listed spelling of the reason."""
    close(store, case_code, "trivslen er genoprettet")
    last = timeline(store, case_code)[-1]
    assert (last["type"], last["tekst"]) == ("Sag", "Sagen er lukket: Trivslen er genoprettet")


def test_history_shows_reopening_after_closing(store, case_code):
    """Reopening adds 'Sagen er genåbnet: <reason>' after the closing entry."""
    close(store, case_code)
    followup.reopen_case(store, store.case(case_code, log=False), "Ny bekymring i december")
    assert texts(store, case_code)[-2:] == ["Sagen er lukket: Trivslen er genoprettet",
                                            "Sagen er genåbnet: Ny bekymring i december"]


def test_reopening_an_open_case_is_refused(store, case_code):
    """Only a closed case can be reopened."""
    with pytest.raises(UsageError, match="allerede åben"):
        followup.reopen_case(store, store.case(case_code, log=False), "Hvorfor")


def test_closed_case_cannot_be_changed(store, case_code):
    """After closing, an agreement cannot change status until the case is reopened."""
    close(store, case_code)
    case = store.case(case_code, log=False)
    agreement = followup.numbered(store, "agreements", case)[0]
    with pytest.raises(UsageError, match="er lukket"):
        followup.change_agreement(store, case, agreement, followup.parse_status_change({"status": "udført"}))


def test_history_shows_meetings_cancelled_by_closing(store, case_code):
    """Closing cancels the planned status meeting, and the timeline says so."""
    close(store, case_code)
    plan = plan_at(store, case_code, TODAY)
    assert plan.status_meetings[0].status == "aflyst"
    assert any("aflyst" in text for text in texts(store, case_code))


def test_history_shows_a_cancelled_meeting(store, case_code):
    """Cancelling a meeting by hand adds 'Statusmøde nr. 1 (X) er aflyst (grund).'"""
    case = store.case(case_code, log=False)
    meeting = followup.planned_meetings(store, case)[0]
    followup.cancel_meeting(store, case, meeting, "Forældrene er syge")
    assert texts(store, case_code)[-1] == f"Statusmøde nr. 1 ({danish_long(FAR)}) er aflyst (Forældrene er syge)."


def test_history_shows_a_fit_score_with_its_items(store, case_code):
    """A FIT score reads 'ORS (Mor): 31' with the four scores as detail."""
    from rettidig_cli.domain import fit

    case = store.case(case_code, log=False)
    followup.record_fit(store, case, fit.parse_score({"hvem": "Mor", "skema": "ORS", "point": "6,5 7 8 9,5"}),
                        TODAY.isoformat())
    last = timeline(store, case_code)[-1]
    assert (last["type"], last["tekst"], last["detalje"]) == ("FIT", "ORS (Mor): 31", "6,5 / 7 / 8 / 9,5")


def test_history_shows_observations_with_method_and_observer(store, case_code):
    """An observation reads 'what (method) – who', dated the day it was made."""
    entry = next(e for e in timeline(store, case_code) if e["type"] == "Observation")
    assert (entry["tekst"], entry["dato"]) == ("Bruger få ord og peger. (TRAS) – Pædagog Ali", TODAY.isoformat())


def test_history_places_an_observation_by_the_day_it_was_made(store, case_code):
    """An observation recorded now but made a week ago is placed a week back."""
    case = store.case(case_code, log=False)
    earlier = TODAY - DAY * 7
    followup.add_item(store, case, store.guide_for(case), "observations",
                      {"dato": earlier.isoformat(), "hvad": "Leger alene.", "hvem": "Pædagog Ali"})
    first = timeline(store, case_code)[0]
    assert (first["type"], first["tekst"], first["dato"]) == ("Observation", "Leger alene. – Pædagog Ali",
                                                              earlier.isoformat())


def test_history_shows_a_factor_with_its_kind(store, case_code):
    """A factor on a guide without its own factor step reads '<kind label>: <text>'."""
    case = store.case(case_code, log=False)
    followup.add_item(store, case, store.guide_for(case), "factors", {"type": "risiko", "tekst": "Mange skift"})
    last = timeline(store, case_code)[-1]
    assert (last["type"], last["tekst"]) == ("Faktor", "Risikofaktor: Mange skift")


def test_history_shows_a_held_meeting_and_absent_parents(store, case_code):
    """A held meeting says who took part and why the parents did not."""
    case = store.case(case_code, log=False)
    guide = store.guide_for(case)
    meeting = followup.planned_meetings(store, case)[0]
    value = followup.parse_attendance({"dato": TODAY.isoformat(), "deltagere": "Ali Demir",
                                       "foraeldre_deltog": False, "fravaer_grund": "Syg"}, case, guide, meeting)
    followup.record_attendance(store, case, meeting, value)
    last = timeline(store, case_code)[-1]
    assert (last["type"], last["dato"]) == ("Møde", TODAY.isoformat())
    assert last["tekst"] == "Statusmøde nr. 1 er holdt. Deltog: Ali Demir. Forældrene deltog ikke: Syg."


def test_history_shows_a_new_tovholder(store, case_code):
    """A new tovholder 'overtager som tovholder efter' the previous one."""
    case = store.case(case_code, log=False)
    followup.change_tovholder(store, case, store.guide_for(case), {"navn": "Mette Hansen", "rolle": "pædagog"})
    assert texts(store, case_code)[-1] == "Mette Hansen (pædagog) overtager som tovholder efter Ali Demir."


def test_history_shows_escalation(store, case_code):
    """Escalating a lille sag to a stor sag is in the timeline with its reason."""
    case = store.case(case_code, log=False)
    guide = store.guide_for(case)
    (esc, _step, current), = followup.escalations(store, case, guide)
    assert current == "lille"
    followup.escalate(store, case, guide, esc, "Familien har brug for mere hjælp")
    assert "Sagen er optrappet: Lille sag → Stor sag. Begrundelse: Familien har brug for mere hjælp" \
        in texts(store, case_code)


def test_history_of_abuse_path_shows_safety_and_underretning(cli, data_home, store, clock):
    """On the abuse path the timeline says so and shows the underretning and whether the leader knows."""
    code = create(cli, data_home, {
        "sikkerhed": {"mistanke": True, "underretning": {"dato": TODAY.isoformat(), "leder_informeret": True}},
        "barn": {"navn": "S", "aldersgruppe": "4-5 år", "tilbud": "Børnehave"}})
    found_texts = texts(store, code)
    assert "Mistanke om vold eller overgreb: underretning uden at kontakte forældrene." in found_texts
    assert any(t.startswith("Underretning til Familieafdelingen") and t.endswith("lederen er informeret.")
               for t in found_texts)


def test_history_is_chronological_newest_last(store, case_code):
    """Agreement, status change, move, close and reopen appear in the order they were done, newest last."""
    case = store.case(case_code, log=False)
    guide = store.guide_for(case)
    followup.add_item(store, case, guide, "agreements", {"hvad": "Sprogvurdering", "hvem": "Ressourcepædagog"})
    agreement = followup.numbered(store, "agreements", case)[0]
    followup.change_agreement(store, case, agreement, followup.parse_status_change({"status": "udført"}))
    new_day = working_day(FAR + DAY * 7)
    move(store, case_code, new_day)
    close(store, case_code)
    followup.reopen_case(store, store.case(case_code, log=False), "Ny bekymring")
    entries = timeline(store, case_code)
    assert entries == sorted(entries, key=lambda e: (e["dato"], e["registreret"]))
    # Closing also cancels the planned meetings; those entries are checked in their own test.
    told = [e["tekst"] for e in entries if "(Sagen er lukket)" not in e["tekst"]]
    assert told[-5:] == [
        "Aftale nr. 2: Sprogvurdering (Ressourcepædagog).",
        "Aftale nr. 1 er nu «udført».",
        f"Statusmøde nr. 1 flyttet fra {danish_long(FAR)} til {danish_long(new_day)} (Sygdom).",
        "Sagen er lukket: Trivslen er genoprettet",
        "Sagen er genåbnet: Ny bekymring",
    ]
    assert entries[0]["tekst"] == "Sagen er oprettet (guide: Resen)."
