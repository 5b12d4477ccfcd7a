"""Cases in the middle of a guide, from the seeded data files (tests/seeded.py): a case walked to
the end of phase N through the real `new --answers` once per session, copied into each test's data
folder, so these tests do not walk phases 1..N again each time.

A case stopped after phase N must say it is at phase N+1, resume there (interactively: the first
panel is phase N+1's and nothing answered before is asked again), and a resume with the whole
answers file must save phases N+1.. only: what was answered stays as it was, no loop item twice."""

from __future__ import annotations

import pytest

from conftest import CTRL_C, query, to_toml
from helpers import flat, ok, plan_json
from seeded import answers_up_to, full_answers, guide_phases

# (guide, phase N) pairs: every phase boundary of both shipped guides.
BOUNDARIES = [(g, n) for g in ("resen", "ikast-brande-dagtilbud") for n in range(1, len(guide_phases(g)))]


def answered_steps(home, code: str) -> dict[str, str]:
    rows = query(home, "SELECT a.step_id, a.value FROM answers a JOIN cases c ON c.id = a.case_id WHERE c.code = ?",
                 (code,))
    return {r["step_id"]: r["value"] for r in rows}


def record_counts(home) -> dict[str, int]:
    tables = ("observations", "factors", "agreements", "decisions", "tovholders", "meetings", "consents",
              "positions", "underretninger")
    return {t: query(home, f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in tables}


@pytest.mark.parametrize("guide_id,phase", BOUNDARIES)
def test_a_case_seeded_after_phase_n_stands_at_phase_n_plus_1(cli, seeded, data_home, guide_id, phase):
    code = seeded(guide_id, phase)
    phases = guide_phases(guide_id)
    plan = plan_json(cli, code)
    assert plan["fase"]["id"] == phases[phase]["id"]
    assert not plan["faerdig"]
    steps_before = {s["id"] for p in phases[:phase] for s in p.get("steps", [])}
    answered = set(answered_steps(data_home, code)) - {"sikkerhed"}
    # Every answered step belongs to phases 1..N, but for the optional steps that open phase N+1: a
    # file that leaves them out skips them (saved as skipped) on its way to the first required one.
    opening = []
    for step in phases[phase].get("steps", []):
        if step.get("required", True):
            break
        opening.append(step["id"])
    assert answered - steps_before == set(opening) & answered, answered - steps_before
    assert answered & {s["id"] for s in phases[phase - 1].get("steps", [])}


@pytest.mark.parametrize("guide_id,phase", [("resen", 2), ("ikast-brande-dagtilbud", 3)])
def test_interactive_resume_of_a_seeded_case_starts_at_phase_n_plus_1(cli, seeded, data_home, guide_id, phase):
    """Ctrl-C at the first question: the panel shown was phase N+1's, no earlier question was
    asked, and nothing in the file changed."""
    code = seeded(guide_id, phase)
    phases = guide_phases(guide_id)
    before = answered_steps(data_home, code), record_counts(data_home)
    result = cli(["resume", code], keys=CTRL_C)
    assert result.code == 130, result.err
    shown = flat(result.out)
    assert f"Fortsætter sag {code}" in shown
    assert f"Fase {phase + 1} af {len(phases)}" in shown
    assert f"Fase {phase} af" not in shown
    assert "Er der mistanke om vold" not in shown
    assert (answered_steps(data_home, code), record_counts(data_home)) == before


@pytest.mark.parametrize("guide_id,phase", [("resen", 1), ("ikast-brande-dagtilbud", 2), ("ikast-brande-dagtilbud", 4)])
def test_resume_with_the_whole_answers_file_saves_only_the_later_phases(cli, seeded, data_home, tmp_path, guide_id,
                                                                        phase):
    code = seeded(guide_id, phase)
    earlier = answered_steps(data_home, code)
    counts = record_counts(data_home)
    whole = full_answers(guide_id)
    answers = tmp_path / "alle-svar.toml"
    answers.write_text(to_toml(whole), encoding="utf-8")
    result = ok(cli, "resume", code, "--answers", str(answers))
    said = flat(result.out + result.err)
    # The file's answers to the earlier phases are not used, and the user is told so, step by step.
    for step_id in answers_up_to(guide_id, phase):
        if step_id != "sikkerhed" and step_id in earlier:
            assert f"Trinnet «{step_id}» er allerede besvaret i sagen" in said
    after = answered_steps(data_home, code)
    assert {k: after[k] for k in earlier} == earlier
    plan = plan_json(cli, code)
    assert plan["faerdig"], plan["fase"]
    # The loop items of phases 1..N are there once: only the later phases' items were added.
    later = {s["id"] for p in guide_phases(guide_id)[phase:] for s in p.get("steps", [])}
    for key, table in (("observationer", "observations"), ("iagttagelser", "observations"),
                       ("faktorer", "factors"), ("aftaler", "agreements")):
        if key in whole:
            added = len(whole[key]) if key in later else 0
            assert record_counts(data_home)[table] == counts[table] + added, (key, counts)
