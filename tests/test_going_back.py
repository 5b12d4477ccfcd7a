"""Going back in the guide: «tilbage» typed in a field or «← Tilbage» chosen in a list asks the
previous answer again with the saved one as the suggestion; `resume --fra TRIN` walks again from an
earlier step. An answer given again is a correction: the earlier one stays in the journal and the
history, and `fortryd` puts it back."""

from __future__ import annotations

import pytest

from conftest import CTRL_C, DOWN, ENTER, UP
from helpers import flat, ok, plan_json
from test_wizard_interactive import screen  # noqa: F401 - the fixture


def new_code(out: str) -> str:
    return next(w.rstrip(".") for w in out.split() if w.startswith("RT-"))


def test_tilbage_in_a_field_asks_the_previous_step_again_with_its_answer_suggested(cli, screen):
    keys = (ENTER  # no suspicion
            + "Mads" + ENTER + DOWN * 4 + ENTER + ENTER  # 4-5 år, the first setting
            + "tilbage" + ENTER  # at the concern: back to the child
            + ENTER + ENTER  # the name and the age group kept (Enter takes the saved answer)
            + DOWN + ENTER  # another setting
            + "Slår de andre børn" + ENTER + CTRL_C)
    result = cli(["new", "--guide", "resen"], keys)
    assert result.code == 130, result.err
    code = new_code(result.out)
    plan = plan_json(cli, code)
    assert (plan["barn"]["navn"], plan["barn"]["aldersgruppe"]) == ("Mads", "4-5 år")
    assert plan["barn"]["tilbud"] != "Vuggestue" and plan["bekymring"] == ["Slår de andre børn"]
    asked = screen.text()
    assert "(Enter = Mads)" in asked and "Vil du rette et svar, du lige har givet?" in flat(result.out)
    told = flat(ok(cli, "historik", code).out)
    assert f"Tilbud «Vuggestue» → «{plan['barn']['tilbud']}»" in told and "besvaret igen" in told


def test_tilbage_chosen_later_in_a_step_starts_that_step_again_and_saves_nothing_of_it(cli):
    keys = (ENTER + "Mads" + ENTER
            + UP + ENTER  # «← Tilbage» (the last choice) at the age group: the child step again
            + "Sofie" + ENTER + DOWN + ENTER + ENTER + CTRL_C)
    result = cli(["new", "--guide", "resen"], keys)
    code = new_code(result.out)
    assert plan_json(cli, code)["barn"]["navn"] == "Sofie"
    assert "Mads" not in flat(ok(cli, "historik", code).out)


def test_tilbage_at_the_first_step_says_so_and_asks_it_again(cli, screen):
    result = cli(["new", "--guide", "resen"], ENTER + "tilbage" + ENTER + "Mads" + ENTER + CTRL_C)
    assert result.code == 130
    assert "ikke et tidligere svar at gå tilbage til" in flat(result.out) and "rettidig mistanke" in flat(result.out)
    assert screen.text().count("Hvilket barn drejer bekymringen sig om?") >= 2


@pytest.fixture
def resen(seeded) -> str:
    return seeded("resen", 3)  # the example walked to the end


def test_resume_fra_changes_an_answer_and_fortryd_puts_the_earlier_one_back(cli, resen):
    before = plan_json(cli, resen)
    result = cli(["resume", resen, "--fra", "analyse"], "Pædagogisk og socialt" + ENTER + CTRL_C)
    assert result.code == 130 and "fra trinnet «Vurdering»" in flat(result.out), result.out
    after = plan_json(cli, resen)
    assert after["analyse"] != before["analyse"] and "Pædagogisk og socialt" in str(after["analyse"])
    told = flat(ok(cli, "historik", resen).out)
    assert "Svaret på «Vurdering»: «Sproglige vanskeligheder" in told and "→ «Pædagogisk og socialt»" in told
    ok(cli, "fortryd", resen, "--ja")
    assert plan_json(cli, resen)["analyse"] == before["analyse"]


def test_a_decision_answered_again_replaces_the_earlier_one(cli, resen):
    assert [d["valg"] for d in plan_json(cli, resen)["beslutninger"] if d["trin"] == "sagstype"] == [["Lille sag"]]
    result = cli(["resume", resen, "--fra", "sagstype"], DOWN + ENTER + CTRL_C)  # stor sag
    assert result.code == 130
    chosen = [d["valg"] for d in plan_json(cli, resen)["beslutninger"] if d["trin"] == "sagstype"]
    assert chosen == [["Stor sag"]]
    assert "Beslutning nr. 1 fjernet" in flat(ok(cli, "historik", resen).out)


def test_keeping_every_answer_changes_nothing(cli, resen, data_home):
    from conftest import query

    before = query(data_home, "SELECT count(*) AS n FROM record_changes")
    result = cli(["resume", resen, "--fra", "analyse"], ENTER + ENTER + CTRL_C)  # analysis and decision kept
    assert result.code == 130
    assert query(data_home, "SELECT count(*) AS n FROM record_changes") == before


@pytest.mark.parametrize("step, message", [("hest", "er ikke et besvaret trin"), ("s", "passer på flere trin")])
def test_resume_fra_an_unknown_step_is_refused_with_the_steps_to_choose(cli, resen, step, message):
    result = cli(["resume", resen, "--fra", step])
    assert result.code == 2 and message in flat(result.err), result.err


def test_going_back_twice_after_resume_fra_goes_to_the_step_just_before(cli, resen, screen):
    keys = (ENTER  # the analysis kept
            + ENTER  # the decision kept
            + UP + ENTER  # «← Tilbage» at "Vil du fortsætte?": back to the decision, not to the analysis
            + CTRL_C)
    result = cli(["resume", resen, "--fra", "analyse"], keys)
    assert result.code == 130, result.err
    after = screen.text().rsplit("Vil du fortsætte? ← Tilbage", 1)[1]
    assert "Er det en lille sag eller en stor sag?" in after and "Hvad viser iagttagelserne?" not in after, after


def test_answering_a_step_again_replaces_only_what_its_answer_made(cli, resen):
    ok(cli, "tovholder", resen, "--navn", "Birte Holm", "--rolle", "ressourcepædagog")  # saved under the step too
    result = cli(["resume", resen, "--fra", "tovholder"], "Kim Berg" + ENTER + ENTER + CTRL_C)
    assert result.code == 130, result.err
    plan = plan_json(cli, resen)
    assert plan["tovholder"]["navn"] == "Kim Berg"
    former = [t["navn"] for t in plan["tovholdere"]]
    assert "Birte Holm" in former and "Ali Demir" not in former, former  # the guide's answer replaced, Birte kept


def test_meetings_are_not_asked_again_the_refusal_says_how_to_change_them(cli, resen):
    result = cli(["resume", resen, "--fra", "statusmoeder"])
    assert result.code == 2 and "rettidig møde flyt" in flat(result.err), result.err


@pytest.mark.plain_only
def test_an_answer_changed_in_a_second_window_is_not_overwritten_by_going_back(tmp_path):
    import json

    from test_case_identity import make_case
    from test_e2e_pty import Terminal, run_plain

    home, work = tmp_path / "rettidig-home", tmp_path / "work"
    work.mkdir()
    code = make_case(home, work)
    first = Terminal(["resume", code, "--fra", "analyse"], home, work)
    first.expect("Hvad viser iagttagelserne?")
    second = Terminal(["resume", code, "--fra", "analyse"], home, work)
    second.answer("Hvad viser iagttagelserne?", "Vurderingen fra vindue to" + ENTER)
    second.expect("Er det en lille sag eller en stor sag?")
    second.child.send(CTRL_C)
    assert second.finish() == 130
    first.child.send("Vurderingen fra vindue et" + ENTER)
    assert first.finish() == 5, first.text[-1500:]
    assert "besvaret i et andet vindue" in first.text
    plan = json.loads(run_plain(["plan", code, "--json"], home, work).stdout)
    assert "Vurderingen fra vindue to" in json.dumps(plan["analyse"], ensure_ascii=False)


def test_a_decision_changed_takes_away_the_meeting_only_the_earlier_choice_planned(cli, seeded):
    code = seeded("resen", 3, "stor")  # «stor sag» with a tværfagligt teammøde planned
    assert [m["type"] for m in plan_json(cli, code)["andre_moeder"]] == ["Tværfagligt teammøde"]
    result = cli(["resume", code, "--fra", "sagstype"], UP + ENTER + CTRL_C)  # «lille sag»
    assert result.code == 130, result.err
    plan = plan_json(cli, code)
    assert [d["valg"] for d in plan["beslutninger"] if d["trin"] == "sagstype"] == [["Lille sag"]]
    assert plan["andre_moeder"] == [] and not plan["forsinket"]
    assert "Beslutningen er ændret" in flat(ok(cli, "historik", code).out)


def test_on_the_abuse_path_a_decision_with_one_choice_left_is_not_asked_again(cli, resen):
    ok(cli, "mistanke", resen, "--dato", "i dag", "--leder-informeret")
    result = cli(["resume", resen, "--fra", "analyse"], ENTER + CTRL_C)  # the analysis kept, then stop
    assert result.code == 130, result.err
    assert "det eneste valg" not in flat(result.out)
    assert [d["valg"] for d in plan_json(cli, resen)["beslutninger"] if d["trin"] == "sagstype"] == [["Lille sag"]]
    refused = cli(["resume", resen, "--fra", "sagstype"])
    assert refused.code == 2 and "der kun ét valg" in flat(refused.err)
