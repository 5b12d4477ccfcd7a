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
    assert "første spørgsmål" in flat(result.out) and "rettidig mistanke" in flat(result.out)
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
