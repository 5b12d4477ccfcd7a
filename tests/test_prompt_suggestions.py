"""A suggested answer in a text prompt (the previous observer, the tovholder among the participants,
14:00, today's date, 3 meetings ...) is shown as a placeholder, never as text in the field:
Enter on the empty field accepts it, and whatever the user types replaces it entirely. In an
optional field with a suggestion, "-" leaves the field empty.

Every test drives the real `rettidig` entry point with keystrokes (conftest's `cli` fixture) and
checks what was saved through `rettidig plan CODE --json`. The keys never erase anything first:
with the old behaviour (the suggestion as real text in the field) the typed text was glued to
it ("SaraMor"). Each key string ends with Ctrl-C, so a run that asks something unexpected stops
with exit code 130 instead of waiting for keys forever; a correct run never reads it.

Dates are computed from today; nothing here depends on the day the tests run."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import CTRL_C, DOWN, ENTER, EXAMPLES, UP, choose_guide, is_working_day, working_day_on_or_after
from helpers import plan_json
from test_followup_interactive import screen  # noqa: F401  (the same view of what the prompts drew)

STOP = CTRL_C * 3  # never read by a run that asks what the test expects
JA_FROM_NEJ = UP + ENTER  # a yes() whose default is Nej, answered Ja


def today() -> dt.date:
    return dt.date.today()


def dk(day: dt.date) -> str:
    """A date the way a practitioner types it: 3-3-2026."""
    return f"{day.day}-{day.month}-{day.year}"


def working_day_before(day: dt.date) -> dt.date:
    day -= dt.timedelta(days=1)
    while not is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def resen_case(cli, tmp_path, start: dt.date | None = None, count: int = 3) -> str:
    """The Resen example case (last observation by "Pædagog Ali", last agreement by
    "Forældrene", tovholder Ali Demir), its dates moved to the future; returns the case code."""
    start = start or working_day_on_or_after(today() + dt.timedelta(weeks=4))
    text = (EXAMPLES / "resen-svar.toml").read_text(encoding="utf-8")
    for pattern, value in ((r'(?m)^start = ".*"$', f'start = "{start.isoformat()}"'),
                           (r"(?m)^antal = \d+$", f"antal = {count}"),
                           (r'(?m)^senest = ".*"$', f'senest = "{(today() + dt.timedelta(days=14)).isoformat()}"')):
        text, found = re.subn(pattern, value, text)
        assert found == 1, pattern
    answers = tmp_path / "resen-svar.toml"
    answers.write_text(text, encoding="utf-8")
    result = cli(["new", "--guide", "resen", "--answers", str(answers)])
    assert result.code == 0, result.err
    return re.search(r"Ny sag: (RT-\d{4}-\d{3})", result.out).group(1)


@pytest.fixture
def case(cli, tmp_path) -> str:
    return resen_case(cli, tmp_path)


def observation_keys(what: str, observer: str, date: str = "") -> str:
    """Date (Enter: today), what, method (Enter: the suggested one), observer (Enter: the suggestion)."""
    return date + ENTER + what + ENTER + ENTER + observer + ENTER + STOP


# ================================================================ the follow-up commands


def test_observer_typed_over_a_suggestion_replaces_it_and_enter_accepts_it(cli, case, screen):
    """`observation SAG` suggests the case's last observer; typing replaces it, Enter keeps it."""
    for what, observer in (("Leger alene med klodser", "Sara"),  # typed over "Pædagog Ali"
                           ("Peger i stedet for at spørge", ""),  # Enter: "Sara"
                           ("Tæller til ti", "Ali")):  # typed over "Sara"
        result = cli(["observation", case], observation_keys(what, observer))
        assert result.code == 0, result.err
    observers = [o["hvem"] for o in plan_json(cli, case)["observationer"]]
    assert observers == ["Pædagog Ali", "Sara", "Sara", "Ali"]
    # the user was told what Enter does, and how to leave the (optional) field empty
    assert "(Enter = Sara; skriv - for ingen)" in screen.text()


def test_optional_suggested_observer_left_empty_with_a_dash(cli, case):
    result = cli(["observation", case], observation_keys("Leger alene med klodser", "-"))
    assert result.code == 0, result.err
    last = plan_json(cli, case)["observationer"][-1]
    assert (last["hvad"], last["hvem"]) == ("Leger alene med klodser", "")


def test_suggested_date_replaced_by_a_typed_date(cli, case, screen):
    earlier = today() - dt.timedelta(days=3)
    result = cli(["observation", case], observation_keys("Peger i stedet for at spørge", "", date=dk(earlier)))
    assert result.code == 0, result.err
    last = plan_json(cli, case)["observationer"][-1]
    assert (last["dato"], last["hvem"]) == (earlier.isoformat(), "Pædagog Ali")
    # the suggestion is shown in the form the user types
    assert f"(fx 3-3-2026, fredag, om 2 uger; Enter = {dk(today())})" in screen.text()


def test_agreement_who_typed_over_the_suggestion_then_accepted_with_enter(cli, case):
    """`aftale ny` suggests who did the last agreement ("Forældrene" in the example)."""
    for what, who in (("Sproglege hver morgen", "Mor"), ("Læse højt i weekenden", "")):
        result = cli(["aftale", "ny", case], what + ENTER + who + ENTER + ENTER + STOP)  # no due date
        assert result.code == 0, result.err
    agreements = plan_json(cli, case)["aftaler"]
    assert [(a["hvad"], a["hvem"]) for a in agreements][-2:] == [
        ("Sproglege hver morgen", "Mor"), ("Læse højt i weekenden", "Mor")]


def test_a_dash_in_a_field_that_must_be_filled_is_refused_not_saved(cli, case, refusals):
    """Found by a review: "-" (none, in an optional field) was saved as the person responsible."""
    keys = "Ringe til PPR" + ENTER + "-" + ENTER + "\x7f" + "Leder" + ENTER + ENTER + STOP  # the refused "-" erased
    result = cli(["aftale", "ny", case], keys)
    assert result.code == 0, result.err
    assert len(refusals) == 1 and "Hvem" in refusals[0], refusals
    last = plan_json(cli, case)["aftaler"][-1]
    assert (last["hvad"], last["hvem"]) == ("Ringe til PPR", "Leder")


def test_new_meeting_time_and_participants_typed_over_suggestions(cli, case):
    day = working_day_on_or_after(today() + dt.timedelta(days=10))
    result = cli(["møde", "ny", case], dk(day) + ENTER + "8.30" + ENTER + "Ali Demir, Leder" + ENTER + STOP)
    assert result.code == 0, result.err
    new = next(m for m in plan_json(cli, case)["statusmoeder"] if m["nr"] == 4)  # after the example's 3
    assert (new["dato"], new["tidspunkt"], new["deltagere"]) == (
        day.isoformat(), "08:30", ["Forældre", "Ali Demir", "Leder"])


def test_held_meeting_suggested_participants_cleared_with_a_dash(cli, tmp_path):
    """"Hvem deltog ellers?" suggests the tovholder; "-" records the parents alone."""
    planned = working_day_before(today())
    code = resen_case(cli, tmp_path, start=planned, count=1)
    keys = ENTER + ENTER + "-" + ENTER + CTRL_C  # held on the planned day; parents: Ja; nobody else; stop
    result = cli(["møde", "hold", code], keys)
    assert result.code == 130
    held = plan_json(cli, code)["statusmoeder"][0]
    assert (held["status"], held["foraeldre_deltog"], held["deltog"]) == ("afholdt", True, ["Forældre"])


# ================================================================ the wizard


def test_wizard_loops_and_status_meetings_typed_over_suggestions(cli):
    """The Resen guide through a lille sag: the second observation's date and observer, the second
    agreement's "Hvem" and every status-meeting field with a suggestion are typed over it."""
    earlier = today() - dt.timedelta(days=2)
    first_meeting = working_day_on_or_after(today() + dt.timedelta(weeks=7))  # suggested: 6 weeks
    keys = (
        choose_guide("resen")
        + ENTER  # safety question: Nej
        + "Mads" + ENTER + DOWN * 4 + ENTER + DOWN + ENTER  # 4-5 år, Børnehave
        + "Slår de andre børn" + ENTER  # stikord
        + "Lise, kontaktet i dag" + ENTER  # koordinator
        + ENTER + "Mor" + ENTER + ENTER  # parents informed: Ja, by whom, today (suggested)
        + "Mor er også bekymret" + ENTER  # foraeldres-syn
        + ENTER + ENTER + "Slog en kammerat" + ENTER + ENTER + "Lise" + ENTER  # observation 1: today, TRAS
        + JA_FROM_NEJ + dk(earlier) + ENTER + "Græd ved afleveringen" + ENTER + ENTER + "Bo" + ENTER
        + ENTER  # no more observations
        + ENTER  # barnets-perspektiv: skipped
        + DOWN + ENTER + "Uro over flere uger" + ENTER  # børnelinealen: Bekymringsbarn
        + ENTER  # "Fortsæt til: Lille sag eller stor sag"
        + "Pædagogisk betinget" + ENTER  # analyse
        + ENTER  # Lille sag
        + ENTER  # "Fortsæt til: Trin 2 – Handleplan"
        + ENTER + "Ugentlig samtale med mor" + ENTER + "Lise" + ENTER + ENTER  # agreement 1, no due date
        + JA_FROM_NEJ + "Sprogleg i lille gruppe" + ENTER + "Bo" + ENTER + ENTER  # "Hvem" typed over "Lise"
        + JA_FROM_NEJ + "Læse højt" + ENTER + ENTER + ENTER  # Enter: "Bo"
        + ENTER  # no more agreements
        + "Lise" + ENTER + ENTER  # tovholder, no role
        + ENTER  # every 6th week
        + "2" + ENTER  # over the suggested 3
        + dk(first_meeting) + ENTER  # over the suggested date
        + "9.30" + ENTER  # over 14:00
        + "Forældre, Bo" + ENTER  # over "Forældre, Lise"
        + ENTER  # "Passer datoerne?" -> Ja, gem dem
        + DOWN * 2 + ENTER  # signature: ikke endnu
        + STOP
    )
    result = cli(["new"], keys)
    assert result.code == 0, result.err
    code = re.search(r"Ny sag: (RT-\d{4}-\d{3})", result.out).group(1)
    plan = plan_json(cli, code)
    assert sorted((o["dato"], o["hvem"]) for o in plan["observationer"]) == [
        (earlier.isoformat(), "Bo"), (today().isoformat(), "Lise")]
    assert [a["hvem"] for a in plan["aftaler"]] == ["Lise", "Bo", "Bo"]
    meetings = plan["statusmoeder"]
    assert len(meetings) == 2
    assert meetings[0]["dato"] == first_meeting.isoformat()
    assert {m["tidspunkt"] for m in meetings} == {"09:30"}
    assert all(m["deltagere"] == ["Forældre", "Bo"] for m in meetings)


# ================================================================ the shared helper


def ask(keys: str, *args, **kwargs):
    """prompts.ask_text answered with keystrokes through prompt_toolkit pipe input."""
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from rettidig_cli.ui import prompts

    with create_pipe_input() as inp:
        inp.send_text(keys + STOP)
        with create_app_session(input=inp, output=DummyOutput()):
            try:
                return prompts.ask_text(*args, **kwargs)
            except KeyboardInterrupt:  # STOP was read: the prompt wanted more than the test typed
                pytest.fail("The prompt asked again after the keys the test typed.")


def test_ask_text_suggestion_is_a_placeholder(refusals):
    from rettidig_cli.domain import fields

    required = lambda v: fields.text(v, "Hvem")  # noqa: E731
    optional = lambda v: fields.text(v, "Hvem", required=False)  # noqa: E731
    assert ask("Mor" + ENTER, "Hvem?", required, default="Sara") == "Mor"
    assert ask(ENTER, "Hvem?", required, default="Sara") == "Sara"
    assert ask("-" + ENTER, "Hvem?", optional, default="Sara") == ""
    assert ask(ENTER, "Hvem?", optional, default="Sara") == "Sara"
    assert ask("\x7f" * 4 + "Ali" + ENTER, "Hvem?", required, default="Sara") == "Ali"
    assert refusals == []


def test_ask_text_refuses_an_invalid_suggestion_and_leaves_the_field_empty(refusals):
    from rettidig_cli.domain import fields

    number = lambda v: fields.whole_number(v, "Antal", 1, 12)  # noqa: E731
    assert ask(ENTER + "4" + ENTER, "Hvor mange?", number, default="99") == "4"
    assert refusals == ["Antal skal være et helt tal fra 1 til 12."]
