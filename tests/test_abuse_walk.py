"""The abuse path, walked through every shipped guide: with a suspicion of violence or sexual abuse
the practitioner makes an underretning WITHOUT contacting the parents, so nothing anywhere may
suggest contacting or involving them.

Every guide in the product's guide folder is walked on the abuse path (a guide added later is
walked with no new test code): every path through its decisions (each option the abuse path
offers; a multiple decision once with all offered options and once with none if optional), and
on each path the case stops before every step and at the end. For each such case, built with
`rettidig new --answers` (the file holds the answers before the stop only), every output is read
with the parent rule (rettidig_cli.guide.parents.parent_wording, plus the guide's own parent words):

* `new` itself, `plan`, `plan --json`, `list`, `list --json`, `historik`, `historik --json`;
* `export --til P --format F` for every document the guide offers (those of data/documents.toml it
  offers and its own [[documents.purposes]]) and every format the
  export command knows (Word is read from its XML, JSON value by value, calendar and CSV field
  by field): Markdown and JSON at every stop, every format before anything is answered and at
  the end of each path (see AT_EVERY_STOP);
* `resume` in a terminal from the stop to the end of its phase: the rich output (the phase's
  guidance and sparring, or the completion text at the end), every question, choice,
  instruction and suggestion the prompts showed, and the screen prompt_toolkit drew.

Each path is also walked interactively from `rettidig new` (the safety question answered "Ja, der
er mistanke"), so every decision's consequences are seen, and at its end the follow-up commands
that ask questions are run in a terminal: `observation` (the methods list), `møde hold` (the FIT
respondent and its suggestion), and `eskaler` as far as the guide allows (the consequences shown).

A failure names the guide, the path, the stop, the output and the offending sentence.
"""

from __future__ import annotations

import re

import pytest

from abuse_walk_support import (
    Findings, Responder, Stop, answers_for_stop, answers_toml, export_chunks, guide_words, json_strings,
    path_ends, shipped_guides, terminal_chunks, walk_stops,
)

GUIDES = {guide.id: guide for guide in shipped_guides()}
STOPS = [stop for guide in GUIDES.values() for stop in walk_stops(guide)]
ENDS = [stop for guide in GUIDES.values() for stop in path_ends(guide)]
WIDE = 1000  # columns: no sentence is wrapped over two lines


def purposes(guide_id: str) -> list[str]:
    """The documents a case from this guide can have: the common ones it offers and its own."""
    from rettidig_cli.guide.reference import purposes_for

    return [p.id for p in purposes_for(GUIDES[guide_id])]


def formats() -> list[str]:
    from rettidig_cli.export import FORMATS

    return list(FORMATS)


# Outputs read for each stop: new, plan, plan --json, list, list --json, historik, historik --json,
# the exports (see AT_EVERY_STOP), and resume in a terminal (its rich output, its questions and the
# screen).
def outputs_at(stop: Stop) -> int:
    return 7 + len(purposes(stop.guide_id)) * len(export_formats(stop)) + 3


@pytest.mark.plain_only
def test_the_walk_covers_every_guide_and_counts_itself():
    """Every shipped guide has stops on the abuse path, each with its own outputs read, its own
    documents among them (Ikast-Brande's K-møde request is the guide's, not data/documents.toml's)."""
    assert GUIDES, "no shipped guides found"
    for guide_id in GUIDES:
        assert any(s.guide_id == guide_id for s in STOPS), guide_id
        assert any(s.guide_id == guide_id for s in ENDS), guide_id
    assert len({s.id for s in STOPS}) == len(STOPS)
    assert "k-moede" in purposes("ikast-brande-dagtilbud") and "k-moede" not in purposes("resen")
    print(f"\n{len(GUIDES)} guides, {len(STOPS)} stops, {sum(outputs_at(s) for s in STOPS)} outputs read; "
          f"{len(ENDS)} paths walked in a terminal")


# ---------------------------------------------------------------- running the CLI


@pytest.fixture
def wide(monkeypatch):
    """A console wide enough that a sentence is never wrapped (a wrapped sentence would be read as
    two, and a negation on the first line would not cover the parent word on the second)."""
    from rettidig_cli.ui import prompts

    monkeypatch.setenv("COLUMNS", str(WIDE))
    monkeypatch.setattr(prompts.console, "_width", WIDE)


def where(stop: Stop) -> str:
    return f"guide {stop.guide_id}, path {stop.path_label}, stop {stop.stop_label}"


def make_case(cli, tmp_path, guide, stop: Stop, findings: Findings) -> str:
    """The stop's case, made with `rettidig new --answers`: the answers before the stop only, and
    the wizard paused at the stop (an optional step left out of a file is otherwise passed over)."""
    from rettidig_cli.workflow import wizard

    answers = tmp_path / "svar.toml"
    answers.write_text(answers_toml(answers_for_stop(guide, stop)), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        if stop.at is not None:
            original_step, original_loop = wizard.FileSource.step, wizard.FileSource.loop

            def step(self, step, ctx):
                if step.id == stop.at:
                    raise wizard.Paused()
                return original_step(self, step, ctx)

            def loop(self, step, ctx, existing, save):
                if step.id == stop.at:
                    raise wizard.Paused()
                return original_loop(self, step, ctx, existing, save)

            patch.setattr(wizard.FileSource, "step", step)
            patch.setattr(wizard.FileSource, "loop", loop)
        result = cli(["new", "--guide", guide.id, "--answers", str(answers)])
    findings.check("new --answers", terminal_chunks(findings.ran(result, "new --answers")))
    if result.code != 0:
        findings.assert_clean()  # no case to walk
    return re.search(r"Ny sag: (RT-\d{4}-\d{3})", result.out).group(1)


def check_views(cli, code: str, findings: Findings, label: str = "") -> dict:
    """plan, list and historik, as text and as JSON. Returns the plan as JSON."""
    import json

    plan = {}
    for args in (["plan", code], ["list"], ["historik", code]):
        out = findings.ran(cli(args), label + args[0])
        findings.check(label + args[0], terminal_chunks(out))
        result = cli([*args, "--json"])
        findings.ran(result, label + args[0] + " --json")
        if result.code == 0:
            data = json.loads(result.out)
            findings.check(label + args[0] + " --json", json_strings(data))
            plan = data if args[0] == "plan" else plan
    return plan


def stands_at(plan: dict, guide, stop: Stop) -> str | None:
    """Why the case is not where the stop says (the walk itself must be right), or None."""
    if plan.get("mistanke_om_vold_eller_overgreb") is not True:
        return "the case is not on the abuse path"
    if plan.get("faerdig") is not stop.finished:
        return f"faerdig is {plan.get('faerdig')}, expected {stop.finished}"
    if not stop.finished:
        step = guide.step(stop.at)
        waiting = (plan.get("naeste_skridt") or {}).get("trin")
        if waiting not in (step.message, step.title):
            return f"the next step is {waiting!r}, expected {step.message!r}"
    return None


# At every stop the documents are read as Markdown and as JSON (the data formats of their
# content). Word lays out the same document as Markdown (documents.build), and the calendar and CSV
# files hold the meetings and agreements the JSON holds too; those three are read where the case
# differs most: before anything is answered and at the end of each path. (Every format at every
# stop costs a quarter of the walk's time for little more.)
AT_EVERY_STOP = ("markdown", "json")


def export_formats(stop: Stop | None) -> list[str]:
    every = stop is None or stop.finished or not stop.answered
    return [f for f in formats() if every or f in AT_EVERY_STOP]


def check_exports(cli, code: str, tmp_path, findings: Findings, guide_id: str, stop: Stop | None = None) -> None:
    """Every purpose in the stop's formats (all formats without a stop). A refusal (e.g. a
    status-meeting agenda before any meeting is planned) is an output too: its message is read."""
    folder = tmp_path / "eksport"
    folder.mkdir(exist_ok=True)
    for purpose in purposes(guide_id):
        for fmt in export_formats(stop):
            target = folder / f"{purpose}.{fmt}"
            args = ["export", code, "--til", purpose, "--format", fmt, "--out", str(target), "--ja"]
            what = f"export --til {purpose} --format {fmt}"
            out = findings.ran(cli(args), what, allowed=(0, 2))
            findings.check(what + " (terminal)", terminal_chunks(out))
            if target.exists():
                findings.check(what, export_chunks(target, fmt))


def interactive(cli, screen, guide, decisions, args, findings: Findings, what: str, allowed=(0,),
                stop_at_next_phase=False):
    """One command answered in a terminal: its rich output, the questions it asked (message,
    choices, instruction, suggestion) and the screen prompt_toolkit drew are all read."""
    responder = Responder(guide, dict(decisions), stop_at_next_phase)
    screen.clear()
    with pytest.MonkeyPatch.context() as patch:
        responder.install(patch)
        result = cli(args, keys="", more_keys_later=True)
    out = findings.ran(result, what, allowed)
    if responder.error:
        findings.failed.append(f"[{what}] {responder.error}")
    findings.check(what, terminal_chunks(out))
    findings.check(what + " (questions)", responder.chunks())
    findings.check(what + " (screen)", terminal_chunks(screen.text()))
    return result, responder


@pytest.fixture
def screen(monkeypatch):
    """Everything prompt_toolkit draws (the questions, choices and answers), as plain text."""
    import io

    import prompt_toolkit.output
    from prompt_toolkit.data_structures import Size
    from prompt_toolkit.output.plain_text import PlainTextOutput

    class Screen:
        def __init__(self):
            self.buffer = io.StringIO()

        def text(self) -> str:
            return self.buffer.getvalue()

        def clear(self) -> None:
            self.buffer.seek(0)
            self.buffer.truncate()

    shown = Screen()

    class WideOutput(PlainTextOutput):
        def get_size(self) -> Size:
            return Size(rows=60, columns=WIDE * 2)

    monkeypatch.setattr(prompt_toolkit.output, "DummyOutput", lambda: WideOutput(shown.buffer))
    return shown


# ---------------------------------------------------------------- every stop of every path


@pytest.mark.plain_only
@pytest.mark.parametrize("stop", STOPS, ids=[s.id for s in STOPS])
def test_every_output_at_every_stop(cli, tmp_path, wide, screen, stop):
    guide = GUIDES[stop.guide_id]
    findings = Findings(where(stop), guide_words(guide))
    code = make_case(cli, tmp_path, guide, stop, findings)
    plan = check_views(cli, code, findings)
    misplaced = stands_at(plan, guide, stop)
    if misplaced:
        findings.failed.append(f"[the stop itself] {misplaced}")
    check_exports(cli, code, tmp_path, findings, stop.guide_id, stop)
    # resume shows the phase the case stands in (its guidance, sparring and the rest of its steps)
    # and stops before the next one; the whole walk in a terminal is the test below.
    interactive(cli, screen, guide, stop.onward, ["resume", code], findings, "resume (terminal)",
                stop_at_next_phase=True)
    findings.assert_clean()


# ---------------------------------------------------------------- every path, in a terminal


@pytest.mark.plain_only
@pytest.mark.parametrize("end", ENDS, ids=[s.id for s in ENDS])
def test_wizard_and_follow_ups_in_a_terminal_on_every_path(cli, tmp_path, wide, screen, end):
    """`rettidig new` in a terminal: the safety question answered "Ja, der er mistanke", every step
    answered with its default or first choice and each decision as the path says; then the
    follow-up commands that ask questions, and `eskaler` as far as the guide allows (each time
    followed by `resume` for the steps it opens)."""
    import json

    guide = GUIDES[end.guide_id]
    findings = Findings(f"guide {end.guide_id}, path {end.path_label}, in a terminal", guide_words(guide))
    result, responder = interactive(cli, screen, guide, end.decisions, ["new", "--guide", guide.id], findings,
                                    "new (terminal)")
    assert result.code == 0, findings.report() + "\n" + result.err
    assert responder.asked[0].message == guide.safety.question
    code = re.search(r"Ny sag: (RT-\d{4}-\d{3})", result.out).group(1)
    plan = json.loads(cli(["plan", code, "--json"]).out)
    assert plan["faerdig"] is True, f"the walk in a terminal did not finish the case ({end.id})\n{findings.report()}"
    assert plan["mistanke_om_vold_eller_overgreb"] is True

    interactive(cli, screen, guide, {}, ["observation", code], findings, "observation (terminal)")
    interactive(cli, screen, guide, {}, ["møde", "hold", code], findings, "møde hold (terminal)", allowed=(0, 2))
    for _ in range(len(guide.escalations) + 1):
        result, _ = interactive(cli, screen, guide, {}, ["eskaler", code], findings, "eskaler (terminal)",
                                allowed=(0, 2))
        if result.code != 0:
            break
        interactive(cli, screen, guide, {}, ["resume", code], findings, "resume after eskaler (terminal)")
    check_views(cli, code, findings, label="after the follow-ups: ")
    check_exports(cli, code, tmp_path, findings, end.guide_id)
    findings.assert_clean()
