"""Bad input that must end in a Danish message with a documented exit code, never in "uventet
fejl" (exit 70) or a traceback: huge and non-finite FIT scores, answers files nested too deep or
too big or with numbers of thousands of digits, broken or out-of-range retention periods in
indstillinger.toml, stored dates near the calendar's end (a meeting in year 9999, written by hand
or by an older version), and hand-written values a case's timeline or an export reads.

Every test here failed on the code before the fix (exit 70, a value taken that should be refused,
or a limit read from a second place), except those whose docstring says Control or Guard: they
show the same paths still take good input, or pin down a refusal that already held."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path

import pytest

from conftest import ENTER, ROOT, is_working_day, raw_connect
from test_followup_commands import (
    case, content,  # noqa: F401 - case is a fixture
    fails, fit, flat, held_today, ok, plan_json, write_meeting_file,
)

LIMITS = tomllib.loads((ROOT / "data" / "limits.toml").read_text(encoding="utf-8"))

def sql(home: Path, statement: str, params: tuple = ()) -> None:
    """Write to the data file behind rettidig's back, as a hand edit or an older version would."""
    conn = raw_connect(home / "rettidig.db")
    try:
        conn.execute(statement, params)
        conn.commit()
    finally:
        conn.close()


# ================================================================ 1. FIT scores


@pytest.mark.parametrize("suffix", [".toml", ".json"])
@pytest.mark.parametrize("score", [10**400, -(10**400), 10**4000], ids=["400-cifre", "minus-400-cifre", "4000-cifre"])
def test_huge_whole_fit_score_is_a_usage_error_and_nothing_is_saved(cli, case, tmp_path, data_home, suffix, score):
    """A FIT score of hundreds of digits gave OverflowError (exit 70). Now the meeting file is
    refused as a whole, and the number is not echoed digit by digit."""
    before = content(data_home)
    path = tmp_path / f"moede{suffix}"
    data = held_today(fit=[fit("ORS", [score, 5, 5, 5])])
    if suffix == ".json":
        path.write_text(json.dumps(data), encoding="utf-8")
    else:
        path.write_text(f'dato = "{data["dato"]}"\nforaeldre_deltog = true\n'
                        f'[[fit]]\nhvem = "Mor"\nskema = "ORS"\npoint = [{score}, 5, 5, 5]\n', encoding="utf-8")
    result = fails(cli, 2, "møde", "hold", case, "--answers", str(path))
    assert "Skala 1 skal være fra 0 til 10" in flat(result.err)
    assert "0000000000" not in result.err
    assert content(data_home) == before


@pytest.mark.parametrize("text", ["1e400", "-1e400", "inf", "nan", "1e-05"])
def test_non_finite_or_too_precise_float_fit_score_is_refused(cli, case, tmp_path, data_home, text):
    """TOML floats that are not a plain score (1e400 is read as infinity) are refused with a Danish
    message; nothing of the meeting is saved."""
    before = content(data_home)
    path = tmp_path / "moede.toml"
    path.write_text(f'dato = "{dt.date.today().isoformat()}"\nforaeldre_deltog = true\n'
                    f'[[fit]]\nhvem = "Mor"\nskema = "ORS"\npoint = [{text}, 5, 5, 5]\n', encoding="utf-8")
    result = fails(cli, 2, "møde", "hold", case, "--answers", str(path))
    assert "Skala 1" in flat(result.err)
    assert "inf" not in result.err.lower().replace("information", "") and "nan" not in result.err.lower()
    assert content(data_home) == before


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_fit_scores_are_refused(cli, case, tmp_path, data_home, literal):
    """Guard: Python's json reads NaN and Infinity; they are refused as scores, nothing saved."""
    before = content(data_home)
    path = tmp_path / "moede.json"
    path.write_text('{"dato": "%s", "foraeldre_deltog": true, "fit": [{"hvem": "Mor", "skema": "ORS", '
                    '"point": [%s, 5, 5, 5]}]}' % (dt.date.today().isoformat(), literal), encoding="utf-8")
    result = fails(cli, 2, "møde", "hold", case, "--answers", str(path))
    assert "Skala 1" in flat(result.err)
    assert content(data_home) == before


def test_plain_fit_scores_still_work(cli, case, tmp_path):
    """Control: whole numbers, floats with one decimal and Danish decimal commas are taken."""
    path = write_meeting_file(tmp_path, held_today(fit=[fit("ORS", [6, 7.5, "8,5", 10])]))
    ok(cli, "møde", "hold", case, "--answers", str(path))
    scores = plan_json(cli, case)["fit"][0]["punkter"][-1]
    assert scores["point"] == [6.0, 7.5, 8.5, 10.0] and scores["total"] == 32.0


def test_non_number_score_with_a_cpr_number_is_not_echoed(cli, case, tmp_path, data_home):
    """Guard: a score that is not a number is named without echoing it when it holds a CPR number."""
    before = content(data_home)
    path = write_meeting_file(tmp_path, held_today(fit=[fit("ORS", ["010203-1234", 5, 5, 5])]))
    result = fails(cli, 2, "møde", "hold", case, "--answers", str(path))
    assert "010203" not in result.err and "Skala 1" in flat(result.err)
    assert content(data_home) == before


def test_child_age_with_thousands_of_digits_is_no_age():
    """An age group written by hand with a 5000-digit number: int() refused it in English."""
    from rettidig_cli.domain import fit as fit_module

    assert fit_module.child_age("9" * 5000 + " år") is None
    assert fit_module.child_age("3-4 år") == 3


# ================================================================ 2. answers files


def answers_limits() -> dict:
    return LIMITS["answers"]


@pytest.mark.parametrize("suffix, opening", [(".toml", "a = "), (".json", "")])
@pytest.mark.parametrize("depth", [100_000, 60])
def test_deeply_nested_answers_file_is_a_usage_error(cli, tmp_path, data_home, suffix, opening, depth):
    """100,000 nested lists gave RecursionError (exit 70); a file deeper than the limit is refused too."""
    path = tmp_path / f"svar{suffix}"
    body = "[" * depth + "]" * depth
    path.write_text(opening + body if suffix == ".toml" else '{"a": ' + body + "}", encoding="utf-8")
    result = fails(cli, 2, "new", "--guide", "resen", "--answers", str(path))
    assert f"højst {answers_limits()['max_depth']}" in flat(result.err)
    assert str(path) in flat(result.err).replace(" ", "") or path.name in result.err
    assert not (data_home / "rettidig.db").exists() or "Ny sag" not in result.out


def test_deeply_nested_meeting_file_is_a_usage_error(cli, case, tmp_path, data_home):
    before = content(data_home)
    path = tmp_path / "moede.json"
    path.write_text('{"referat": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    fails(cli, 2, "møde", "hold", case, "--answers", str(path))
    assert content(data_home) == before


def test_answers_file_over_the_size_limit_is_refused_before_it_is_read(cli, tmp_path, monkeypatch):
    limit = answers_limits()["max_file_bytes"]
    path = tmp_path / "svar.toml"
    path.write_text("# " + "x" * limit + "\n", encoding="utf-8")
    read = []
    original = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: read.append(self) or original(self, *a, **k))
    result = fails(cli, 2, "new", "--guide", "resen", "--answers", str(path))
    assert "for stor" in flat(result.err)
    assert path not in read  # never read whole


def test_answers_file_at_the_size_limit_is_read(cli, tmp_path):
    """Control: a file of exactly the limit is read (and refused for its content, not its size)."""
    limit = answers_limits()["max_file_bytes"]
    path = tmp_path / "svar.toml"
    path.write_text("# " + "x" * (limit - 3) + "\n", encoding="utf-8")
    assert path.stat().st_size == limit
    result = fails(cli, 2, "new", "--guide", "resen", "--answers", str(path))
    assert "for stor" not in flat(result.err)


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_number_of_thousands_of_digits_in_answers_file_is_named(cli, tmp_path, suffix):
    """Python refuses int() of more than 4300 digits with an English ValueError; the file is
    valid JSON/TOML, so the message says what is wrong instead of 'not valid JSON'."""
    path = tmp_path / f"svar{suffix}"
    number = "9" * 5000
    path.write_text('{"a": %s}' % number if suffix == ".json" else f"a = {number}\n", encoding="utf-8")
    result = fails(cli, 2, "new", "--guide", "resen", "--answers", str(path))
    assert "cifre" in flat(result.err)
    assert "99999999" not in result.err


def test_limits_file_documents_the_answers_limits():
    """The new keys have Danish comments for IT and the municipality's authors."""
    text = (ROOT / "data" / "limits.toml").read_text(encoding="utf-8")
    section = text.split("[answers]", 1)[1].split("\n[", 1)[0]
    assert "svarfil" in section.lower() and "# " in section
    assert answers_limits()["max_file_bytes"] >= 100_000 and answers_limits()["max_depth"] >= 10


# ================================================================ 3. indstillinger.toml


def write_settings(home: Path, text: str) -> Path:
    path = home / "indstillinger.toml"
    keep = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("kryptering")]
    path.write_text("\n".join(keep + [text]) + "\n", encoding="utf-8")
    return path


BAD_PERIODS = pytest.mark.parametrize(
    "value", ["0", "-3", "1000000000000", '"12"', "12.5", "9" * 5000, "[[[[1]]]]"],
    ids=["nul", "negativ", "10^12", "tekst", "decimal", "5000-cifre", "liste"])
PERIOD_KEYS = pytest.mark.parametrize("key", ["lukkede_sager_maaneder", "log_maaneder"])


def names_file_key_and_fix(result, path: Path, key: str, value: str) -> None:
    message = flat(result.err)
    assert str(path) in message.replace(" ", "") or str(path) in message
    if value == "9" * 5000:
        assert "alt for mange cifre" in message and "Ret filen, eller slet den" in message
    else:
        assert f"«{key}»" in message and f"Ret «{key}» i filen, eller slet linjen" in message
    assert "99999999" not in result.err and "uventet" not in result.err


@PERIOD_KEYS
@BAD_PERIODS
def test_bad_retention_setting_is_refused_where_it_would_erase(cli, case, data_home, key, value):
    """A 5000-digit number gave exit 70, and 0, a negative number or 10**12 were taken (0 made every
    closed case due for erasure at once). `oprydning` erases by the periods: it refuses the file
    with exit 2, naming the file, the key and how to fix it, and erases nothing."""
    path = write_settings(data_home, f"{key} = {value}")
    before = content(data_home)
    result = fails(cli, 2, "oprydning", "--ja")
    names_file_key_and_fix(result, path, key, value)
    assert content(data_home) == before


@PERIOD_KEYS
@BAD_PERIODS
def test_bad_retention_setting_does_not_take_the_overview_down(cli, case, data_home, key, value):
    """`list` reads the periods only for its reminder: the overview is shown (exit 0), and the file is
    named in a warning with how to fix it; the default periods are used meanwhile."""
    path = write_settings(data_home, f"{key} = {value}")
    result = ok(cli, "list")
    assert case in result.out
    names_file_key_and_fix(result, path, key, value)
    assert "standardperioderne" in flat(result.err)


def test_bad_retention_setting_when_a_case_is_closed(cli, case, data_home):
    """`luk` tells how long the closed case is kept: the case is closed (exit 0), the file a warning."""
    path = write_settings(data_home, "lukkede_sager_maaneder = 0")
    result = ok(cli, "luk", case, "--grund", "Trivslen er genoprettet")
    names_file_key_and_fix(result, path, "lukkede_sager_maaneder", "0")
    assert "lukket i 12 måneder" in flat(result.out)


@pytest.mark.parametrize("text, said", [
    ("x = " + "[" * 40_000 + "]" * 40_000, "ikke gyldig TOML"),  # deeper than Python's recursion limit
    ("# " + "x" * 200_000, "for stor"),  # not a settings file: not read whole
], ids=["dyb", "stor"])
def test_broken_settings_file_is_a_danish_message(cli, case, data_home, text, said):
    write_settings(data_home, text)
    assert said in flat(fails(cli, 2, "oprydning", "--ja").err)
    assert said in flat(ok(cli, "list").err)


@pytest.mark.parametrize("key", ["lukkede_sager_maaneder", "log_maaneder"])
def test_retention_setting_in_range_is_used(cli, case, data_home, key):
    """Control: the bounds themselves are taken."""
    bounds = LIMITS["settings"]
    for months in (bounds["retention_months_min"], bounds["retention_months_max"]):
        write_settings(data_home, f"{key} = {months}")
        ok(cli, "list")


def test_remembering_an_out_of_range_period_is_refused(cli, data_home):
    """`oprydning --gem` would write a period that every later command refuses: refused at once."""
    before = (data_home / "indstillinger.toml").read_text(encoding="utf-8")
    result = fails(cli, 2, "oprydning", "--lukkede-efter", "1000000000000", "--gem", "--ja")
    high = LIMITS["settings"]["retention_months_max"]
    assert f"En opbevaringsperiode kan ikke gemmes i {data_home / 'indstillinger.toml'}: den skal være et helt antal " \
        f"måneder fra 1 til {high}." in flat(result.err)
    assert (data_home / "indstillinger.toml").read_text(encoding="utf-8") == before


# ================================================================ 4. a stored meeting in year 9999


def test_new_meeting_after_a_stored_meeting_in_year_9999(cli, case, data_home):
    """`møde ny` suggests the rhythm after the last planned meeting: after one in December 9999
    it overflowed (exit 70). Now that meeting is named as a probable typo, and the suggestion is
    counted from the plausible meetings."""
    plan = plan_json(cli, case)
    last = max(m["nr"] for m in plan["statusmoeder"])
    sql(data_home, "UPDATE meetings SET day = '9999-12-20' WHERE id = (SELECT max(id) FROM meetings)")
    result = cli(["møde", "ny", case], ENTER + ENTER + ENTER)
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    out = flat(result.out + result.err)
    assert "9999" in out and f"nr. {last}" in out
    saved = [m for m in plan_json(cli, case)["statusmoeder"] if m["nr"] == last + 1]
    assert saved and dt.date.fromisoformat(saved[0]["dato"]).year < 9999


def test_new_meeting_with_a_stored_rhythm_of_many_weeks(cli, case, data_home):
    """A stored rhythm of 10**15 weeks gave OverflowError; the guide's rhythm is used instead."""
    sql(data_home, "UPDATE answers SET value = json_set(value, '$.rytme_uger', 1000000000000000) "
                   "WHERE kind = 'status_meetings'")
    result = cli(["møde", "ny", case], ENTER + ENTER + ENTER)
    assert result.code == 0, result.err


def test_new_meeting_after_a_stored_day_that_is_not_a_date(cli, case, data_home):
    sql(data_home, "UPDATE meetings SET day = 'snart' WHERE id = (SELECT max(id) FROM meetings)")
    result = cli(["møde", "ny", case], ENTER + ENTER + ENTER)
    assert result.code == 0, result.err


def test_suggested_next_day_near_the_calendars_end(cli, case):
    """The function itself: a day past the plausible range is never the base of a suggestion."""
    from rettidig_cli.workflow import followup
    from rettidig_cli.commands.common import open_store

    store = open_store(None)
    row = store.case(case)
    guide = store.guide_for(row)
    for after in (dt.date(9999, 12, 31), dt.date(9999, 1, 1), dt.date.max - dt.timedelta(days=3)):
        day = followup.suggested_next_day(store, row, guide, after)
        assert dt.date.today() < day < dt.date.today() + dt.timedelta(weeks=60)
    store.close()


def test_move_a_meeting_whose_stored_day_is_not_a_date(cli, case, data_home):
    """`møde flyt` suggested the stored day through fromisoformat: a hand-written value gave exit 70.
    Now it is shown as it is, nothing is suggested, and the typed date moves the meeting."""
    sql(data_home, "UPDATE meetings SET day = '1-2-2026x' WHERE id = (SELECT min(id) FROM meetings)")
    new_day = dt.date.today() + dt.timedelta(days=30)
    while not is_working_day(new_day):
        new_day += dt.timedelta(days=1)
    # the first planned meeting (the odd value sorts first), the new date, time and reason as
    # suggested, and yes to the move
    keys = ENTER + f"{new_day.day}-{new_day.month}-{new_day.year}" + ENTER + ENTER + ENTER + ENTER
    result = cli(["møde", "flyt", case], keys)
    assert result.code == 0, result.err
    assert "ligger 1-2-2026x" in flat(result.out)
    assert new_day.isoformat() in [m["dato"] for m in plan_json(cli, case)["statusmoeder"]]


# ================================================================ 5. one limit for the number of meetings


def test_number_of_status_meetings_comes_from_limits_toml(cli, tmp_path, monkeypatch):
    """The most status meetings at once is count_max in data/limits.toml (it was a copy in wizard.py)."""
    from rettidig_cli.guide import reference
    from rettidig_cli.workflow import wizard

    lowered = reference.limits()._replace(meeting_count=(1, 3))
    monkeypatch.setattr(reference, "limits", lambda: lowered)
    assert wizard.max_meetings() == 3
    result = fails(cli, 2, "new", "--guide", "resen", "--answers",
                   str(answers_with(tmp_path, statusmoeder={"rytme_uger": 4, "antal": 4})))
    assert "antal skal være et helt tal fra 1 til 3" in flat(result.err)


def answers_with(tmp_path: Path, **changes) -> Path:
    from test_followup_commands import example_answers

    data = example_answers()
    data.update(changes)
    path = tmp_path / "svar.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


# ================================================================ 6. the error classes


def test_case_error_classes_live_in_errors_with_their_exit_codes():
    from rettidig_cli.domain import errors
    from rettidig_cli.views import plan

    assert plan.CaseGuideError is errors.CaseGuideError and plan.CaseUnreadableError is errors.CaseUnreadableError
    assert errors.CaseGuideError("x").exit_code == 3 and errors.CaseUnreadableError("x").exit_code == 4
    assert errors.CaseUnreadableError("m", reason="r").reason == "r"
    for cls in (errors.CaseGuideError, errors.CaseUnreadableError):
        assert "exit" in cls.__doc__.lower() or str(cls.exit_code) in cls.__doc__


# ================================================================ hand-written values elsewhere


@pytest.mark.parametrize("statement", [
    "UPDATE fit_scores SET items = '[1, 2' ",
    "UPDATE fit_scores SET total = 'mange'",
    "UPDATE meetings SET attended = '{{' WHERE state = 'afholdt'",
])
def test_history_of_a_case_with_a_hand_written_value_is_a_danish_message(cli, case, tmp_path, data_home, statement):
    """`historik` read stored JSON and numbers without a guard: exit 70. Now it says which case
    cannot be shown (exit 4, as `plan` does) and changes nothing."""
    ok(cli, "møde", "hold", case, "--answers",
       str(write_meeting_file(tmp_path, held_today(fit=[fit("ORS", [6, 7, 8, 9])]))))
    sql(data_home, statement)
    result = fails(cli, 4, "historik", case)
    assert f"Sag {case} kan ikke vises" in flat(result.err)


def test_anonymous_day_of_a_stored_value_that_is_not_a_date():
    """An anonymous document turned every stored date into month and year with fromisoformat;
    a hand-written value gave ValueError. Now it is the anonymous date word, never the value."""
    from rettidig_cli.domain.anonymize import Plain, Redactor
    from rettidig_cli.guide.reference import document_rules

    words = document_rules().anonymous
    redactor = Redactor(words, "Ida Hansen", [])
    assert redactor.day("2026-03-03") == "marts 2026"
    for value in ("snart", "3/3-2026 hos Ida", 20260303, "9999-99-99"):
        assert redactor.day(value) == words.date
    assert Redactor(words, "Ida", [], exact_dates=True).day("snart") == words.date
    assert Plain().day("snart") == "snart"


def test_document_meeting_table_with_a_stored_day_that_is_not_a_date():
    from rettidig_cli.views import documents

    from types import SimpleNamespace

    from rettidig_cli.views.model import Meeting

    meeting = Meeting(nr=1, kind="Statusmøde", day="snart", time="14:00", participants=["Mor"], status="planlagt",
                      moved_from=None, reason="", status_meeting=True, held_on=None, attended=None,
                      parents_present=None, absence_reason="", minutes="", cancel_reason="", changes=0)
    builder = documents._Builder.__new__(documents._Builder)
    builder.plan = SimpleNamespace(meetings=lambda: [meeting])
    rows = builder.meetings(None)[0]["raekker"]
    assert rows[0][1] == "snart"


@pytest.mark.parametrize("total", ["9e999", "-9e999", "-5", "1000"],
                         ids=["uendelig", "minus-uendelig", "negativ", "stor"])
def test_plan_chart_of_a_hand_written_fit_total(cli, case, tmp_path, data_home, total):
    """The FIT chart turned each stored total into a bar length with round(): an infinite total
    (SQLite reads 9e999 as infinity) gave OverflowError (exit 70). Now the bar stops at the edge.
    Control: a negative or too large finite total was drawn before too."""
    ok(cli, "møde", "hold", case, "--answers",
       str(write_meeting_file(tmp_path, held_today(fit=[fit("ORS", [6, 7, 8, 9])]))))
    sql(data_home, f"UPDATE fit_scores SET total = {total}")
    result = cli(["plan", case])
    assert result.code in (0, 4), result.err
    assert "uventet" not in result.err


def test_chart_keeps_every_bar_within_the_chart():
    from rettidig_cli.domain import fit as fit_module

    points = [{"dato": "2026-03-03", "total": t, "under_graense": False}
              for t in (float("inf"), float("-inf"), float("nan"), -5.0, 100.0, 20.0)]
    entry = {"max": 40, "graense": 25.0, "punkter": points}
    lengths = [r["laengde"] for r in fit_module.chart(entry, 40)["raekker"]]
    assert lengths == [40, 0, 0, 0, 40, 20]
