"""The follow-up commands asked interactively: every flag left out, so the questions are answered
with keystrokes through prompt_toolkit pipe input (conftest's `cli` fixture).

Each case is made quickly from eksempler/resen-svar.toml (Resen guide, lille sag, two open
agreements, Børnelineal "Bekymringsbarn", tovholder Ali Demir). The example's fixed dates are
replaced by dates computed from today, so nothing here depends on the day the tests run. The
effects are checked through `rettidig plan CODE --json` and `rettidig historik CODE --json`, and
the Danish text the commands print.

Without keys the fixture leaves terminal_available() False; the last tests check that every
command with a missing flag then stops with exit code 6 and names the flags in Danish.

The tests named after a bug (a hang, a dropped participant) guard against bugs found while writing them.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections import Counter

import pytest
from conftest import CTRL_C, DOWN, ENTER, EXAMPLES, UP, danish_long, is_working_day, working_day_on_or_after
from helpers import plan_json

CTRL_U = "\x15"  # erase everything before the cursor in a text prompt (its pre-filled default)

JA_FROM_NEJ = UP + ENTER  # a yes() whose default is Nej, answered Ja
NEJ_FROM_JA = DOWN + ENTER  # a yes() whose default is Ja, answered Nej

# agreements in the example case
AGREEMENT_1 = "Dialogisk læsning i lille gruppe"
AGREEMENT_2 = "Læse højt hver aften"


# ---------------------------------------------------------------- dates


def working_day_before(day: dt.date) -> dt.date:
    day -= dt.timedelta(days=1)
    while not is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def saturday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(5 - day.weekday()) % 7)


def dk(day: dt.date) -> str:
    """A date the way a practitioner types it: 3-3-2026."""
    return f"{day.day}-{day.month}-{day.year}"


def today() -> dt.date:
    return dt.date.today()


# ---------------------------------------------------------------- output helpers


def plain(out: str) -> str:
    """Rich output without panel and table borders, whitespace collapsed."""
    return " ".join(re.sub(r"[\u2500-\u257f]", " ", out).split())


def history(cli, code: str) -> list[dict]:
    result = cli(["historik", code, "--json"])
    assert result.code == 0, result.err
    return json.loads(result.out)


def history_texts(cli, code: str) -> list[str]:
    return [e["tekst"] for e in history(cli, code)]


def meeting(plan: dict, nr: int) -> dict:
    return next(m for m in plan["statusmoeder"] + plan["andre_moeder"] if m["nr"] == nr)


# ---------------------------------------------------------------- the example case


def resen_case(cli, tmp_path, start: dt.date | None = None, count: int = 3, rhythm: int = 4) -> str:
    """Create the Resen example case with its status meetings starting `start` (default: the
    first working day four weeks from now); returns the case code."""
    start = start or working_day_on_or_after(today() + dt.timedelta(weeks=4))
    text = (EXAMPLES / "resen-svar.toml").read_text(encoding="utf-8")
    text, found = re.subn(r'(?m)^start = ".*"$', f'start = "{start.isoformat()}"', text)
    assert found == 1
    text, found = re.subn(r"(?m)^antal = \d+$", f"antal = {count}", text)
    assert found == 1
    text, found = re.subn(r"(?m)^rytme_uger = \d+$", f"rytme_uger = {rhythm}", text)
    assert found == 1
    # the first agreement's due date, two weeks from now (so nothing is overdue)
    text, found = re.subn(r'(?m)^senest = ".*"$', f'senest = "{(today() + dt.timedelta(days=14)).isoformat()}"', text)
    assert found == 1
    answers = tmp_path / "resen-svar.toml"
    answers.write_text(text, encoding="utf-8")
    result = cli(["new", "--guide", "resen", "--answers", str(answers)])
    assert result.code == 0, result.err
    found = re.search(r"Ny sag: (RT-\d{4}-\d{3})", result.out)
    assert found, result.out
    assert found.group(1) == f"RT-{today().year}-001"
    return found.group(1)


@pytest.fixture
def case(cli, tmp_path) -> str:
    return resen_case(cli, tmp_path)


# ---------------------------------------------------------------- observation fixtures


@pytest.fixture
def screen(monkeypatch):
    """Everything prompt_toolkit draws (the questions and the final answers), as plain text."""
    import prompt_toolkit.output
    from prompt_toolkit.data_structures import Size
    from prompt_toolkit.output.plain_text import PlainTextOutput

    class WideOutput(PlainTextOutput):
        def get_size(self) -> Size:
            return Size(rows=60, columns=1000)

    buffer = io.StringIO()
    monkeypatch.setattr(prompt_toolkit.output, "DummyOutput", lambda: WideOutput(buffer))

    class Screen:
        def text(self) -> str:
            return buffer.getvalue()

    return Screen()


@pytest.fixture
def loop_guard(monkeypatch):
    """Stops a prompt loop that repeats the same message without asking anything new: the third
    time one message is said in a row, a KeyboardInterrupt ends the command (exit 130) instead of
    hanging the test run. `fired` tells whether it happened."""
    from rettidig_cli.ui import followup_prompts

    class Guard:
        def __init__(self):
            self.fired = False
            self.said: Counter = Counter()

    guard = Guard()
    original = followup_prompts.say

    def guarded_say(text, style=""):
        guard.said[text] += 1
        if guard.said[text] >= 3:
            guard.fired = True
            raise KeyboardInterrupt
        original(text, style)

    monkeypatch.setattr(followup_prompts, "say", guarded_say)
    return guard


# ================================================================ observation, aftale, tovholder


def test_observation_asked_interactively(cli, case, screen):
    """Date kept with ENTER (today), the text typed, a method chosen, the observer typed."""
    keys = (
        ENTER  # Dato for observationen: today
        + "Leger alene med klodser i 15 minutter" + ENTER
        + DOWN * 2 + ENTER  # Metode: TRAS, TRAS MO, Sprogvurdering
        + "Pædagog Ali" + ENTER
    )
    result = cli(["observation", case], keys)
    assert result.code == 0, result.err
    assert f"Observationen er gemt i sag {case}" in plain(result.out)
    assert "Dato for observationen:" in screen.text()
    assert "Hvad så du?" in screen.text()

    observations = plan_json(cli, case)["observationer"]
    assert {"dato": today().isoformat(), "hvad": "Leger alene med klodser i 15 minutter",
            "metode": "Sprogvurdering", "hvem": "Pædagog Ali"} in observations
    assert len(observations) == 2  # the example's one and this one


def test_observation_with_an_earlier_date_and_empty_text_refused(cli, case, refusals):
    """The pre-filled date is replaced; an empty observation is refused and asked again."""
    earlier = today() - dt.timedelta(days=3)
    keys = (
        CTRL_U + dk(earlier) + ENTER
        + ENTER  # empty: refused
        + "Peger i stedet for at spørge" + ENTER
        + ENTER  # TRAS
        + "-" + ENTER  # observer: left empty (the last observer is suggested)
    )
    result = cli(["observation", case], keys)
    assert result.code == 0, result.err
    assert len(refusals) == 1 and "Hvad du så" in refusals[0], refusals
    observations = plan_json(cli, case)["observationer"]
    assert {"dato": earlier.isoformat(), "hvad": "Peger i stedet for at spørge", "metode": "TRAS", "hvem": ""} \
        in observations


def test_new_agreement_asked_interactively(cli, case):
    due = today() + dt.timedelta(days=21)
    keys = "Øve farver og former med billedkort" + ENTER + "Pædagog Ali" + ENTER + dk(due) + ENTER
    result = cli(["aftale", "ny", case], keys)
    assert result.code == 0, result.err
    assert f"Aftale nr. 3 er gemt i sag {case}" in plain(result.out)

    agreements = plan_json(cli, case)["aftaler"]
    assert [(a["nr"], a["hvad"], a["hvem"], a["senest"], a["status"]) for a in agreements][-1] == (
        3, "Øve farver og former med billedkort", "Pædagog Ali", due.isoformat(), "aftalt")


def test_new_agreement_without_due_date(cli, case):
    keys = "Tale med sundhedsplejersken" + ENTER + "Leder" + ENTER + ENTER  # no due date
    result = cli(["aftale", "ny", case], keys)
    assert result.code == 0, result.err
    last = plan_json(cli, case)["aftaler"][-1]
    assert (last["hvad"], last["hvem"], last["senest"]) == ("Tale med sundhedsplejersken", "Leder", None)


def test_agreement_status_chosen_from_list(cli, case, screen):
    """Pick agreement 2 from the list, set it to 'udført' with a note."""
    keys = (
        DOWN + ENTER  # agreement 2
        + DOWN * 2 + ENTER  # status: aftalt -> i gang -> udført
        + "Forældrene læser hver aften nu" + ENTER
    )
    result = cli(["aftale", "status", case], keys)
    assert result.code == 0, result.err
    out = plain(result.out)
    assert f"Aftale 2: {AGREEMENT_2} (Forældrene) – nu: aftalt" in out
    assert f"Aftale nr. 2 har nu status «udført» i sag {case}" in out
    # the list offered both agreements with their status
    assert f"1. {AGREEMENT_1} (Pædagog Ali, aftalt)" in screen.text()
    assert f"2. {AGREEMENT_2} (Forældrene, aftalt)" in screen.text()

    agreements = plan_json(cli, case)["aftaler"]
    assert agreements[0]["status"] == "aftalt" and agreements[0]["historik"] == []
    assert agreements[1]["status"] == "udført"
    assert agreements[1]["historik"] == [
        {"dato": today().isoformat(), "status": "udført", "note": "Forældrene læser hver aften nu", "moede_id": None}]
    assert "Aftale nr. 2 er nu «udført». Forældrene læser hver aften nu" in history_texts(cli, case)


def test_agreement_status_opgivet_requires_a_note(cli, case, refusals):
    keys = (
        ENTER  # agreement 1
        + DOWN * 3 + ENTER  # opgivet
        + ENTER  # no note: refused
        + "Gruppen er lagt sammen med en anden" + ENTER
    )
    result = cli(["aftale", "status", case], keys)
    assert result.code == 0, result.err
    assert len(refusals) == 1 and refusals[0].startswith("Noten"), refusals
    first = plan_json(cli, case)["aftaler"][0]
    assert first["status"] == "opgivet"
    assert first["historik"][-1]["note"] == "Gruppen er lagt sammen med en anden"


def test_agreement_status_with_number_given_asks_only_status(cli, case):
    keys = DOWN + ENTER + ENTER  # i gang, no note
    result = cli(["aftale", "status", case, "1"], keys)
    assert result.code == 0, result.err
    agreements = plan_json(cli, case)["aftaler"]
    assert [a["status"] for a in agreements] == ["i gang", "aftalt"]


def test_tovholder_asked_interactively(cli, case, screen):
    keys = "Karin Holm" + ENTER + "ressourcepædagog" + ENTER
    result = cli(["tovholder", case], keys)
    assert result.code == 0, result.err
    out = plain(result.out)
    assert "Tovholder nu: Ali Demir" in out
    assert f"Karin Holm er nu tovholder i sag {case}" in out
    assert "Hvem er den nye tovholder?" in screen.text()

    assert plan_json(cli, case)["tovholder"] == {"navn": "Karin Holm", "rolle": "ressourcepædagog"}
    assert "Karin Holm (ressourcepædagog) overtager som tovholder efter Ali Demir." in history_texts(cli, case)


def test_tovholder_same_person_again_is_refused(cli, case):
    result = cli(["tovholder", case], "Ali Demir" + ENTER + "pædagog" + ENTER)
    assert result.code == 2
    assert "Ali Demir er allerede tovholder" in plain(result.err)
    assert plan_json(cli, case)["tovholder"] == {"navn": "Ali Demir", "rolle": "pædagog"}


# ================================================================ møde ny, flyt, aflys


def planned_status_days(plan: dict) -> list[dt.date]:
    return [dt.date.fromisoformat(m["dato"]) for m in plan["statusmoeder"] if m["status"] == "planlagt"]


def test_new_meeting_accepts_the_suggested_date(cli, case, screen):
    """The suggestion is the case's rhythm (4 weeks) after the last planned status meeting,
    moved to a working day; ENTER keeps it, the time and the participants."""
    last = max(planned_status_days(plan_json(cli, case)))
    suggested = working_day_on_or_after(last + dt.timedelta(weeks=4))
    result = cli(["møde", "ny", case], ENTER + ENTER + ENTER)
    assert result.code == 0, result.err
    assert f"Statusmøde {danish_long(suggested)} kl. 14.00 er gemt i sag {case}" in plain(result.out)
    assert re.search(r"Dato for statusmødet:\s*\(fx 3-3-2026", screen.text())
    assert "forældrene deltager altid" in screen.text()

    plan = plan_json(cli, case)
    new = plan["statusmoeder"][-1]
    assert (new["nr"], new["dato"], new["tidspunkt"], new["deltagere"], new["status"]) == (
        4, suggested.isoformat(), "14:00", ["Forældre"], "planlagt")


def test_new_meeting_with_a_typed_weekday_date_time_and_people(cli, case):
    day = working_day_on_or_after(today() + dt.timedelta(days=10))
    keys = CTRL_U + dk(day) + ENTER + CTRL_U + "8.30" + ENTER + CTRL_U + "Ali Demir, Leder" + ENTER
    result = cli(["møde", "ny", case], keys)
    assert result.code == 0, result.err
    assert f"Statusmøde {danish_long(day)} kl. 08.30 er gemt" in plain(result.out)
    new = next(m for m in plan_json(cli, case)["statusmoeder"] if m["nr"] == 4)
    assert (new["dato"], new["tidspunkt"]) == (day.isoformat(), "08:30")
    assert new["deltagere"] == ["Forældre", "Ali Demir", "Leder"]  # Resen: the parents always take part
    assert f"Statusmøde nr. 4 aftalt til {danish_long(day)}." in history_texts(cli, case)


def test_new_meeting_on_a_saturday_or_in_the_past_is_asked_again(cli, case, refusals):
    saturday = saturday_on_or_after(today() + dt.timedelta(days=1))
    past = working_day_before(today())
    day = working_day_on_or_after(saturday + dt.timedelta(days=1))
    keys = (CTRL_U + dk(saturday) + ENTER + CTRL_U + dk(past) + ENTER + CTRL_U + dk(day) + ENTER
            + ENTER + ENTER)
    result = cli(["møde", "ny", case], keys)
    assert result.code == 0, result.err
    assert refusals == [f"{danish_long(saturday)} er en lørdag. Vælg en hverdag.",
                        f"{danish_long(past)} er overstået. Vælg i dag eller en senere dag."]
    days = [m["dato"] for m in plan_json(cli, case)["statusmoeder"]]
    assert day.isoformat() in days and saturday.isoformat() not in days and past.isoformat() not in days


def move_keys(new_day: dt.date, time: str, reason: str, confirm: str, pick: str = ENTER,
              refused_first: dt.date | None = None) -> str:
    keys = pick  # "Hvilket møde skal flyttes?"
    if refused_first is not None:
        keys += CTRL_U + dk(refused_first) + ENTER  # refused: the date prompt stays open
    return keys + CTRL_U + dk(new_day) + ENTER + CTRL_U + time + ENTER + reason + ENTER + confirm


def test_move_meeting_refuses_a_saturday_then_moves_when_confirmed(cli, case, refusals, screen):
    before = plan_json(cli, case)
    first = meeting(before, 1)
    old = dt.date.fromisoformat(first["dato"])
    saturday = saturday_on_or_after(old + dt.timedelta(days=1))
    new_day = working_day_on_or_after(old + dt.timedelta(days=7))
    keys = move_keys(new_day, "9.30", "Forældrene er på ferie", ENTER, refused_first=saturday)
    result = cli(["møde", "flyt", case], keys)
    assert result.code == 0, result.err
    assert refusals == [f"{danish_long(saturday)} er en lørdag. Vælg en hverdag."]
    out = plain(result.out)
    assert f"Statusmøde nr. 1 ligger {danish_long(old)} kl. 14.00." in out
    assert f"Statusmøde nr. 1 er flyttet til {danish_long(new_day)} i sag {case}" in out
    assert f"Flyt statusmødet fra {danish_long(old)} til {danish_long(new_day)} kl. 09.30?" in screen.text()

    moved = meeting(plan_json(cli, case), 1)
    assert (moved["dato"], moved["tidspunkt"], moved["flyttet_fra"], moved["grund"], moved["status"]) == (
        new_day.isoformat(), "09:30", old.isoformat(), "Forældrene er på ferie", "planlagt")
    assert (f"Statusmøde nr. 1 flyttet fra {danish_long(old)} til {danish_long(new_day)} "
            "(Forældrene er på ferie).") in history_texts(cli, case)


def test_move_meeting_answered_nej_changes_nothing(cli, case):
    before = plan_json(cli, case)
    second = meeting(before, 2)
    new_day = working_day_on_or_after(dt.date.fromisoformat(second["dato"]) + dt.timedelta(days=2))
    result = cli(["møde", "flyt", case], move_keys(new_day, "14:00", "", NEJ_FROM_JA, pick=DOWN + ENTER))
    assert result.code == 0, result.err
    assert "Mødet er ikke flyttet." in plain(result.out)
    after = plan_json(cli, case)
    assert after["statusmoeder"] == before["statusmoeder"]
    assert not any("flyttet" in t for t in history_texts(cli, case))


def test_move_meeting_with_flags_but_no_ja_confirms_interactively(cli, case):
    first = meeting(plan_json(cli, case), 1)
    new_day = working_day_on_or_after(dt.date.fromisoformat(first["dato"]) + dt.timedelta(days=1))
    result = cli(["møde", "flyt", case, "1", "--dato", dk(new_day)], NEJ_FROM_JA)
    assert result.code == 0, result.err
    assert "Mødet er ikke flyttet." in plain(result.out)
    assert meeting(plan_json(cli, case), 1)["dato"] == first["dato"]

    result = cli(["møde", "flyt", case, "1", "--dato", dk(new_day)], ENTER)  # Ja
    assert result.code == 0, result.err
    assert meeting(plan_json(cli, case), 1)["dato"] == new_day.isoformat()


def test_cancel_meeting_interactively(cli, case, screen):
    second = meeting(plan_json(cli, case), 2)
    day = dt.date.fromisoformat(second["dato"])
    keys = DOWN + ENTER + "Lukket for kursus" + ENTER + JA_FROM_NEJ  # meeting 2, reason, Ja
    result = cli(["møde", "aflys", case], keys)
    assert result.code == 0, result.err
    assert f"Statusmøde nr. 2 {danish_long(day)} er aflyst i sag {case}" in plain(result.out)
    assert f"Aflys statusmødet {danish_long(day)}?" in screen.text()

    plan = plan_json(cli, case)
    assert (meeting(plan, 2)["status"], meeting(plan, 2)["aflyst_grund"]) == ("aflyst", "Lukket for kursus")
    assert [meeting(plan, n)["status"] for n in (1, 3)] == ["planlagt", "planlagt"]
    assert f"Statusmøde nr. 2 ({danish_long(day)}) er aflyst (Lukket for kursus)." in history_texts(cli, case)


def test_cancel_meeting_keeps_it_when_answered_nej(cli, case):
    result = cli(["møde", "aflys", case], ENTER + ENTER + ENTER)  # meeting 1, no reason, Nej (default)
    assert result.code == 0, result.err
    assert "Mødet er ikke aflyst." in plain(result.out)
    assert all(m["status"] == "planlagt" for m in plan_json(cli, case)["statusmoeder"])


# ================================================================ møde hold


@pytest.fixture
def held_case(cli, tmp_path):
    """A Resen case with one status meeting, planned on the last working day before today (so it
    is waiting to be registered as held) and no later meeting. Returns (code, planned day)."""
    planned = working_day_before(today())
    code = resen_case(cli, tmp_path, start=planned, count=1)
    plan = plan_json(cli, code)
    assert [m["dato"] for m in plan["statusmoeder"]] == [planned.isoformat()]
    assert any("er ikke registreret som holdt" in f for f in plan["forsinket"])
    return code, planned


def attendance_keys(others: str = "Ali Demir, Leder") -> str:
    return (
        ENTER  # Hvornår blev mødet holdt? the planned day
        + ENTER  # Deltog forældrene? Ja
        + CTRL_U + others + ENTER  # Hvem deltog ellers? (pre-filled with the tovholder: cleared first)
    )


def ors_keys(points: str = "5 6 6,5 7") -> str:
    return (
        ENTER  # FIT: ORS/CORS – vil du registrere scores? Ja
        + ENTER  # Hvem har udfyldt skemaet? Mor
        + ENTER  # Hvilket skema? ORS
        + points + ENTER
    )


def full_meeting_keys(next_day_keys: str = ENTER) -> str:
    return (
        attendance_keys()
        + ors_keys() + ENTER  # Et skema mere? Nej
        # agreement 1: udført with a note; agreement 2: i gang without a note
        # (choices: Uændret, aftalt, i gang, udført, opgivet)
        + DOWN * 3 + ENTER + "Gruppen kører fast to gange om ugen" + ENTER
        + DOWN * 2 + ENTER + ENTER
        # Børnelineal: Uændret, I trivsel, Bekymringsbarn, Udsat barn
        + DOWN + ENTER + "Taler mere i legen" + ENTER
        # one new agreement, no due date, then no more
        + ENTER + "Sproglege hver morgen" + ENTER + "Pædagog Ali" + ENTER + ENTER + ENTER
        + "Sproget er i fremgang; forældrene er glade." + ENTER  # referat
        # SRS at the end: default Nej, answered Ja; Mor, SRS, 34 (under 36); no more
        + JA_FROM_NEJ + ENTER + ENTER + "8 8 9 9" + ENTER + ENTER
        # no later meeting: "Aftal næste statusmøde nu?" Ja; date; time; participants
        + ENTER + next_day_keys + ENTER + ENTER
    )


def test_hold_meeting_whole_walk(cli, held_case, screen):
    code, planned = held_case
    next_day = working_day_on_or_after(today() + dt.timedelta(weeks=4))  # the case's 4-week rhythm
    result = cli(["møde", "hold", code], full_meeting_keys())
    assert result.code == 0, result.err
    out = plain(result.out)
    assert f"Statusmøde nr. 1, {danish_long(planned)}" in out
    assert "Total: 24,5 af 40 (grænse 25: under den kliniske grænse)." in out
    assert "Total: 34 af 40 (grænse 36: under grænsen – tal om samarbejdet)." in out
    assert f"Aftale 1: {AGREEMENT_1} (Pædagog Ali) – nu: aftalt" in out
    assert "Børnelinealen nu: Bekymringsbarn" in out
    assert f"Statusmødet er registreret i sag {code}." in out
    assert "FIT – udvikling fra møde til møde" in out
    assert "SRS (Mor) er under 36 ved seneste møde: tal om samarbejdet" in out
    assert f"Næste statusmøde: {danish_long(next_day)}." in out
    asked = screen.text()
    for question in ("Hvornår blev mødet holdt?", "Deltog forældrene?", "Hvem deltog ellers?",
                     "FIT: ORS/CORS i starten af mødet", "De 4 skalaer (0-10):", "Hvor står barnet på børnelinealen nu?",
                     "Aftalte I nye skridt", "Kort referat", "FIT: SRS/CSRS sidst i mødet", "Aftal næste statusmøde nu?"):
        assert question in asked, question

    plan = plan_json(cli, code)
    held = meeting(plan, 1)
    assert held["status"] == "afholdt"
    assert held["holdt_dato"] == planned.isoformat()
    assert held["foraeldre_deltog"] is True
    assert held["deltog"] == ["Forældre", "Ali Demir", "Leder"]
    assert held["referat"] == "Sproget er i fremgang; forældrene er glade."
    assert not any("er ikke registreret som holdt" in f for f in plan["forsinket"])

    fit = {(s["skema"], s["hvem"]): s for s in plan["fit"]}
    assert set(fit) == {("ORS", "Mor"), ("SRS", "Mor")}
    ors, srs = fit["ORS", "Mor"], fit["SRS", "Mor"]
    assert [(p["dato"], p["total"], p["point"], p["under_graense"]) for p in ors["punkter"]] == [
        (planned.isoformat(), 24.5, [5, 6, 6.5, 7], True)]
    assert ors["vurdering"] == "Første måling"
    assert ors["advarsler"] == ["ORS (Mor) er under grænsen på 25."]
    assert [(p["total"], p["under_graense"]) for p in srs["punkter"]] == [(34, True)]
    assert srs["type"] == "alliance"
    assert srs["advarsler"] == ["SRS (Mor) er under 36 ved seneste møde: tal om samarbejdet – hvad kan gøres anderledes?"]

    agreements = plan["aftaler"]
    assert [(a["hvad"], a["status"]) for a in agreements] == [
        (AGREEMENT_1, "udført"), (AGREEMENT_2, "i gang"), ("Sproglege hver morgen", "aftalt")]
    assert [(h["dato"], h["status"], h["note"]) for h in agreements[0]["historik"]] == [
        (planned.isoformat(), "udført", "Gruppen kører fast to gange om ugen")]
    assert [(h["dato"], h["status"], h["note"]) for h in agreements[1]["historik"]] == [
        (planned.isoformat(), "i gang", "")]
    meeting_ids = {h["moede_id"] for a in agreements[:2] for h in a["historik"]}
    assert len(meeting_ids) == 1 and None not in meeting_ids  # both changes point to the meeting
    assert (agreements[2]["hvem"], agreements[2]["senest"]) == ("Pædagog Ali", None)

    assert plan["placering"]["id"] == "trivsel"
    assert plan["placering"]["begrundelse"] == "Taler mere i legen"
    assert plan["placering"]["dato"] == planned.isoformat()
    assert [h["id"] for h in plan["linealen"]["historik"]] == ["bekymring", "trivsel"]

    nxt = plan["naeste_statusmoede"]
    assert (nxt["nr"], nxt["dato"], nxt["tidspunkt"], nxt["status"]) == (2, next_day.isoformat(), "14:00", "planlagt")

    texts = history_texts(cli, code)
    assert "Statusmøde nr. 1 er holdt. Deltog: Forældre, Ali Demir, Leder." in texts
    assert "ORS (Mor): 24,5" in texts and "SRS (Mor): 34" in texts
    assert "I trivsel – Taler mere i legen" in texts


def test_hold_meeting_with_a_typed_next_date(cli, held_case):
    code, _ = held_case
    next_day = working_day_on_or_after(today() + dt.timedelta(days=17))
    result = cli(["møde", "hold", code], full_meeting_keys(next_day_keys=CTRL_U + dk(next_day) + ENTER))
    assert result.code == 0, result.err
    assert f"Næste statusmøde: {danish_long(next_day)}." in plain(result.out)
    assert plan_json(cli, code)["naeste_statusmoede"]["dato"] == next_day.isoformat()


def test_hold_meeting_parents_absent_needs_a_reason(cli, held_case, refusals, screen):
    code, planned = held_case
    keys = (
        ENTER  # held on the planned day
        + NEJ_FROM_JA  # Deltog forældrene? Nej
        + ENTER  # no reason: refused
        + "Mor var syg" + ENTER
        + CTRL_U + "Ali Demir" + ENTER
        + CTRL_C  # stop at the FIT question
    )
    result = cli(["møde", "hold", code], keys)
    assert result.code == 130
    assert "Forældrene deltager altid i statusmøderne. Skriv, hvorfor de ikke var med." in plain(result.out)
    assert "Hvorfor deltog forældrene ikke?" in screen.text()
    assert refusals == ["Grunden skal udfyldes."]

    held = meeting(plan_json(cli, code), 1)
    assert (held["status"], held["foraeldre_deltog"], held["fravaer_grund"], held["deltog"]) == (
        "afholdt", False, "Mor var syg", ["Ali Demir"])
    assert "Statusmøde nr. 1 er holdt. Deltog: Ali Demir. Forældrene deltog ikke: Mor var syg." in history_texts(cli, code)


def test_ctrl_c_during_hold_keeps_what_was_answered(cli, held_case):
    code, planned = held_case
    keys = attendance_keys() + ors_keys() + CTRL_C  # interrupted at "Et skema mere?"
    result = cli(["møde", "hold", code], keys)
    assert result.code == 130
    assert f"Afbrudt. Det, du nåede at registrere, er gemt i sag {code}." in plain(result.err)

    plan = plan_json(cli, code)
    held = meeting(plan, 1)
    assert (held["status"], held["holdt_dato"], held["foraeldre_deltog"]) == ("afholdt", planned.isoformat(), True)
    assert [(s["skema"], s["hvem"], [p["total"] for p in s["punkter"]]) for s in plan["fit"]] == [("ORS", "Mor", [24.5])]
    # nothing after the interruption was recorded
    assert [a["status"] for a in plan["aftaler"]] == ["aftalt", "aftalt"]
    assert plan["placering"]["id"] == "bekymring"
    assert held["referat"] == ""


def test_hold_meeting_child_form_is_a_note_for_a_young_child(cli, held_case):
    """A 4-5-year-old fills in YCORS, which gives no score: the walk asks for a note instead."""
    code, _ = held_case
    keys = (
        attendance_keys() + ors_keys("7 7 7 7")
        + JA_FROM_NEJ  # Et skema mere? Ja
        + CTRL_U + "Barnet" + ENTER  # default would be Far
        + ENTER  # Hvilket skema? YCORS is chosen for the child
        + "Pegede på den glade smiley" + ENTER
        + CTRL_C
    )
    result = cli(["møde", "hold", code], keys)
    assert result.code == 130
    fit = {s["skema"]: s for s in plan_json(cli, code)["fit"]}
    assert set(fit) == {"ORS", "YCORS"}
    assert fit["YCORS"]["hvem"] == "Barnet"
    assert [(p["total"], p["note"]) for p in fit["YCORS"]["punkter"]] == [(None, "Pegede på den glade smiley")]
    assert fit["ORS"]["advarsler"] == []  # 28 is over the cut-off


def test_hold_meeting_keeps_unchanged_agreements_and_position(cli, held_case):
    """ENTER on every agreement (status unchanged, no note) and 'Uændret' on the ruler record nothing."""
    code, _ = held_case
    keys = (
        attendance_keys() + NEJ_FROM_JA  # no ORS
        + ENTER + ENTER  # both agreements: Uændret
        + ENTER  # Uændret
        + NEJ_FROM_JA  # no new agreement
        + ENTER  # no referat
        + ENTER  # no SRS
        + NEJ_FROM_JA  # no next meeting
    )
    result = cli(["møde", "hold", code], keys)
    assert result.code == 0, result.err
    assert "Næste statusmøde: ikke aftalt." in plain(result.out)
    plan = plan_json(cli, code)
    assert meeting(plan, 1)["status"] == "afholdt"
    assert all(a["historik"] == [] and a["status"] == "aftalt" for a in plan["aftaler"])
    assert [h["id"] for h in plan["linealen"]["historik"]] == ["bekymring"]
    assert plan["fit"] == [] and plan["naeste_statusmoede"] is None


def test_hold_meeting_without_parents_and_without_others_asks_again(cli, held_case, loop_guard):
    code, _ = held_case
    keys = (
        ENTER + NEJ_FROM_JA + "Mor var syg" + ENTER
        + ENTER  # Hvem deltog ellers? (empty: nobody took part) -> should be asked again
        + "Ali Demir" + ENTER
        + CTRL_C  # stop at the FIT question
    )
    result = cli(["møde", "hold", code], keys)
    assert not loop_guard.fired, f"the same message was printed again and again: {loop_guard.said.most_common(1)}"
    assert result.code == 130
    held = meeting(plan_json(cli, code), 1)
    assert (held["status"], held["deltog"]) == ("afholdt", ["Ali Demir"])


def test_move_meeting_keeping_date_and_time_does_not_hang(cli, case, loop_guard):
    before = plan_json(cli, case)
    keys = ENTER + ENTER + ENTER + ENTER + CTRL_C  # meeting 1; keep date; keep time; no reason
    result = cli(["møde", "flyt", case], keys)
    assert not loop_guard.fired, f"the same message was printed again and again: {loop_guard.said.most_common(1)}"
    assert result.code in (0, 130)
    assert plan_json(cli, case)["statusmoeder"] == before["statusmoeder"]


# ================================================================ luk, genåbn, eskaler


def test_close_case_with_open_agreements_asks_to_confirm(cli, case, screen):
    planned = planned_status_days(plan_json(cli, case))
    keys = ENTER + JA_FROM_NEJ + "Legen fungerer igen." + ENTER  # Trivslen er genoprettet; "Luk sagen alligevel?" Ja
    result = cli(["luk", case], keys)
    assert result.code == 0, result.err
    assert "Der er 2 åbne aftaler. Luk sagen alligevel?" in screen.text()
    out = plain(result.out)
    assert f"Sag {case} er lukket: Trivslen er genoprettet." in out
    for day in planned:  # the planned meetings are cancelled with the case
        assert out.count(f"Statusmøde {danish_long(day)} kl. ") == 1 and "er aflyst." in out
    assert f"Genåbn den med: rettidig genåbn {case}" in out

    plan = plan_json(cli, case)
    assert plan["status"] == "lukket"
    assert plan["lukket"] == {"dato": today().isoformat(), "grund": "Trivslen er genoprettet",
                              "opsummering": "Legen fungerer igen."}
    assert {(m["status"], m["aflyst_grund"]) for m in plan["statusmoeder"]} == {("aflyst", "Sagen er lukket")}
    assert "Sagen er lukket: Trivslen er genoprettet. Opsummering: Legen fungerer igen." in history_texts(cli, case)


def test_close_case_answered_nej_stays_open(cli, case):
    result = cli(["luk", case], DOWN + ENTER + ENTER)  # Overgået til anden indsats; Nej (default)
    assert result.code == 0, result.err
    assert "Sagen er ikke lukket." in plain(result.out)
    plan = plan_json(cli, case)
    assert plan["status"] == "åben" and plan["lukket"] is None
    assert all(m["status"] == "planlagt" for m in plan["statusmoeder"])


def test_close_case_with_own_reason_and_no_open_agreements(cli, case, screen):
    for nr in ("1", "2"):
        done = cli(["aftale", "status", case, nr, "--status", "udført"])
        assert done.code == 0, done.err
    keys = DOWN * 4 + ENTER + "Familien ønsker ikke mere hjælp" + ENTER + ENTER  # "Andet", the reason, no summary
    result = cli(["luk", case], keys)
    assert result.code == 0, result.err
    assert "Luk sagen alligevel?" not in screen.text()  # nothing open, nothing to confirm
    assert "Skriv grunden:" in screen.text()
    assert plan_json(cli, case)["lukket"]["grund"] == "Familien ønsker ikke mere hjælp"


def test_close_case_question_with_one_open_agreement_is_correct_danish(cli, case, screen):
    done = cli(["aftale", "status", case, "1", "--status", "udført"])
    assert done.code == 0, done.err
    result = cli(["luk", case], ENTER + ENTER)  # Trivslen er genoprettet; Nej
    assert result.code == 0, result.err
    assert "Der er 1 åben aftale." in screen.text()


def test_closed_case_refuses_changes_before_asking(cli, case, screen):
    closed = cli(["luk", case, "--grund", "Barnet er flyttet"])
    assert closed.code == 0, closed.err
    result = cli(["observation", case], "Noget" + ENTER)
    assert result.code == 2
    assert f"Sag {case} er lukket, så der kan ikke ændres i den." in plain(result.err)
    assert f"rettidig genåbn {case}" in plain(result.err)
    assert screen.text() == ""  # no question was shown


def test_reopen_case_interactively(cli, case, refusals, screen):
    closed = cli(["luk", case, "--grund", "Barnet er flyttet"])
    assert closed.code == 0, closed.err
    keys = ENTER + "Barnet er flyttet tilbage" + ENTER  # empty reason refused first
    result = cli(["genåbn", case], keys)
    assert result.code == 0, result.err
    assert "Hvorfor genåbnes sagen?" in screen.text()
    assert refusals == ["Grunden skal udfyldes."]
    assert f"Sag {case} er åben igen. Tilføj et statusmøde med: rettidig møde ny {case}" in plain(result.out)

    plan = plan_json(cli, case)
    assert plan["status"] == "åben" and plan["lukket"] is None
    assert "Sagen er genåbnet: Barnet er flyttet tilbage" in history_texts(cli, case)
    # the meetings cancelled by the closing stay cancelled; a new one can be added
    assert all(m["status"] == "aflyst" for m in plan["statusmoeder"])
    added = cli(["møde", "ny", case], ENTER + ENTER + ENTER)
    assert added.code == 0, added.err


def test_escalate_interactively_to_stor_sag(cli, case, screen, refusals):
    keys = (
        ENTER  # Hvad skal sagen optrappes til? Stor sag (the only choice)
        + ENTER  # Hvorfor? empty: refused
        + "Uro derhjemme; socialt betinget" + ENTER
    )
    result = cli(["eskaler", case], keys)
    assert result.code == 0, result.err
    assert "Hvad skal sagen optrappes til?" in screen.text()
    assert "Stor sag" in screen.text()
    assert refusals == ["Begrundelse skal udfyldes."]
    out = plain(result.out)
    assert "Stor sag betyder" in out
    for consequence in ("En sagsbehandler inddrages så tidligt som muligt.",
                        "Sagen kommer på det tværfaglige teammøde.",
                        "Kan forældrene ikke deltage i teammødet, skal deres underskrift indhentes forinden.",
                        "Indsatsen i børnehaven og i hjemmet skal køre kontinuerligt i samarbejde med familieafdelingen."):
        assert consequence in out
    assert "Nye trin i guiden: Sagsbehandler, Tværfagligt teammøde, Forældrenes underskrift til teammødet" in out
    assert f"Fortsæt med: rettidig resume {case}" in out
    assert f"Sagen er optrappet til «Stor sag» i sag {case}" in out

    plan = plan_json(cli, case)
    decision = next(d for d in plan["beslutninger"] if d["trin"] == "sagstype")
    assert decision["valg"] == ["Stor sag"]
    assert decision["begrundelse"] == "Uro derhjemme; socialt betinget"
    assert [t["valg"] for t in decision["tidligere"]] == ["Lille sag"]
    assert plan["faerdig"] is False  # the stor sag's steps are now waiting
    assert "Sagen er optrappet: Lille sag → Stor sag. Begrundelse: Uro derhjemme; socialt betinget" \
        in history_texts(cli, case)

    again = cli(["eskaler", case], ENTER)
    assert again.code == 2
    assert f"Sag {case} kan ikke optrappes nu." in plain(again.err)
    assert "«Lille eller stor sag» er nu «Stor sag», og guiden har ikke et tungere valg derfra." in plain(again.err)


# ================================================================ no terminal: exit 6, flags named


def _closed(cli, code):
    result = cli(["luk", code, "--grund", "Barnet er flyttet"])
    assert result.code == 0, result.err


NO_TERMINAL = [
    (["observation"], "--hvad", None),
    (["faktor"], "--type, --tekst", None),
    (["faktor", "--tekst", "Glad for at synge"], "--type, --tekst", None),
    (["aftale", "ny"], "--hvad, --hvem", None),
    (["aftale", "ny", "--hvad", "Lege"], "--hvad, --hvem", None),
    (["aftale", "status"], "NR, --status", None),
    (["aftale", "status", "{code}", "1"], "NR, --status", None),
    (["tovholder"], "--navn", None),
    (["placering"], "--placering", None),
    (["møde", "ny"], "--dato", None),
    (["møde", "flyt"], "NR, --dato", None),
    (["møde", "flyt", "{code}", "1", "--dato", "{workday}"], "--ja (for at bekræfte)", None),
    (["møde", "aflys"], "NR, --ja", None),
    (["møde", "aflys", "{code}", "1"], "NR, --ja", None),
    (["møde", "hold"], "--answers FIL", None),
    (["eskaler"], "--til, --begrundelse", None),
    (["luk"], "--grund", None),
    (["genåbn"], "--grund", _closed),
]


@pytest.mark.parametrize("args, flags, prepare", NO_TERMINAL,
                         ids=[" ".join(a) + (" (lukket)" if p else "") for a, _, p in NO_TERMINAL])
def test_without_a_terminal_missing_flags_exit_6_in_danish(cli, case, monkeypatch, args, flags, prepare):
    from rettidig_cli.ui import prompts

    monkeypatch.setattr(prompts, "terminal_available", lambda: False)  # also under pytest -s in a terminal
    if prepare:
        prepare(cli, case)
    first = meeting(plan_json(cli, case), 1)
    workday = working_day_on_or_after(dt.date.fromisoformat(first["dato"]) + dt.timedelta(days=1))
    if "{code}" in args:
        argv = [a.format(code=case, workday=dk(workday)) for a in args]
    else:  # the case code right after the command (and its subcommand)
        split = 2 if args[0] in ("aftale", "møde") else 1
        argv = args[:split] + [case] + args[split:]
    before = plan_json(cli, case)

    result = cli(argv)
    assert result.code == 6, (argv, result.out, result.err)
    err = plain(result.err)
    assert f"Der er ingen terminal at spørge i. Angiv: {flags}." in err
    command = " ".join(argv[:2] if argv[0] in ("aftale", "møde") else argv[:1])
    assert f"Se: rettidig {command} --help" in err
    assert "Traceback" not in result.err

    after = plan_json(cli, case)
    for key in ("status", "observationer", "faktorer", "aftaler", "tovholder", "statusmoeder", "placering",
                "beslutninger", "fit"):
        assert after[key] == before[key], key


# ================================================================ more of the everyday questions


def test_ctrl_c_in_a_simple_command_saves_nothing(cli, case):
    before = plan_json(cli, case)["observationer"]
    result = cli(["observation", case], ENTER + "Halvt skrevet" + CTRL_C)
    assert result.code == 130
    assert "Afbrudt. Intet nyt er gemt." in plain(result.err)
    assert plan_json(cli, case)["observationer"] == before


def test_factor_asked_interactively(cli, case):
    """Resen has no factors step of its own: the shared kinds from data/followup.toml are offered."""
    result = cli(["faktor", case], DOWN * 2 + ENTER + "Tæt på bedsteforældrene" + ENTER)
    assert result.code == 0, result.err
    assert f"Faktoren er gemt i sag {case}" in plain(result.out)
    assert plan_json(cli, case)["faktorer"] == [{"type": "Beskyttelsesfaktor", "tekst": "Tæt på bedsteforældrene"}]


def test_position_asked_interactively_refuses_the_same_place(cli, case):
    keys = (
        DOWN + ENTER + "Samme som før" + ENTER  # Bekymringsbarn again: refused, asked again
        + DOWN * 2 + ENTER + "Uro derhjemme" + ENTER  # Udsat barn
    )
    result = cli(["placering", case], keys)
    assert result.code == 0, result.err
    out = plain(result.out)
    assert "Børnelinealen nu: Bekymringsbarn" in out
    assert "Barnet står allerede på «Bekymringsbarn»." in out
    assert f"Placeringen «Udsat barn» er gemt i sag {case}" in out
    plan = plan_json(cli, case)
    assert (plan["placering"]["id"], plan["placering"]["begrundelse"]) == ("udsat", "Uro derhjemme")
    assert [h["id"] for h in plan["linealen"]["historik"]] == ["bekymring", "udsat"]


def test_agreement_status_unchanged_without_note_is_asked_again(cli, case):
    """Keeping the status and writing nothing is refused in Danish and asked again; the second
    answer (i gang) is the one saved."""
    keys = ENTER + ENTER + ENTER + DOWN + ENTER + "Startet" + ENTER
    result = cli(["aftale", "status", case], keys)
    assert result.code == 0, result.err
    assert "Vælg en anden status, eller skriv hvad der er sket." in plain(result.out)
    first = plan_json(cli, case)["aftaler"][0]
    assert first["status"] == "i gang"
    assert [(h["status"], h["note"]) for h in first["historik"]] == [("i gang", "Startet")]


def test_hold_meeting_keeps_a_staff_member_named_morten(cli, held_case):
    code, _ = held_case
    keys = ENTER + NEJ_FROM_JA + "Mor var syg" + ENTER + CTRL_U + "Morten Holm, Ali Demir" + ENTER + CTRL_C
    result = cli(["møde", "hold", code], keys)
    assert result.code == 130
    assert meeting(plan_json(cli, code), 1)["deltog"] == ["Morten Holm", "Ali Demir"]


def test_hold_meeting_adds_the_parents_beside_a_staff_member_named_farah(cli, held_case):
    code, _ = held_case
    result = cli(["møde", "hold", code], attendance_keys(others="Farah Ali") + CTRL_C)
    assert result.code == 130
    assert meeting(plan_json(cli, code), 1)["deltog"] == ["Forældre", "Farah Ali"]


def test_hold_meeting_early_with_a_later_meeting_already_planned(cli, case, screen):
    """Meeting 1 lies in the future: the user is asked which meeting it is (the first is offered),
    the held date defaults to today, and since meeting 2 is already planned, the walk says so and
    only asks whether to add one more (default Nej)."""
    plan = plan_json(cli, case)
    second = dt.date.fromisoformat(meeting(plan, 2)["dato"])
    keys = (
        ENTER  # "Hvilket møde holder I?" the first planned one
        + attendance_keys() + NEJ_FROM_JA  # no ORS
        + ENTER * 2 + ENTER + NEJ_FROM_JA + ENTER + ENTER  # agreements, ruler, new, referat, SRS unchanged
        + ENTER  # "Vil du aftale et statusmøde mere?" Nej
    )
    result = cli(["møde", "hold", case], keys)
    assert result.code == 0, result.err
    out = plain(result.out)
    assert "Hvilket møde holder I? (det første er valgt)" in screen.text()
    assert f"Næste statusmøde er allerede aftalt: {danish_long(second)}." in out
    assert f"Næste statusmøde: {danish_long(second)}." in out
    after = plan_json(cli, case)
    assert meeting(after, 1)["holdt_dato"] == today().isoformat()
    assert len(after["statusmoeder"]) == 3  # no meeting added
