"""The follow-up commands without a terminal: every value comes from flags or a meeting file
(`observation`, `faktor`, `aftale`, `tovholder`, `placering`, `møde`, `eskaler`, `luk`,
`genåbn`, `historik`, `list`). Everything runs through the real entry point (cli.main) via the
`cli` fixture, and each effect is checked where a user would see it (`plan --json`,
`historik --json`, `list --json`) or in the data file itself.

Dates are computed from today's date and moved off weekends and Danish holidays, so the tests
do not depend on the day they run."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path

import holidays
import pytest

from conftest import EXAMPLES, danish_long, query
from helpers import assert_no_traceback, flat, ok, plan_json

RESEN_EXAMPLE = EXAMPLES / "resen-svar.toml"
IKAST_EXAMPLE = EXAMPLES / "ikast-svar.toml"
CPR = "010203-1234"

# Public holidays and the customary closing days (both guides skip the optional ones too).
CLOSED_DAYS = holidays.Denmark(categories=("public", "optional"), language="da")

RESEN_DONE = "Hold statusmøderne med forældrene som aftalt"  # start of the Resen guide's completion text
SAGSBEHANDLER_STEP = "Hvem er sagsbehandler, og hvornår er hun/han inddraget?"


# ---------------------------------------------------------------- dates


def today() -> dt.date:
    return dt.date.today()


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in CLOSED_DAYS


def working_day(days_ahead: int = 0) -> dt.date:
    """The first plain working day at least `days_ahead` days from today."""
    day = today() + dt.timedelta(days=days_ahead)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def past_working_day() -> dt.date:
    day = today() - dt.timedelta(days=1)
    while not is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def next_week_working_day() -> dt.date:
    """A working day in next ISO week (there is always one, even around Christmas)."""
    day = today() - dt.timedelta(days=today().weekday()) + dt.timedelta(weeks=1)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def future_saturday() -> dt.date:
    day = today() + dt.timedelta(days=7)
    return day + dt.timedelta(days=(5 - day.weekday()) % 7)


def future_weekday_on(month: int, day_of_month: int) -> dt.date:
    """The next date with this month and day that is in the future and falls on a weekday."""
    year = today().year
    while True:
        day = dt.date(year, month, day_of_month)
        if day > today() and day.weekday() < 5:
            return day
        year += 1


def danish(day: dt.date) -> str:
    """How a practitioner types a date: 3-3-2026."""
    return f"{day.day}-{day.month}-{day.year}"


# ---------------------------------------------------------------- running the CLI


def fails(cli, code: int, *args: str):
    result = cli(list(args))
    assert result.code == code, f"exit {result.code}\nout: {result.out}\nerr: {result.err}"
    assert_no_traceback(result)
    return result


def history_json(cli, code: str) -> list[dict]:
    return json.loads(ok(cli, "historik", code, "--json").out)


def listing(cli, *flags: str) -> list[dict]:
    return json.loads(ok(cli, "list", "--json", *flags).out)


def meeting(plan: dict, nr: int) -> dict:
    return next(m for m in plan["statusmoeder"] + plan["andre_moeder"] if m["nr"] == nr)


# ---------------------------------------------------------------- the data file


def content(home: Path) -> dict[str, list[dict]]:
    """Every saved record, all tables but the audit log (reads are logged, and that is fine)."""
    tables = [r["name"] for r in query(home, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {t: query(home, f'SELECT * FROM "{t}" ORDER BY rowid') for t in tables if t != "audit_log"}


def all_bytes(home: Path) -> bytes:
    """Every byte rettidig left in its data folder (db, WAL, SHM)."""
    return b"".join(p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file())


def last_audit_id(home: Path) -> int:
    return query(home, "SELECT coalesce(max(id), 0) AS n FROM audit_log")[0]["n"]


def changes_since(home: Path, audit_id: int) -> list[tuple]:
    """Audit rows written after audit_id, leaving out the plain reads."""
    rows = query(home, "SELECT action, case_code, detail FROM audit_log WHERE id > ? AND action != 'læs' "
                       "ORDER BY id", (audit_id,))
    return [(r["action"], r["case_code"], r["detail"]) for r in rows]


# ---------------------------------------------------------------- cases


def example_answers(path: Path = RESEN_EXAMPLE) -> dict:
    """An example answers file with its meetings and deadlines moved relative to today:
    three status meetings 2, 6 and 10 weeks ahead, agreements due in two months."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    keep = {k: v for k, v in data["statusmoeder"].items() if k in ("tidspunkt", "deltagere")}
    data["statusmoeder"] = {**keep, "datoer": [working_day(days).isoformat() for days in (14, 42, 70)]}
    for agreement in data["aftaler"]:
        if "senest" in agreement:
            agreement["senest"] = (today() + dt.timedelta(days=60)).isoformat()
    return data


def create_case(cli, tmp_path: Path, guide: str = "resen", **changes) -> str:
    data = example_answers(RESEN_EXAMPLE if guide == "resen" else IKAST_EXAMPLE)
    data.update(changes)
    path = tmp_path / f"svar-{guide}-{len(list(tmp_path.glob('svar-*')))}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = ok(cli, "new", "--guide", guide, "--answers", str(path)).out
    return out.split("Ny sag: ", 1)[1].split()[0]


@pytest.fixture
def case(cli, tmp_path) -> str:
    """A finished Resen case (lille sag, tovholder Ali Demir, position «bekymring»,
    two agreements, three planned status meetings)."""
    return create_case(cli, tmp_path)


def write_meeting_file(tmp_path: Path, data: dict, name: str = "moede.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def held_today(**fields) -> dict:
    """A minimal meeting file for Resen: held today with the parents there."""
    data = {"dato": today().isoformat(), "foraeldre_deltog": True}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def fit(skema: str, point: list, hvem: str = "Mor") -> dict:
    return {"hvem": hvem, "skema": skema, "point": point}


# ================================================================ observation and faktor


def test_observation_with_all_flags_is_added(cli, case, data_home):
    """An observation from flags is saved with its own date, method and observer."""
    seen = today() - dt.timedelta(days=3)
    result = ok(cli, "observation", case, "--hvad", "Leger alene ved sandkassen", "--dato", danish(seen),
                "--metode", "TRAS", "--hvem", "Pædagog Sara")
    assert "Observationen er gemt" in flat(result.out)
    assert {"dato": seen.isoformat(), "hvad": "Leger alene ved sandkassen", "metode": "TRAS",
            "hvem": "Pædagog Sara"} in plan_json(cli, case)["observationer"]


def test_observation_date_defaults_to_today(cli, case):
    """Without --dato the observation is dated today."""
    ok(cli, "observation", case, "--hvad", "Siger tre ord i træk")
    added = [o for o in plan_json(cli, case)["observationer"] if o["hvad"] == "Siger tre ord i træk"]
    assert added == [{"dato": today().isoformat(), "hvad": "Siger tre ord i træk", "metode": "", "hvem": ""}]


def test_risk_factor_is_added(cli, case):
    """Resen has no factors step: the shared factor kinds are used, shown by their label."""
    ok(cli, "faktor", case, "--type", "risiko", "--tekst", "Mange skift i hverdagen")
    assert plan_json(cli, case)["faktorer"] == [{"type": "Risikofaktor", "tekst": "Mange skift i hverdagen"}]


def test_unknown_factor_type_is_refused(cli, case, data_home):
    """A factor type that is not listed is refused and nothing is saved."""
    before = content(data_home)
    result = fails(cli, 2, "faktor", case, "--type", "farlig", "--tekst", "Noget")
    assert "trivselstegn, risiko, beskyttelse" in flat(result.err)
    assert content(data_home) == before


def test_factor_with_only_some_flags_needs_a_terminal(cli, case):
    """Without a terminal, a missing flag is named instead of asked for."""
    result = fails(cli, 6, "faktor", case, "--tekst", "Mange skift")
    assert "--type" in flat(result.err)


# ================================================================ aftaler


def test_new_agreement_gets_the_next_number(cli, case):
    """`aftale ny` adds agreement nr. 3 with status «aftalt» and its due date."""
    due = today() + dt.timedelta(days=20)
    result = ok(cli, "aftale", "ny", case, "--hvad", "Tale med PPR", "--hvem", "Leder", "--senest", danish(due))
    assert "Aftale nr. 3 er gemt" in flat(result.out)
    third = plan_json(cli, case)["aftaler"][2]
    assert third["nr"] == 3
    assert (third["hvad"], third["hvem"], third["senest"], third["status"]) == (
        "Tale med PPR", "Leder", due.isoformat(), "aftalt")
    assert third["historik"] == []


def test_agreement_status_changes_are_kept_as_history(cli, case):
    """Each status change is added to the agreement's history with today's date and the note."""
    ok(cli, "aftale", "status", case, "1", "--status", "i gang", "--note", "Startet i mandags")
    ok(cli, "aftale", "status", case, "1", "--status", "udført")
    agreement = plan_json(cli, case)["aftaler"][0]
    assert agreement["status"] == "udført"
    assert [(h["dato"], h["status"], h["note"], h["moede_id"]) for h in agreement["historik"]] == [
        (today().isoformat(), "i gang", "Startet i mandags", None),
        (today().isoformat(), "udført", "", None),
    ]


def test_giving_up_an_agreement_requires_a_note(cli, case, data_home):
    """«opgivet» without a note is refused; the agreement keeps its status."""
    before = content(data_home)
    result = fails(cli, 2, "aftale", "status", case, "2", "--status", "opgivet")
    assert "skal udfyldes" in flat(result.err)
    assert content(data_home) == before
    ok(cli, "aftale", "status", case, "2", "--status", "opgivet", "--note", "Forældrene har ikke tid")
    assert plan_json(cli, case)["aftaler"][1]["status"] == "opgivet"


def test_same_status_without_note_is_refused(cli, case, data_home):
    """Setting the status an agreement already has says nothing new, unless there is a note."""
    before = content(data_home)
    result = fails(cli, 2, "aftale", "status", case, "1", "--status", "aftalt")
    assert "allerede status «aftalt»" in flat(result.err)
    assert content(data_home) == before
    ok(cli, "aftale", "status", case, "1", "--status", "aftalt", "--note", "Udskudt til efter jul")
    assert plan_json(cli, case)["aftaler"][0]["historik"][-1]["note"] == "Udskudt til efter jul"


def test_unknown_agreement_status_is_refused(cli, case, data_home):
    """Only the four statuses are accepted, and the message lists them."""
    before = content(data_home)
    message = flat(fails(cli, 2, "aftale", "status", case, "1", "--status", "færdig").err)
    for status in ("aftalt", "i gang", "udført", "opgivet"):
        assert status in message
    assert content(data_home) == before


def test_unknown_agreement_number_is_not_found(cli, case):
    """An agreement number the case does not have exits with NotFound (5)."""
    result = fails(cli, 5, "aftale", "status", case, "9", "--status", "udført")
    assert "ingen aftale nr. 9" in flat(result.err)


def test_agreement_status_without_status_flag_needs_a_terminal(cli, case):
    """Without --status and no terminal to ask in: exit 6."""
    fails(cli, 6, "aftale", "status", case, "1")


# ================================================================ tovholder and placering


def test_new_tovholder_keeps_the_previous_one_in_history(cli, case, data_home):
    """The new tovholder shows in the plan; the old one stays in the tovholders table and history."""
    ok(cli, "tovholder", case, "--navn", "Sara Jensen", "--rolle", "ressourcepædagog")
    assert plan_json(cli, case)["tovholder"] == {"navn": "Sara Jensen", "rolle": "ressourcepædagog"}
    rows = query(data_home, "SELECT name, role, since FROM tovholders ORDER BY id")
    assert [(r["name"], r["role"]) for r in rows] == [("Ali Demir", "pædagog"), ("Sara Jensen", "ressourcepædagog")]
    assert rows[-1]["since"] == today().isoformat()
    texts = [e["tekst"] for e in history_json(cli, case) if e["type"] == "Tovholder"]
    assert "Sara Jensen (ressourcepædagog) overtager som tovholder efter Ali Demir." in texts


def test_same_tovholder_is_refused(cli, case, data_home):
    """Naming the current tovholder again (any letter case) changes nothing."""
    before = content(data_home)
    result = fails(cli, 2, "tovholder", case, "--navn", "ali demir", "--rolle", "pædagog")
    assert "allerede tovholder" in flat(result.err)
    assert content(data_home) == before


def test_position_change_with_reason(cli, case):
    """A new position on the ruler becomes the current one; the earlier one stays in its history."""
    ok(cli, "placering", case, "--placering", "udsat", "--begrundelse", "Sagsbehandler er inddraget")
    plan = plan_json(cli, case)
    assert plan["placering"]["id"] == "udsat"
    assert plan["placering"]["label"] == "Udsat barn"
    assert plan["placering"]["begrundelse"] == "Sagsbehandler er inddraget"
    assert [h["id"] for h in plan["linealen"]["historik"]] == ["bekymring", "udsat"]


def test_position_can_be_given_by_its_label(cli, case):
    """--placering accepts the label as well as the id."""
    ok(cli, "placering", case, "--placering", "I trivsel", "--begrundelse", "Sproget er kommet")
    assert plan_json(cli, case)["placering"]["id"] == "trivsel"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--placering", "udsat"], "begrundelse"),
        (["--placering", "bekymring", "--begrundelse", "Uændret"], "står allerede på «Bekymringsbarn»"),
        (["--placering", "grøn", "--begrundelse", "x"], "trivsel, bekymring, udsat"),
    ],
    ids=["no-reason", "same-position", "unknown-position"],
)
def test_position_change_refused(cli, case, data_home, args, message):
    """Once a position exists a reason is required, the same position is refused, and so is an unknown id."""
    before = content(data_home)
    result = fails(cli, 2, "placering", case, *args)
    assert message in flat(result.err)
    assert content(data_home) == before


def test_position_on_a_guide_without_ruler_is_refused(cli, tmp_path):
    """Ikast-Brande has no Børnelineal: the command says so."""
    code = create_case(cli, tmp_path, guide="ikast-brande-dagtilbud")
    result = fails(cli, 2, "placering", code, "--placering", "udsat", "--begrundelse", "x")
    assert "ingen børnelineal" in flat(result.err)


# ================================================================ møde ny


def test_new_meeting_with_defaults(cli, case):
    """Default time from the guide (14:00) and the participants of the last status meeting."""
    day = working_day(21)
    result = ok(cli, "møde", "ny", case, "--dato", danish(day))
    assert f"Statusmøde {danish_long(day)} kl. 14.00 er gemt" in flat(result.out)
    new = meeting(plan_json(cli, case), 4)
    assert (new["dato"], new["tidspunkt"], new["status"], new["status_moede"]) == (
        day.isoformat(), "14:00", "planlagt", True)
    assert new["deltagere"] == meeting(plan_json(cli, case), 3)["deltagere"]


def test_new_meeting_with_time_and_participants(cli, case):
    """Resen: the parents always take part, so they are put first."""
    ok(cli, "møde", "ny", case, "--dato", working_day(21).isoformat(), "--tid", "8.30",
       "--deltagere", "Ali Demir, Sundhedsplejerske")
    new = meeting(plan_json(cli, case), 4)
    assert new["tidspunkt"] == "08:30"
    assert new["deltagere"] == ["Forældre", "Ali Demir", "Sundhedsplejerske"]


def test_moede_is_an_alias_for_moede(cli, case):
    """The hidden `moede` alias (keyboards without ø) runs the same commands."""
    ok(cli, "moede", "ny", case, "--dato", working_day(21).isoformat())
    assert len(plan_json(cli, case)["statusmoeder"]) == 4


def test_meeting_next_week_shows_in_the_morning_view(cli, case):
    """A status meeting next week makes the case «snart» in `list`."""
    assert listing(cli)[0]["niveau_navn"] == "i gang"
    day = next_week_working_day()
    ok(cli, "møde", "ny", case, "--dato", day.isoformat())
    row = listing(cli)[0]
    assert row["naeste_statusmoede"] == day.isoformat()
    assert (row["niveau"], row["niveau_navn"]) == (2, "snart")
    assert f"Statusmøde næste uge: {danish_long(day)}" in row["opgaver"]


BAD_MEETING_DAYS = [
    pytest.param(lambda: future_saturday().isoformat(), "er en lørdag", id="saturday"),
    pytest.param(lambda: future_weekday_on(12, 25).isoformat(), "Juledag", id="christmas-day"),
    pytest.param(lambda: future_weekday_on(12, 24).isoformat(), "Juleaftensdag", id="christmas-eve-optional"),
    pytest.param(lambda: past_working_day().isoformat(), "er overstået", id="past"),
    pytest.param(lambda: "31-2-2026", "«31-2-2026» findes ikke i kalenderen", id="no-such-date"),
    pytest.param(lambda: "i overovermorgen", "er ikke en dato", id="not-a-date"),
]


@pytest.mark.parametrize(("day", "message"), BAD_MEETING_DAYS)
def test_new_meeting_on_a_bad_day_is_refused(cli, case, data_home, day, message):
    """Meetings are on working days that are not holidays, and not in the past."""
    before = content(data_home)
    result = fails(cli, 2, "møde", "ny", case, "--dato", day())
    assert message in flat(result.err)
    assert content(data_home) == before


def test_new_meeting_with_bad_time_is_refused(cli, case, data_home):
    """A time that does not exist is refused and nothing is saved."""
    before = content(data_home)
    result = fails(cli, 2, "møde", "ny", case, "--dato", working_day(21).isoformat(), "--tid", "25.00")
    assert "ikke et klokkeslæt" in flat(result.err)
    assert content(data_home) == before


# ================================================================ møde flyt and møde aflys


def test_move_meeting_with_confirmation(cli, case):
    """`--ja` moves the meeting; the plan shows where it came from and why."""
    old = meeting(plan_json(cli, case), 1)["dato"]
    new_day = working_day(28)
    result = ok(cli, "møde", "flyt", case, "1", "--dato", danish(new_day), "--grund", "Ferie", "--ja")
    assert f"flyttet til {danish_long(new_day)}" in flat(result.out)
    moved = meeting(plan_json(cli, case), 1)
    assert (moved["dato"], moved["flyttet_fra"], moved["grund"], moved["tidspunkt"]) == (
        new_day.isoformat(), old, "Ferie", "14:00")
    texts = [e["tekst"] for e in history_json(cli, case)]
    old_long = danish_long(dt.date.fromisoformat(old))
    assert f"Statusmøde nr. 1 flyttet fra {old_long} til {danish_long(new_day)} (Ferie)." in texts


def test_move_without_ja_and_without_terminal_moves_nothing(cli, case, data_home):
    """Without --ja the move must be confirmed in a terminal: exit 6, meeting unchanged."""
    before = content(data_home)
    result = fails(cli, 6, "møde", "flyt", case, "1", "--dato", working_day(28).isoformat())
    assert "--ja" in flat(result.err)
    assert content(data_home) == before


@pytest.mark.parametrize(("day", "message"), BAD_MEETING_DAYS)
def test_move_to_a_bad_day_is_refused(cli, case, data_home, day, message):
    """A meeting is only moved to a working day that is not a holiday or in the past."""
    before = content(data_home)
    result = fails(cli, 2, "møde", "flyt", case, "1", "--dato", day(), "--ja")
    assert message in flat(result.err)
    assert content(data_home) == before


def test_move_to_the_same_day_and_time_is_refused(cli, case):
    """Moving to where the meeting already is, is refused."""
    same = meeting(plan_json(cli, case), 1)["dato"]
    result = fails(cli, 2, "møde", "flyt", case, "1", "--dato", same, "--ja")
    assert "ligger allerede" in flat(result.err)


def test_move_unknown_meeting_is_not_found(cli, case):
    """A meeting number the case does not have exits with NotFound (5)."""
    fails(cli, 5, "møde", "flyt", case, "9", "--dato", working_day(28).isoformat(), "--ja")


def test_cancel_meeting(cli, case):
    """A cancelled meeting keeps its reason, and the next status meeting becomes the following one."""
    second = meeting(plan_json(cli, case), 2)["dato"]
    result = ok(cli, "møde", "aflys", case, "1", "--ja", "--grund", "Forældrene er bortrejst")
    assert "er aflyst" in flat(result.out)
    plan = plan_json(cli, case)
    cancelled = meeting(plan, 1)
    assert (cancelled["status"], cancelled["aflyst_grund"]) == ("aflyst", "Forældrene er bortrejst")
    assert plan["naeste_statusmoede"]["dato"] == second


def test_cancel_without_ja_and_without_terminal_cancels_nothing(cli, case, data_home):
    """Without --ja the cancellation must be confirmed in a terminal: exit 6."""
    before = content(data_home)
    fails(cli, 6, "møde", "aflys", case, "1")
    assert content(data_home) == before


@pytest.mark.parametrize("command", [["aflys", "--ja"], ["flyt", "--dato", "+28", "--ja"]], ids=["aflys", "flyt"])
def test_a_cancelled_meeting_cannot_be_changed(cli, case, data_home, command):
    """A cancelled meeting can be neither cancelled again nor moved."""
    ok(cli, "møde", "aflys", case, "1", "--ja")
    before = content(data_home)
    args = [working_day(28).isoformat() if a == "+28" else a for a in command[1:]]
    result = fails(cli, 2, "møde", command[0], case, "1", *args)
    assert "er aflyst og kan ikke ændres" in flat(result.err)
    assert content(data_home) == before


# ================================================================ møde hold


def test_hold_meeting_from_toml_file(cli, case, tmp_path, data_home):
    """A whole status meeting from a TOML file: attendance, FIT, agreement status, position,
    new agreement, referat and the next meeting."""
    nxt = working_day(28)
    due = today() + dt.timedelta(days=30)
    path = tmp_path / "moede.toml"
    path.write_text(f"""\
dato = {today().isoformat()}
deltagere = "Ali Demir, Sundhedsplejerske"
foraeldre_deltog = true
referat = "Sproget går fremad; fortsæt dialogisk læsning."
naeste_moede = "{danish(nxt)}"

[[fit]]
hvem = "Mor"
skema = "ORS"
point = "6,5 7 8 9,5"

[[aftaler]]
nr = 1
status = "i gang"
note = "Kører to gange om ugen"

[placering]
placering = "trivsel"
begrundelse = "Legen fungerer igen"

[[nye_aftaler]]
hvad = "Tale med PPR"
hvem = "Leder"
senest = "{due.isoformat()}"
""", encoding="utf-8")
    result = ok(cli, "møde", "hold", case, "--answers", str(path))
    assert "Statusmødet er registreret" in flat(result.out)

    plan = plan_json(cli, case)
    held = meeting(plan, 1)
    assert held["status"] == "afholdt"
    assert held["holdt_dato"] == today().isoformat()
    assert held["deltog"] == ["Forældre", "Ali Demir", "Sundhedsplejerske"]
    assert held["foraeldre_deltog"] is True
    assert held["referat"] == "Sproget går fremad; fortsæt dialogisk læsning."

    held_id = query(data_home, "SELECT id FROM meetings WHERE state = 'afholdt'")[0]["id"]
    first = plan["aftaler"][0]
    assert first["status"] == "i gang"
    assert first["historik"] == [{"dato": today().isoformat(), "status": "i gang",
                                  "note": "Kører to gange om ugen", "moede_id": held_id}]
    assert plan["aftaler"][1]["historik"] == []  # not mentioned in the file: unchanged
    assert [(a["nr"], a["hvad"], a["senest"]) for a in plan["aftaler"][2:]] == [(3, "Tale med PPR", due.isoformat())]

    assert plan["placering"]["id"] == "trivsel"
    assert plan["placering"]["dato"] == today().isoformat()
    assert [f["skema"] for f in plan["fit"]] == ["ORS"]
    assert plan["fit"][0]["punkter"][0]["total"] == 31.0
    assert meeting(plan, 4)["dato"] == nxt.isoformat()
    assert plan["naeste_statusmoede"]["dato"] == nxt.isoformat()


@pytest.mark.parametrize(("points", "total", "below"), [([5, 5, 5, 5], 20.0, True), ([7, 6, 6, 7], 26.0, False)])
def test_ors_scores_are_judged_against_cutoff_25(cli, case, tmp_path, points, total, below):
    """ORS has a cut-off of 25: below it the plan flags the score and warns."""
    ok(cli, "møde", "hold", case, "--answers", str(write_meeting_file(tmp_path, held_today(fit=[fit("ORS", points)]))))
    (entry,) = plan_json(cli, case)["fit"]
    assert (entry["skema"], entry["type"], entry["hvem"], entry["graense"]) == ("ORS", "outcome", "Mor", 25)
    assert entry["punkter"][0]["total"] == total
    assert entry["punkter"][0]["under_graense"] is below
    assert any("under grænsen på 25" in w for w in entry["advarsler"]) is below


@pytest.mark.parametrize(("points", "warned"), [([8, 8, 8, 9], True), ([9, 9, 9, 9.5], False)])
def test_srs_below_36_gives_an_alliance_warning(cli, case, tmp_path, points, warned):
    """SRS (alliance) under 36 asks the meeting to talk about the cooperation."""
    ok(cli, "møde", "hold", case, "--answers", str(write_meeting_file(tmp_path, held_today(fit=[fit("SRS", points)]))))
    (entry,) = plan_json(cli, case)["fit"]
    assert (entry["skema"], entry["type"], entry["graense"]) == ("SRS", "alliance", 36)
    if warned:
        assert len(entry["advarsler"]) == 1
        assert entry["advarsler"][0].startswith("SRS (Mor) er under 36")
        assert "samarbejdet" in entry["advarsler"][0]
    else:
        assert entry["advarsler"] == []


def test_fit_scores_from_two_meetings_make_one_series(cli, case, tmp_path):
    """The second meeting's ORS joins the first one's series (same form, same respondent)."""
    ok(cli, "møde", "hold", case, "1", "--answers",
       str(write_meeting_file(tmp_path, held_today(fit=[fit("ORS", [4, 4, 4, 4])]), "m1.json")))
    ok(cli, "møde", "hold", case, "2", "--answers",
       str(write_meeting_file(tmp_path, held_today(fit=[fit("ORS", [8, 8, 8, 8], hvem="mor")]), "m2.json")))
    (entry,) = plan_json(cli, case)["fit"]
    assert [p["total"] for p in entry["punkter"]] == [16.0, 32.0]
    assert entry["vurdering"] == "Pålidelig forbedring siden første måling"


def test_parents_absent_requires_a_reason_on_resen(cli, case, tmp_path, data_home):
    """Resen: the parents always take part, so their absence needs a reason (fravaer_grund)."""
    before = content(data_home)
    path = write_meeting_file(tmp_path, held_today(foraeldre_deltog=False))
    result = fails(cli, 2, "møde", "hold", case, "--answers", str(path))
    assert "Hvorfor deltog forældrene ikke" in flat(result.err)
    assert content(data_home) == before


def test_parents_attendance_must_be_answered_on_resen(cli, case, tmp_path, data_home):
    """Resen: a meeting file must say whether the parents took part."""
    before = content(data_home)
    path = write_meeting_file(tmp_path, {"dato": today().isoformat()})
    result = fails(cli, 2, "møde", "hold", case, "--answers", str(path))
    assert "foraeldre_deltog" in flat(result.err)
    assert content(data_home) == before


def test_parents_absent_with_reason(cli, case, tmp_path):
    """With a reason the meeting is held; the parents are left out of who took part."""
    path = write_meeting_file(tmp_path, held_today(foraeldre_deltog=False, fravaer_grund="Syg",
                                                   deltagere="Forældre, Ali Demir"))
    ok(cli, "møde", "hold", case, "--answers", str(path))
    held = meeting(plan_json(cli, case), 1)
    assert (held["foraeldre_deltog"], held["fravaer_grund"], held["deltog"]) == (False, "Syg", ["Ali Demir"])
    texts = [e["tekst"] for e in history_json(cli, case)]
    assert "Statusmøde nr. 1 er holdt. Deltog: Ali Demir. Forældrene deltog ikke: Syg." in texts


def test_parents_absent_keeps_staff_whose_names_start_like_mor_or_far(cli, case, tmp_path):
    """Staff called Morten or Farida are not the parents and must stay in the attendance."""
    path = write_meeting_file(tmp_path, held_today(foraeldre_deltog=False, fravaer_grund="Syg",
                                                   deltagere="Morten Holm, Farida Ali"))
    ok(cli, "møde", "hold", case, "--answers", str(path))
    assert meeting(plan_json(cli, case), 1)["deltog"] == ["Morten Holm", "Farida Ali"]


def test_parents_attendance_is_optional_on_ikast(cli, tmp_path):
    """Ikast-Brande does not require the parents at every meeting: no question, no reason needed."""
    code = create_case(cli, tmp_path, guide="ikast-brande-dagtilbud")
    path = write_meeting_file(tmp_path, {"dato": today().isoformat()})
    ok(cli, "møde", "hold", code, "--answers", str(path))
    held = meeting(plan_json(cli, code), 1)
    assert held["status"] == "afholdt"
    assert held["foraeldre_deltog"] is None
    assert held["deltog"] == ["Forældre", "Mette Hansen", "ressourcepædagog"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"fit": [fit("ORS", [5, 5, 5, 11])]}, "fra 0 til 10"),
        ({"fit": [fit("ORS", [5, 5, 5])]}, "ORS har 4 skalaer"),
        ({"fit": [fit("XYZ", [5, 5, 5, 5])]}, "skema skal være en af: ORS, CORS, YCORS, SRS, CSRS"),
        ({"referatet": "stavefejl"}, "ukendt felt «referatet»"),
        ({"aftaler": [{"nr": 7, "status": "udført"}]}, "aftale nr. 7 er ikke en åben aftale"),
        ({"aftaler": [{"nr": 1, "status": "opgivet"}]}, "skal udfyldes"),
        ({"placering": {"placering": "bekymring", "begrundelse": "x"}}, "står allerede på"),
        ({"placering": {"placering": "udsat"}}, "begrundelse"),
        ({"nye_aftaler": [{"hvad": "Noget"}]}, "Hvem skal udfyldes"),
        ({"naeste_moede": "SATURDAY"}, "er en lørdag"),
        ({"naeste_moede": "31-2-2026"}, "findes ikke i kalenderen"),
        ({"dato": "FUTURE"}, "er ikke kommet endnu"),
        ({"fit": {"hvem": "Mor"}}, "fit skal være en liste"),
    ],
    ids=["fit-above-10", "fit-three-items", "fit-unknown-form", "unknown-field", "agreement-not-open",
         "opgivet-without-note", "same-position", "position-without-reason", "new-agreement-without-who",
         "next-on-saturday", "next-no-such-date", "held-in-the-future", "fit-not-a-list"],
)
def test_bad_meeting_file_saves_nothing(cli, case, tmp_path, data_home, changes, message):
    """A mistake anywhere in the meeting file is named, and nothing of the meeting is saved."""
    replace = {"SATURDAY": future_saturday().isoformat(), "FUTURE": working_day(1).isoformat()}
    changes = {k: replace.get(v, v) if isinstance(v, str) else v for k, v in changes.items()}
    before = content(data_home)
    path = write_meeting_file(tmp_path, held_today(referat="Et godt møde", **changes))
    result = fails(cli, 2, "møde", "hold", case, "--answers", str(path))
    assert message in flat(result.err)
    assert content(data_home) == before


def test_malformed_meeting_file_saves_nothing(cli, case, tmp_path, data_home):
    """A meeting file that is not valid TOML is named as such; nothing is saved."""
    before = content(data_home)
    path = tmp_path / "moede.toml"
    path.write_text('dato = "i dag"\nreferat = "ikke afsluttet\n', encoding="utf-8")
    result = fails(cli, 2, "møde", "hold", case, "--answers", str(path))
    assert "ikke gyldig TOML" in flat(result.err)
    assert content(data_home) == before


def test_hold_without_answers_needs_a_terminal(cli, case):
    """`møde hold` without --answers and no terminal: exit 6, naming --answers."""
    result = fails(cli, 6, "møde", "hold", case)
    assert "--answers" in flat(result.err)


def test_holding_a_cancelled_meeting_is_refused(cli, case, tmp_path, data_home):
    """A cancelled meeting cannot be registered as held."""
    ok(cli, "møde", "aflys", case, "1", "--ja")
    before = content(data_home)
    result = fails(cli, 2, "møde", "hold", case, "1", "--answers", str(write_meeting_file(tmp_path, held_today())))
    assert "er aflyst" in flat(result.err)
    assert content(data_home) == before


def test_hold_without_number_takes_the_earliest_planned_meeting(cli, case, tmp_path):
    """Without NR the earliest planned status meeting is the one held."""
    ok(cli, "møde", "aflys", case, "1", "--ja")
    ok(cli, "møde", "hold", case, "--answers", str(write_meeting_file(tmp_path, held_today())))
    plan = plan_json(cli, case)
    assert [meeting(plan, nr)["status"] for nr in (1, 2, 3)] == ["aflyst", "afholdt", "planlagt"]


# ================================================================ eskaler


def test_escalation_to_stor_sag(cli, case):
    """lille → stor: the consequences are printed, the new guide steps become the next step."""
    before = plan_json(cli, case)
    assert before["faerdig"] is True
    assert before["naeste_skridt"]["trin"].startswith(RESEN_DONE)

    out = flat(ok(cli, "eskaler", case, "--til", "stor", "--begrundelse", "Socialt betinget").out)
    assert "Stor sag betyder" in out
    assert "En sagsbehandler inddrages så tidligt som muligt." in out
    assert "Sagen kommer på det tværfaglige teammøde." in out
    assert "Nye trin i guiden" in out and "Sagsbehandler" in out and "Tværfagligt teammøde" in out
    assert f"rettidig resume {case}" in out

    after = plan_json(cli, case)
    assert after["faerdig"] is False
    assert after["naeste_skridt"]["trin"] == SAGSBEHANDLER_STEP
    assert after["fase"]["id"] == "vurdering"
    (decision,) = [d for d in after["beslutninger"] if d["trin"] == "sagstype"]
    assert decision["valg"] == ["Stor sag"]
    assert decision["begrundelse"] == "Socialt betinget"
    assert [t["valg"] for t in decision["tidligere"]] == ["Lille sag"]
    texts = [e["tekst"] for e in history_json(cli, case)]
    assert "Sagen er optrappet: Lille sag → Stor sag. Begrundelse: Socialt betinget" in texts


def test_escalation_is_possible_only_once(cli, case, data_home):
    """A stor sag cannot be escalated again (Resen has no heavier option)."""
    ok(cli, "eskaler", case, "--til", "stor", "--begrundelse", "Socialt betinget")
    before = content(data_home)
    result = fails(cli, 2, "eskaler", case, "--til", "stor", "--begrundelse", "Igen")
    assert "kan ikke optrappes nu" in flat(result.err)
    assert content(data_home) == before


def test_escalation_to_unknown_option_is_refused(cli, case, data_home):
    """--til must be an option the case can be escalated to now; the message lists them."""
    before = content(data_home)
    result = fails(cli, 2, "eskaler", case, "--til", "kæmpe", "--begrundelse", "x")
    assert "Muligt nu: stor" in flat(result.err)
    assert content(data_home) == before


def test_escalation_without_flags_needs_a_terminal(cli, case):
    """--til without --begrundelse and no terminal: exit 6."""
    fails(cli, 6, "eskaler", case, "--til", "stor")


def test_escalated_case_is_found_by_its_new_phase(cli, case):
    """After escalation the case is back in the «Lille sag eller stor sag» phase in `list`."""
    assert listing(cli, "--fase", "vurdering") == []
    ok(cli, "eskaler", case, "--til", "stor", "--begrundelse", "Socialt betinget")
    assert [r["kode"] for r in listing(cli, "--fase", "vurdering")] == [case]
    assert [r["kode"] for r in listing(cli, "--fase", "2")] == [case]


# ================================================================ luk and genåbn


def test_closing_cancels_planned_meetings_and_hides_the_case(cli, case):
    """`luk` closes the case with its reason, cancels the meetings from today, and `list` hides it."""
    result = ok(cli, "luk", case, "--grund", "trivslen er genoprettet")
    out = flat(result.out)
    assert f"Sag {case} er lukket: Trivslen er genoprettet." in out  # matched to the listed reason
    assert f"rettidig genåbn {case}" in out
    plan = plan_json(cli, case)
    assert plan["status"] == "lukket"
    assert plan["lukket"] == {"dato": today().isoformat(), "grund": "Trivslen er genoprettet", "opsummering": ""}
    for m in plan["statusmoeder"]:
        assert (m["status"], m["aflyst_grund"]) == ("aflyst", "Sagen er lukket")
        assert danish_long(dt.date.fromisoformat(m["dato"])) in out
    assert plan["naeste_statusmoede"] is None
    assert plan["forsinket"] == []

    assert listing(cli) == []
    for flag in ("--alle", "--lukkede"):
        (row,) = listing(cli, flag)
        assert (row["kode"], row["status"], row["niveau_navn"], row["opgaver"]) == (case, "lukket", "lukket", [])


def test_list_lukkede_shows_only_closed_cases(cli, tmp_path):
    """`list` shows open cases, --lukkede only closed ones, --alle both."""
    open_case = create_case(cli, tmp_path)
    closed_case = create_case(cli, tmp_path)
    ok(cli, "luk", closed_case, "--grund", "Barnet er flyttet")
    assert [r["kode"] for r in listing(cli)] == [open_case]
    assert [r["kode"] for r in listing(cli, "--lukkede")] == [closed_case]
    assert sorted(r["kode"] for r in listing(cli, "--alle")) == sorted([open_case, closed_case])


def test_closing_keeps_meetings_held_before(cli, case, tmp_path):
    """Only planned meetings are cancelled; a held meeting stays held."""
    ok(cli, "møde", "hold", case, "--answers", str(write_meeting_file(tmp_path, held_today())))
    ok(cli, "luk", case, "--grund", "Overgået til anden indsats")
    plan = plan_json(cli, case)
    assert [meeting(plan, nr)["status"] for nr in (1, 2, 3)] == ["afholdt", "aflyst", "aflyst"]


CHANGES_TO_A_CASE = [
    ["observation", "{case}", "--hvad", "Noget nyt"],
    ["faktor", "{case}", "--type", "risiko", "--tekst", "Noget"],
    ["aftale", "ny", "{case}", "--hvad", "Noget", "--hvem", "Ali"],
    ["aftale", "status", "{case}", "1", "--status", "udført"],
    ["tovholder", "{case}", "--navn", "Sara Jensen"],
    ["placering", "{case}", "--placering", "udsat", "--begrundelse", "x"],
    ["møde", "ny", "{case}", "--dato", "{day}"],
    ["møde", "flyt", "{case}", "1", "--dato", "{day}", "--ja"],
    ["møde", "aflys", "{case}", "1", "--ja"],
    ["møde", "hold", "{case}", "1", "--answers", "{file}"],
    ["eskaler", "{case}", "--til", "stor", "--begrundelse", "x"],
    ["luk", "{case}", "--grund", "Andet"],
]


def fill(args: list[str], **values) -> list[str]:
    return [a.format(**values) for a in args]


@pytest.mark.parametrize("args", CHANGES_TO_A_CASE, ids=lambda a: " ".join(a[:2]).replace(" {case}", ""))
def test_a_closed_case_refuses_changes(cli, case, tmp_path, data_home, args):
    """Every change to a closed case exits 2 and says how to reopen it; nothing is saved."""
    meeting_file = write_meeting_file(tmp_path, held_today())
    ok(cli, "luk", case, "--grund", "Barnet er flyttet")
    before = content(data_home)
    result = fails(cli, 2, *fill(args, case=case, day=working_day(21).isoformat(), file=meeting_file))
    message = flat(result.err)
    assert "er lukket" in message
    assert f"rettidig genåbn {case}" in message
    assert content(data_home) == before


def test_a_closed_case_can_still_be_read(cli, case):
    """`plan` and `historik` still work on a closed case."""
    ok(cli, "luk", case, "--grund", "Barnet er flyttet")
    assert plan_json(cli, case)["kode"] == case
    assert "Sagen er lukket: Barnet er flyttet" in [e["tekst"] for e in history_json(cli, case)]


@pytest.mark.parametrize("command", ["genåbn", "genaabn"])
def test_reopening_a_case(cli, case, command):
    """`genåbn` (or `genaabn`) opens the case again; its cancelled meetings stay cancelled."""
    ok(cli, "luk", case, "--grund", "Barnet er flyttet")
    result = ok(cli, command, case, "--grund", "Barnet er flyttet tilbage")
    assert f"rettidig møde ny {case}" in flat(result.out)
    plan = plan_json(cli, case)
    assert (plan["status"], plan["lukket"]) == ("åben", None)
    assert {m["status"] for m in plan["statusmoeder"]} == {"aflyst"}
    assert [r["kode"] for r in listing(cli)] == [case]
    assert "Sagen er genåbnet: Barnet er flyttet tilbage" in [e["tekst"] for e in history_json(cli, case)]
    ok(cli, "observation", case, "--hvad", "Tilbage på stuen")  # changes are allowed again


def test_reopening_an_open_case_is_refused(cli, case):
    """An open case cannot be reopened."""
    result = fails(cli, 2, "genåbn", case, "--grund", "x")
    assert "allerede åben" in flat(result.err)


@pytest.mark.parametrize("command", [["luk"], ["genåbn"]])
def test_close_and_reopen_without_reason_need_a_terminal(cli, case, command):
    """Without --grund and no terminal to ask in: exit 6."""
    if command == ["genåbn"]:
        ok(cli, "luk", case, "--grund", "Andet")
    result = fails(cli, 6, *command, case)
    assert "--grund" in flat(result.err)


def test_closing_with_an_empty_reason_is_refused(cli, case, data_home):
    """A blank reason for closing is refused; the case stays open."""
    before = content(data_home)
    result = fails(cli, 2, "luk", case, "--grund", "  ")
    assert "skal udfyldes" in flat(result.err)
    assert content(data_home) == before


@pytest.mark.parametrize("command", [["eskaler", "--til", "stor", "--begrundelse", " "], ["genåbn", "--grund", " "]],
                         ids=["eskaler", "genåbn"])
def test_empty_reason_is_a_usage_error(cli, case, data_home, command):
    """A required reason left empty is the user's mistake (exit 2), not an unexpected error."""
    if command[0] == "genåbn":
        ok(cli, "luk", case, "--grund", "Andet")
    before = content(data_home)
    result = fails(cli, 2, command[0], case, *command[1:])
    assert "skal udfyldes" in flat(result.err)
    assert content(data_home) == before


# ================================================================ historik and list


def test_history_is_oldest_first(cli, case):
    """Entries are sorted by the day things happened: an observation dated back comes first."""
    seen = dt.date(2020, 1, 6)  # before every date in the example answers
    ok(cli, "observation", case, "--hvad", "Tidlig iagttagelse", "--dato", seen.isoformat())
    ok(cli, "aftale", "status", case, "1", "--status", "i gang")
    entries = history_json(cli, case)
    keys = [(e["dato"], e["registreret"]) for e in entries]
    assert keys == sorted(keys)
    assert (entries[0]["dato"], entries[0]["type"], entries[0]["tekst"]) == (
        seen.isoformat(), "Observation", "Tidlig iagttagelse")
    assert {"dato", "registreret", "type", "tekst", "detalje"} <= set(entries[-1])
    assert "Aftale nr. 1 er nu «i gang»." in [e["tekst"] for e in entries]


def test_history_as_a_table(cli, case):
    """Without --json the history is printed as a table."""
    out = flat(ok(cli, "historik", case).out)
    assert f"Historik for sag {case}" in out
    assert "Sagen er oprettet" in out


@pytest.mark.parametrize(
    "args",
    [["historik", "RT-2099-999"], ["observation", "RT-2099-999", "--hvad", "x"], ["luk", "RT-2099-999", "--grund", "x"],
     ["møde", "aflys", "RT-2099-999", "1", "--ja"], ["genåbn", "RT-2099-999", "--grund", "x"]],
    ids=lambda a: " ".join(a[:2]),
)
def test_unknown_case_is_not_found(cli, args):
    """An unknown case code exits with NotFound (5), for reading and changing alike."""
    result = fails(cli, 5, *args)
    assert "RT-2099-999" in flat(result.err) and "findes ikke" in flat(result.err)


def test_list_rows_have_level_and_tasks(cli, case):
    """A case with nothing pressing is «i gang» with no tasks."""
    (row,) = listing(cli)
    assert row["kode"] == case
    assert (row["niveau"], row["niveau_navn"], row["opgaver"]) == (4, "i gang", [])
    assert row["tovholder"] == "Ali Demir"
    assert row["placering"] == "Bekymringsbarn"


def test_overdue_agreement_puts_the_case_first(cli, tmp_path):
    """An agreement past its due date makes the case «overskredet» and moves it to the top."""
    calm = create_case(cli, tmp_path, guide="ikast-brande-dagtilbud")
    late = create_case(cli, tmp_path)
    assert [r["kode"] for r in listing(cli)] == [calm, late]
    yesterday = today() - dt.timedelta(days=1)
    ok(cli, "aftale", "ny", late, "--hvad", "Ringe til PPR", "--hvem", "Leder", "--senest", yesterday.isoformat())
    rows = listing(cli)
    assert [r["kode"] for r in rows] == [late, calm]
    assert (rows[0]["niveau"], rows[0]["niveau_navn"]) == (0, "overskredet")
    assert any("Ringe til PPR" in t for t in rows[0]["opgaver"])
    assert any("Aftale nr. 3 «Ringe til PPR»" in t for t in rows[0]["forsinket"])
    ok(cli, "aftale", "status", late, "3", "--status", "udført")
    assert listing(cli)[0]["kode"] == calm


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--tovholder", "mette"], ["ikast"]),
        (["--tovholder", "ALI"], ["resen"]),
        (["--tilbud", "vuggestue"], ["resen"]),
        (["--tilbud", "Dagpleje"], []),
        (["--fase", "trin-2"], ["resen"]),
        (["--fase", "5"], ["ikast"]),
        (["--fase", "tværfaglige"], ["ikast"]),  # a finished case is still found by its last phase's title
    ],
    ids=["tovholder", "tovholder-any-case", "tilbud", "tilbud-none", "fase-id", "fase-number", "fase-title"],
)
def test_list_filters(cli, tmp_path, flags, expected):
    """--tovholder (part of the name), --tilbud and --fase (number, id or part of the title), without regard to case."""
    codes = {"ikast": create_case(cli, tmp_path, guide="ikast-brande-dagtilbud"),
             "resen": create_case(cli, tmp_path,
                                  barn={"navn": "C.D.", "aldersgruppe": "1-2 år", "tilbud": "Vuggestue"})}
    assert sorted(r["kode"] for r in listing(cli, *flags)) == sorted(codes[e] for e in expected)


# ================================================================ the audit log


SECRET = "Zebrastribe"  # a word that must never reach the audit log

AUDITED = [
    pytest.param([], ["observation", "{case}", "--hvad", SECRET], ("ændre", "observations"), id="observation"),
    pytest.param([], ["faktor", "{case}", "--type", "risiko", "--tekst", SECRET], ("ændre", "factors"), id="faktor"),
    pytest.param([], ["aftale", "ny", "{case}", "--hvad", SECRET, "--hvem", "Ali"], ("ændre", "agreements"),
                 id="aftale-ny"),
    pytest.param([], ["aftale", "status", "{case}", "1", "--status", "i gang", "--note", SECRET],
                 ("ændre", "aftale-status"), id="aftale-status"),
    pytest.param([], ["tovholder", "{case}", "--navn", SECRET], ("ændre", "tovholder"), id="tovholder"),
    pytest.param([], ["placering", "{case}", "--placering", "udsat", "--begrundelse", SECRET],
                 ("ændre", "placering"), id="placering"),
    pytest.param([], ["møde", "ny", "{case}", "--dato", "{day}", "--deltagere", SECRET], ("ændre", "møde-ny"),
                 id="møde-ny"),
    pytest.param([], ["møde", "flyt", "{case}", "1", "--dato", "{day}", "--grund", SECRET, "--ja"],
                 ("ændre", "møde-flyt"), id="møde-flyt"),
    pytest.param([], ["møde", "aflys", "{case}", "1", "--grund", SECRET, "--ja"], ("ændre", "møde-aflys"),
                 id="møde-aflys"),
    pytest.param([], ["eskaler", "{case}", "--til", "stor", "--begrundelse", SECRET], ("ændre", "eskaler"),
                 id="eskaler"),
    pytest.param([], ["luk", "{case}", "--grund", SECRET], ("luk", ""), id="luk"),
    pytest.param([["luk", "{case}", "--grund", "Andet"]], ["genåbn", "{case}", "--grund", SECRET], ("genåbn", ""),
                 id="genåbn"),
]


@pytest.mark.parametrize(("setup", "args", "expected"), AUDITED)
def test_each_change_writes_one_audit_row_without_content(cli, case, data_home, setup, args, expected):
    """One audit row per change: the kind of action and the case code, never what was written."""
    values = {"case": case, "day": working_day(21).isoformat()}
    for step in setup:
        ok(cli, *fill(step, **values))
    start = last_audit_id(data_home)
    ok(cli, *fill(args, **values))
    assert changes_since(data_home, start) == [(expected[0], case, expected[1])]
    assert SECRET in json.dumps(content(data_home), ensure_ascii=False)  # the change itself was saved
    assert SECRET not in json.dumps(query(data_home, "SELECT * FROM audit_log"), ensure_ascii=False)


def test_holding_a_meeting_audits_each_part_without_content(cli, case, tmp_path, data_home):
    """Each saved part of a held meeting gets its audit row; none holds what was written."""
    start = last_audit_id(data_home)
    data = held_today(referat=SECRET, fit=[fit("ORS", [5, 5, 5, 5]), fit("SRS", [9, 9, 9, 9])],
                      aftaler=[{"nr": 1, "status": "i gang", "note": SECRET}],
                      placering={"placering": "trivsel", "begrundelse": SECRET},
                      nye_aftaler=[{"hvad": SECRET, "hvem": "Leder"}], naeste_moede=working_day(28).isoformat())
    ok(cli, "møde", "hold", case, "--answers", str(write_meeting_file(tmp_path, data)))
    rows = changes_since(data_home, start)
    assert {(action, code) for action, code, _ in rows} == {("ændre", case)}
    assert sorted(detail for _, _, detail in rows) == sorted(
        ["møde-holdt", "fit", "fit", "aftale-status", "placering", "agreements", "møde-referat", "møde-ny"])
    assert SECRET not in json.dumps(query(data_home, "SELECT * FROM audit_log"), ensure_ascii=False)


# ================================================================ CPR numbers and bad dates


CPR_TEXT = f"Barnet har cpr {CPR} ifølge mor"

CPR_COMMANDS = [
    pytest.param([], ["observation", "{case}", "--hvad", CPR_TEXT], id="observation-hvad"),
    pytest.param([], ["observation", "{case}", "--hvad", "x", "--hvem", f"Ali {CPR}"], id="observation-hvem"),
    pytest.param([], ["observation", "{case}", "--hvad", "x", "--metode", CPR_TEXT], id="observation-metode"),
    pytest.param([], ["observation", "{case}", "--hvad", "x", "--dato", CPR], id="observation-dato"),
    pytest.param([], ["faktor", "{case}", "--type", "risiko", "--tekst", CPR_TEXT], id="faktor"),
    pytest.param([], ["aftale", "ny", "{case}", "--hvad", CPR_TEXT, "--hvem", "Ali"], id="aftale-hvad"),
    pytest.param([], ["aftale", "ny", "{case}", "--hvad", "x", "--hvem", f"Ali {CPR}"], id="aftale-hvem"),
    pytest.param([], ["aftale", "status", "{case}", "1", "--status", "i gang", "--note", CPR_TEXT],
                 id="aftale-status-note"),
    pytest.param([], ["tovholder", "{case}", "--navn", f"Sara {CPR}"], id="tovholder-navn"),
    pytest.param([], ["tovholder", "{case}", "--navn", "Sara", "--rolle", CPR], id="tovholder-rolle"),
    pytest.param([], ["placering", "{case}", "--placering", "udsat", "--begrundelse", CPR_TEXT], id="placering"),
    pytest.param([], ["møde", "ny", "{case}", "--dato", "{day}", "--deltagere", f"Ali, {CPR}"], id="møde-ny"),
    pytest.param([], ["møde", "flyt", "{case}", "1", "--dato", "{day}", "--grund", CPR_TEXT, "--ja"],
                 id="møde-flyt"),
    pytest.param([], ["luk", "{case}", "--grund", CPR_TEXT], id="luk"),
    pytest.param([], ["møde", "aflys", "{case}", "1", "--grund", CPR_TEXT, "--ja"], id="møde-aflys"),
    pytest.param([], ["eskaler", "{case}", "--til", "stor", "--begrundelse", CPR_TEXT], id="eskaler"),
    pytest.param([["luk", "{case}", "--grund", "Andet"]], ["genåbn", "{case}", "--grund", CPR_TEXT],
                 id="genåbn"),
]


def assert_cpr_refused(result, home: Path, before: dict) -> None:
    assert "CPR" in flat(result.err)
    assert CPR not in result.err + result.out  # never echoed back
    assert content(home) == before
    stored = all_bytes(home)
    assert CPR.encode() not in stored
    assert CPR.replace("-", "").encode() not in stored


@pytest.mark.parametrize(("setup", "args"), CPR_COMMANDS)
def test_cpr_number_is_refused_in_every_flag(cli, case, data_home, setup, args):
    """A CPR number in any free-text flag is refused (exit 2) and never reaches the data file."""
    values = {"case": case, "day": working_day(21).isoformat()}
    for step in setup:
        ok(cli, *fill(step, **values))
    before = content(data_home)
    result = fails(cli, 2, *fill(args, **values))
    assert_cpr_refused(result, data_home, before)


@pytest.mark.parametrize(
    "changes",
    [
        {"deltagere": f"Ali, {CPR}"},
        {"foraeldre_deltog": False, "fravaer_grund": CPR_TEXT},
        {"referat": CPR_TEXT},
        {"fit": [{"hvem": "Mor", "skema": "ORS", "point": [5, 5, 5, 5], "note": CPR_TEXT}]},
        {"fit": [{"hvem": f"Mor {CPR}", "skema": "ORS", "point": [5, 5, 5, 5]}]},
        {"aftaler": [{"nr": 1, "status": "i gang", "note": CPR_TEXT}]},
        {"placering": {"placering": "udsat", "begrundelse": CPR_TEXT}},
        {"nye_aftaler": [{"hvad": CPR_TEXT, "hvem": "Leder"}]},
        {"naeste_moede": CPR},
    ],
    ids=["deltagere", "fravaer_grund", "referat", "fit-note", "fit-hvem", "aftale-note", "placering",
         "nye_aftaler", "naeste_moede"],
)
def test_cpr_number_in_meeting_file_is_refused(cli, case, tmp_path, data_home, changes):
    """A CPR number anywhere in a meeting file is refused and never stored."""
    before = content(data_home)
    result = fails(cli, 2, "møde", "hold", case, "--answers", str(write_meeting_file(tmp_path, held_today(**changes))))
    assert_cpr_refused(result, data_home, before)


@pytest.mark.parametrize(
    "args",
    [
        ["observation", "{case}", "--hvad", "x", "--dato", "31-2-2026"],
        ["aftale", "ny", "{case}", "--hvad", "x", "--hvem", "Ali", "--senest", "31-2-2026"],
        ["møde", "ny", "{case}", "--dato", "31-2-2026"],
        ["møde", "flyt", "{case}", "1", "--dato", "31-2-2026", "--ja"],
    ],
    ids=lambda a: " ".join(a[:2]).replace(" {case}", ""),
)
def test_impossible_date_is_refused(cli, case, data_home, args):
    """31 February is named back to the user, and nothing is saved."""
    before = content(data_home)
    result = fails(cli, 2, *fill(args, case=case))
    assert "«31-2-2026» findes ikke i kalenderen" in flat(result.err)
    assert content(data_home) == before
