"""Every shipped guide walked through every decision branch, without a suspicion, to a handleplan.

Nothing here knows a municipality: the guides are read from the product's guide folder, the
branches are enumerated from each guide's decision steps with the wizard's own rules
(wizard.next_step), and the answers are made per record kind from the Step objects (the same
answer_for the abuse walk uses). A guide added to data/guides/ is walked with no new test code.

A single decision is walked with each of its choices (and skipped, if it may be); a decision with
several choices at once with each choice alone and all together (and none, if it may be). Each
path is answered with `rettidig new --answers`, and its handleplan (`plan --json`, `plan`, and the
Markdown handleplan) must be finished and show each decision's choices and what they mean, the
meetings and consents of the branch, and none of the texts the guide keeps for another choice
(`when` on a contact, a recipient, sparring or a consequence).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from abuse_walk_support import SKIPPED, answer_for, answers_toml, shipped_guides

GUIDES = {guide.id: guide for guide in shipped_guides()}


@dataclass(frozen=True)
class Path:
    guide_id: str
    steps: tuple[str, ...]
    decisions: tuple[tuple[str, object], ...]

    @property
    def id(self) -> str:
        made = ",".join(f"{s}={'spring-over' if c is SKIPPED else '+'.join(c) or 'ingen'}" for s, c in self.decisions)
        return f"{self.guide_id}[{made or 'ingen beslutninger'}]"


def choices(step) -> list:
    """Every answer a decision is walked with: each choice; several at once: each alone and all."""
    options = [o.id for o in step.options]
    if step.multiple:
        found = [(o,) for o in options] + ([tuple(options)] if len(options) > 1 else [])
        return found + ([()] if not step.required else [])
    return [(o,) for o in options] + ([SKIPPED] if not step.required else [])


def walk_paths(guide) -> list[Path]:
    from rettidig_cli.guide.reader import SAFETY_STEP_ID
    from rettidig_cli.workflow import wizard

    paths: list[Path] = []

    def walk(ctx, steps, decisions):
        found = wizard.next_step(ctx)
        if found is None:
            paths.append(Path(guide.id, tuple(steps), tuple(decisions)))
            return
        step = found[1]
        if step.kind == "decision":
            for choice in choices(step):
                branch = wizard.Context(guide=guide, answered=dict(ctx.answered))
                branch.answered[step.id] = {"valg": list(choice)} if choice is not SKIPPED else None
                walk(branch, steps + [step.id], decisions + [(step.id, choice)])
        else:
            ctx.answered[step.id] = {"antal": 1} if step.kind in wizard.LOOP_KINDS else {}
            walk(ctx, steps + [step.id], decisions)

    start = wizard.Context(guide=guide)
    start.answered[SAFETY_STEP_ID] = {"mistanke": False, "underretning": None}
    walk(start, [], [])
    return paths


PATHS = [path for guide in GUIDES.values() for path in walk_paths(guide)]


def answers_for(guide, path: Path) -> dict:
    decisions = dict(path.decisions)
    answers: dict = {"sikkerhed": False}
    for step_id in path.steps:
        step = guide.step(step_id)
        if step.kind == "decision":
            if decisions[step_id] is not SKIPPED:
                answers[step_id] = answer_for(step, guide, decisions[step_id])
        else:
            answers[step_id] = answer_for(step, guide)
    return answers


def other_choices_texts(guide, chosen: dict[str, list[str]]) -> list[str]:
    """The guide's texts kept for a choice this path did not make (`when` on another choice of a
    decision the path answered): the handleplan must not show them."""
    items = [*guide.contact, *guide.safety.contact]
    for phase in guide.phases:
        items += [*phase.sparring]
    wrong = []
    for item in items:
        if item.when and item.when[0] in chosen and item.when[1] not in chosen[item.when[0]]:
            wrong.append(item.text)
    return wrong


@pytest.mark.plain_only
def test_the_walk_covers_every_branch_of_every_guide():
    """Each decision's every choice is on some path of its guide, so no branch goes unwalked."""
    for guide in GUIDES.values():
        walked = {(step, choice) for path in PATHS if path.guide_id == guide.id
                  for step, made in path.decisions if made is not SKIPPED for choice in made}
        for step in guide.steps():
            for option in step.options if step.kind == "decision" else ():
                assert (step.id, option.id) in walked, f"{guide.id}: {step.id}={option.id} is on no path"
    assert len({p.guide_id for p in PATHS}) == len(GUIDES) >= 5


@pytest.mark.parametrize("path", PATHS, ids=[p.id for p in PATHS])
def test_every_branch_walks_to_a_handleplan(cli, tmp_path, path, monkeypatch):
    guide = GUIDES[path.guide_id]
    answers = tmp_path / "svar.toml"
    answers.write_text(answers_toml(answers_for(guide, path)), encoding="utf-8")
    made = cli(["new", "--guide", guide.id, "--answers", str(answers)])
    assert made.code == 0, made.err
    code = next(w for w in made.out.split() if w.startswith("RT-"))
    plan = json.loads(cli(["plan", code, "--json"]).out)
    assert plan["faerdig"], (path.id, plan["fase"])
    assert plan["guide"]["id"] == guide.id and plan["barn"]["navn"] == "T.B."

    chosen = {step: list(made) for step, made in path.decisions if made is not SKIPPED and made}
    decisions = {d["trin"]: d for d in plan["beslutninger"]}
    for step_id, made_ids in chosen.items():
        step = guide.step(step_id)
        labels = [o.label for o in step.options if o.id in made_ids]
        assert decisions[step_id]["valg"] == labels, path.id
        meant = {c.text for o in step.options if o.id in made_ids for c in o.consequences if c.when is None}
        for option in step.options:  # what each choice means, and only the choices made
            for consequence in option.consequences:
                if consequence.when is None:
                    shown = consequence.text in decisions[step_id]["betydning"]
                    assert shown == (consequence.text in meant), (path.id, option.id, consequence.text)
    # Each follow-up step of the branch has its record: a meeting, a consent, an underretning.
    kinds = {"meeting": [m["type"] for m in plan["andre_moeder"]],
             "consent": [c["trin"] for c in plan["foraeldre"]["samtykker"]],
             "underretning": [u["modtager"] for u in plan["underretninger"]]}
    for step_id in path.steps:
        step = guide.step(step_id)
        if step.kind == "meeting":
            assert step.meeting_kind in kinds["meeting"], (path.id, step_id)
        elif step.kind == "consent":
            assert step_id in kinds["consent"], (path.id, step_id)
        elif step.kind == "underretning":
            assert kinds["underretning"], (path.id, step_id)

    monkeypatch.setenv("COLUMNS", "1000")
    screen = " ".join(cli(["plan", code]).out.split())
    document = tmp_path / "handleplan.md"
    exported = cli(["export", code, "--til", "handleplan", "--format", "md", "--out", str(document)])
    assert exported.code == 0, exported.err
    written = " ".join(document.read_text(encoding="utf-8").replace("\\", "").split())
    for step_id, made_ids in chosen.items():
        for option in guide.step(step_id).options:
            if option.id in made_ids:
                assert " ".join(option.label.split()) in screen and " ".join(option.label.split()) in written
    for text in other_choices_texts(guide, chosen):
        assert text not in screen and text not in " ".join(plan["sparring"]), (path.id, text)
