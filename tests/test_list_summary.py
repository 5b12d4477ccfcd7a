"""The morning view at any size: `list` reads one kept summary per case (made from the case's plan,
removed by every write to it), shows the most urgent cases with a count of the rest, and logs a
search as one audit row naming the cases it showed."""

from __future__ import annotations

import json

import pytest

from conftest import query
from helpers import created_code, flat, ok


def short_case(cli, data_home, child: str) -> str:
    """A Resen case stopped in its first phase (its observations are due in 14 days)."""
    answers = data_home.parent / f"{child}.toml"
    answers.write_text(f'sikkerhed = false\nstikord = "sprog"\n[barn]\nnavn = "{child}"\naldersgruppe = "2-3 år"\n'
                       'tilbud = "Vuggestue"\n[foraeldre-orienteret]\nsvar = "ja"\n', encoding="utf-8")
    return created_code(ok(cli, "new", "--guide", "resen", "--answers", str(answers)).out)


@pytest.fixture
def three(cli, data_home, monkeypatch):
    from rettidig_cli.commands import app as cli_module

    monkeypatch.setattr(cli_module, "LIST_LIMIT", 2)
    return [short_case(cli, data_home, child) for child in ("Ada", "Bo", "Cy")]


def listed(cli, *args: str) -> list[dict]:
    return json.loads(ok(cli, "list", "--json", *args).out)


def test_the_view_shows_the_most_urgent_and_counts_the_rest(cli, three):
    out = flat(ok(cli, "list").out)
    assert "… og 1 sag mere – se dem alle med: rettidig list --alle" in out
    assert sum(code in out for code in three) == 2
    everything = flat(ok(cli, "list", "--alle").out)
    assert all(code in everything for code in three) and "mere" not in everything
    assert {line["kode"] for line in listed(cli)} == set(three)  # --json is for programs: every case


def test_hidden_overdue_cases_are_counted_as_overdue(cli, three, data_home):
    from rettidig_cli.commands import app as cli_module

    for code in three[1:]:
        ok(cli, "aftale", "ny", code, "--hvad", "Sprogvurdering", "--hvem", "Pædagog", "--senest", "2020-03-02")
    cli_module.LIST_LIMIT = 1  # restored by monkeypatch in the fixture
    out = flat(ok(cli, "list").out)
    assert three[0] not in out  # the case with nothing overdue waits
    assert "… og 2 sager mere (heraf 1 med noget overskredet) – se dem alle med: rettidig list --alle" in out


def test_every_write_to_a_case_gives_the_list_its_new_state(cli, three, data_home):
    listed(cli)
    assert len(query(data_home, "SELECT * FROM case_summaries")) == 3
    ok(cli, "tovholder", three[1], "--navn", "Mette Hansen", "--rolle", "pædagog")
    # The write removed the case's summary (the others are kept) …
    kept = {r["case_id"] for r in query(data_home, "SELECT case_id FROM case_summaries")}
    assert len(kept) == 2
    # … and the next list makes it again from the plan.
    lines = {line["kode"]: line for line in listed(cli)}
    assert lines[three[1]]["tovholder"] == "Mette Hansen"
    assert len(query(data_home, "SELECT * FROM case_summaries")) == 3
    ok(cli, "aftale", "ny", three[0], "--hvad", "Sprogvurdering", "--hvem", "Pædagog", "--senest", "2020-03-02")
    late = {line["kode"]: line for line in listed(cli)}[three[0]]
    assert late["niveau_navn"] == "overskredet"
    assert any("Sprogvurdering" in x for x in late["forsinket"])


def test_reading_or_exporting_a_case_keeps_its_summary(cli, three, data_home, tmp_path):
    """Only a change makes the summary go: `plan`, `historik` and an export (which checks that the
    case is still there) leave it, so the next `list` does not build that plan again (a case with
    10,000 observations took ~150 ms at every list after an export)."""
    listed(cli)
    before = query(data_home, "SELECT case_id, version, data FROM case_summaries ORDER BY case_id")
    ok(cli, "plan", three[0])
    ok(cli, "historik", three[0])
    ok(cli, "export", three[0], "--format", "markdown", "--out", str(tmp_path))
    assert query(data_home, "SELECT case_id, version, data FROM case_summaries ORDER BY case_id") == before


def test_a_summary_from_another_version_or_unreadable_is_made_again(cli, three, data_home):
    from conftest import execute

    before = listed(cli)
    execute(data_home, "UPDATE case_summaries SET version = '0.0.0/0', data = '{\"kode\": 1}'")
    assert listed(cli) == before
    assert {r["version"] for r in query(data_home, "SELECT version FROM case_summaries")} != {"0.0.0/0"}


def test_a_search_is_one_audit_row_naming_the_cases_shown(cli, three, data_home):
    last = query(data_home, "SELECT max(id) AS id FROM audit_log")[0]["id"]
    out = flat(ok(cli, "list").out)
    rows = query(data_home, "SELECT * FROM audit_log WHERE id > ?", (last,))
    assert [(r["action"], r["case_code"]) for r in rows] == [("søg", None)]
    shown = rows[0]["shown"].split()
    assert len(shown) == 2 and all(code in out for code in shown)
    hidden = next(code for code in three if code not in shown)
    # Insight into a case lists the searches that showed it, and only those.
    log = json.loads(ok(cli, "indsigt", shown[0], "--json").out)
    assert log["sag"] == shown[0] and "søg" in {entry["handling"] for entry in log["log"]}
    log = json.loads(ok(cli, "indsigt", hidden, "--json").out)
    searches_before = [e for e in log["log"] if e["handling"] == "søg"]
    ok(cli, "list")
    log = json.loads(ok(cli, "indsigt", hidden, "--json").out)
    assert [e for e in log["log"] if e["handling"] == "søg"] == searches_before


def _summary(status, duties, next_meeting, updated, tovholder, phase_number):
    from rettidig_cli.views.model import Child, PhaseRef, Summary

    return Summary(code="RT-2026-001", status=status, closed=None, updated=updated, child=Child("A", "3-4 år", "Børnehave"),
                   abuse_path=False, phase=PhaseRef("p", "Fase", phase_number, 3), done=False, next_phase="Fase",
                   tovholder=tovholder, position=None, status_meetings=[next_meeting] if next_meeting else [], duties=duties)


def test_the_rank_from_the_kept_facts_is_the_first_task_of_the_case():
    """The view ranks 10,000 cases from a few kept columns (overview.rank) and phrases only the
    lines it shows (overview._ranked): for any case on any day the two give the same level and date."""
    import datetime as dt

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from rettidig_cli.views import overview
    from rettidig_cli.views.model import Duty, DutyKind

    today = dt.date(2026, 12, 9)
    days = st.one_of(st.none(), st.integers(-60, 60).map(lambda n: today + dt.timedelta(days=n)))
    duty = st.builds(lambda kind, day: Duty(kind, day if kind not in (DutyKind.NO_UNDERRETNING,
                                                                      DutyKind.LEADER_NOT_INFORMED) else None, 1, "x"),
                     st.sampled_from(list(DutyKind)), days.filter(lambda d: d is not None))

    @settings(max_examples=400, deadline=None)
    @given(st.sampled_from(["åben", "lukket"]), st.lists(duty, max_size=4),
           days.map(lambda d: d.isoformat() if d else None),
           st.integers(-90, 0).map(lambda n: (today + dt.timedelta(days=n)).isoformat()),
           st.sampled_from(["", "Ali"]), st.integers(1, 3))
    def agree(status, duties, next_meeting, updated, tovholder, phase_number):
        summary = _summary(status, duties, next_meeting, updated, tovholder, phase_number)
        todo = overview._ranked(summary, today)
        level, date, _, _ = overview.rank(summary.facts(), today)
        if status != "åben":
            assert (level, date) == (overview.CLOSED, "9999")
        elif todo:
            # an undated overdue duty (the abuse path's) ranks before every dated one; other undated tasks last
            undated = "" if todo[0][0] == overview.OVERDUE else "9999"
            assert (level, date) == (todo[0][0], todo[0][1] or undated), todo
        else:
            assert (level, date) == (overview.CALM, "9999")

    agree()


def test_the_summary_table_holds_the_facts_in_their_order():
    """A row of case_summaries' fact columns is the rest of a Facts after code, open and setting
    (overview.from_store builds Facts from it by position)."""
    from rettidig_cli.views.model import Facts

    assert Facts._fields[:3] == ("code", "open", "setting")
    assert Facts._fields[3:] == Facts.COLUMNS
