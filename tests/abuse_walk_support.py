"""Helpers for test_abuse_walk.py: every shipped guide walked on the abuse path (a suspicion of
violence or sexual abuse), with nothing in any output that suggests contacting the parents.

Nothing here knows a municipality. The guides are read from the product's own guide folder, the
paths through a guide are enumerated from its decision steps with the wizard's own rules
(wizard.pending / wizard.applicable), and the answers are made per record kind from the Step
objects. A guide added to data/guides/ is walked without new test code.

* `walk_stops(guide)`: every place an abuse-path case can stand: before each step of each path
  (the answers for the steps before it only) and at the end of each path.
* `answers_toml(...)`: the answers file (TOML) for such a stop.
* `output_texts(...)`: the text a user reads in each kind of output (terminal, JSON, Word,
  Markdown, calendar, CSV), cut into the chunks the parent rule looks at.
* `Responder`: answers prompt_toolkit questions with keystrokes, one question at a time, and
  remembers every question, choice, instruction and suggestion it was shown.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from conftest import DOWN, ENTER, SPACE, UP, to_toml, working_day_on_or_after

SKIPPED = None  # an optional decision passed over ("Spring over")


# ---------------------------------------------------------------- the guides


def shipped_guides():
    """Every guide file the product ships, loaded by the product."""
    from rettidig_cli.guide.reader import builtin_guide_dir, load_file

    return [load_file(path) for path in sorted(builtin_guide_dir().glob("*.toml"))]


def guide_words(guide) -> tuple[str, ...]:
    """The guide's own parent words ([parents] words = [...]), once the guide format has them."""
    return tuple(getattr(guide, "parent_words", ()) or ())


def abuse_texts(items) -> list[str]:
    """The texts of a list of guide texts the abuse path shows (plain strings, or guide items that
    may be marked as parent contact)."""
    if all(isinstance(i, str) for i in items):
        return list(items)
    from rettidig_cli.guide.parents import visible

    return visible(items, True)


def offered(step) -> list:
    """The options of a decision the abuse path offers: not one marked as parent contact (read with
    getattr: guide files from before options could be marked work too)."""
    return [o for o in step.options if not getattr(o, "parent_contact", False)]


# ---------------------------------------------------------------- paths and stops


@dataclass(frozen=True)
class Stop:
    """A case on the abuse path: `answered` steps (in order) answered, standing before `at`
    (None: the path is finished). `decisions` are the decision answers given so far."""

    guide_id: str
    answered: tuple[str, ...]
    at: str | None
    decisions: tuple[tuple[str, object], ...]  # (step id, option ids tuple or SKIPPED)
    # The decisions of the first whole path through this stop: how `resume` goes on from here.
    onward: tuple[tuple[str, object], ...] = field(default=(), compare=False)

    @property
    def path_label(self) -> str:
        if not self.decisions:
            return "start"  # before the first decision: shared by every path
        return ",".join(f"{step}={_choice_label(choice)}" for step, choice in self.decisions)

    @property
    def stop_label(self) -> str:
        return self.at or "slut"

    @property
    def id(self) -> str:
        return f"{self.guide_id}[{self.path_label}]@{self.stop_label}"

    @property
    def finished(self) -> bool:
        return self.at is None


def _choice_label(choice) -> str:
    if choice is SKIPPED:
        return "spring-over"  # an optional decision passed over
    if not choice:
        return "ingen"  # a multiple decision with nothing chosen
    return "+".join(choice)


def _choices(step) -> list:
    """Every answer to a decision the abuse path can give: each offered option; for a multiple
    decision all offered options at once; none/skip if the decision is optional."""
    options = [o.id for o in offered(step)]
    if step.multiple:
        choices = [tuple(options)]
        if not step.required:
            choices.append(())
        return choices
    choices = [(o,) for o in options]
    if not step.required:
        choices.append(SKIPPED)
    return choices


def _decision_value(choice):
    return {"valg": list(choice)} if choice is not SKIPPED else None


def abuse_context(guide):
    from rettidig_cli.workflow import wizard
    from rettidig_cli.guide.reader import SAFETY_STEP_ID

    ctx = wizard.Context(guide=guide, abuse_path=True)
    ctx.answered[SAFETY_STEP_ID] = {"mistanke": True, "underretning": {}}
    return ctx


def walk_paths(guide) -> list[tuple[tuple[str, ...], tuple]]:
    """Every path through the guide on the abuse path: (the steps in order, the decisions)."""
    from rettidig_cli.workflow import wizard

    paths = []

    def walk(ctx, steps, decisions):
        found = wizard.next_step(ctx)
        if found is None:
            paths.append((tuple(steps), tuple(decisions)))
            return
        _, step = found
        if step.kind == "decision":
            for choice in _choices(step):
                branch = wizard.Context(guide=guide, abuse_path=True, answered=dict(ctx.answered))
                branch.answered[step.id] = _decision_value(choice)
                walk(branch, steps + [step.id], decisions + [(step.id, choice)])
        else:
            ctx.answered[step.id] = {"antal": 1} if step.kind in wizard.LOOP_KINDS else {}
            walk(ctx, steps + [step.id], decisions)

    walk(abuse_context(guide), [], [])
    return paths


def walk_stops(guide) -> list[Stop]:
    """Every stop of every abuse path, each once (paths share the stops before their decisions)."""
    stops: dict[tuple, Stop] = {}
    for steps, decisions in walk_paths(guide):
        by_step = dict(decisions)
        for i, at in enumerate(list(steps) + [None]):
            before = steps[:i]
            made = tuple((s, by_step[s]) for s in before if s in by_step)
            stop = Stop(guide.id, before, at, made, decisions)
            stops.setdefault((before, made, at), stop)
    return list(stops.values())


def path_ends(guide) -> list[Stop]:
    return [s for s in walk_stops(guide) if s.finished]


# ---------------------------------------------------------------- answers, made from the step kinds


def today() -> dt.date:
    return dt.date.today()


def dk(day: dt.date) -> str:
    return f"{day.day}-{day.month}-{day.year}"


STAFF = "Anna Jensen"
NOTE = "Noteret på stuen"


def answer_for(step, guide, choice=None):
    """A valid answer for one step, from its kind alone (choice: for a decision)."""
    kind = step.kind
    if kind == "child":
        return {"navn": "T.B.", "aldersgruppe": guide.ages_for(guide.settings[0])[-1], "tilbud": guide.settings[0]}
    if kind == "text":
        return f"{NOTE} ({step.id})."
    if kind == "observations":
        return [{"dato": today().isoformat(), "hvad": "Sad alene ved bordet i tyve minutter.",
                 "metode": abuse_texts(guide.tools)[0], "hvem": STAFF}]
    if kind == "factors":
        return [{"type": o.id, "tekst": f"{o.label}: set på stuen"} for o in step.options]
    if kind == "agreements":
        return [{"hvad": "Leg i lille gruppe hver dag", "hvem": STAFF,
                 "senest": (today() + dt.timedelta(days=14)).isoformat()}]
    if kind == "decision":
        return list(choice) if step.multiple else choice[0]
    if kind == "tovholder":
        return {"navn": STAFF, "rolle": "pædagog"}
    if kind == "status_meetings":
        return {"deltagere": f"{STAFF}, Leder"}
    if kind == "meeting":
        day = working_day_on_or_after(today() + dt.timedelta(days=7))
        return {"dato": day.isoformat(), "tidspunkt": "10:00", "deltagere": "Leder, PPR"}
    if kind == "consent":
        return {"svar": "ja", "navn": "Leder", "dato": today().isoformat()}
    if kind == "underretning":
        return underretning(guide)
    if kind == "network":
        return "Mormor Else, Naboen Karin"
    if kind == "position":
        return {"placering": guide.ruler[-1].id, "begrundelse": "Set over tre uger"}
    raise AssertionError(f"the test does not know the step kind «{kind}» (step «{step.id}»): add it to answer_for")


def underretning(guide) -> dict:
    return {"dato": today().isoformat(), "modtager": abuse_texts(guide.safety.recipients)[0],
            "hvordan": abuse_texts(guide.safety.methods)[0], "leder_informeret": True}


def answers_for_stop(guide, stop: Stop) -> dict:
    from rettidig_cli.guide.reader import SAFETY_STEP_ID

    decisions = dict(stop.decisions)
    answers: dict = {SAFETY_STEP_ID: {"mistanke": True, "underretning": underretning(guide)}}
    for step_id in stop.answered:
        step = guide.step(step_id)
        if step.kind == "decision":
            if decisions[step_id] is SKIPPED:
                continue  # an optional step left out of the file is passed over
            answers[step_id] = answer_for(step, guide, decisions[step_id])
        else:
            answers[step_id] = answer_for(step, guide)
    return answers


def answers_toml(answers: dict) -> str:
    return to_toml(answers)


# ---------------------------------------------------------------- what the user reads


BOX = re.compile(r"[\u2500-\u257f\u2580-\u259f]")  # rich's panel and table borders


def terminal_chunks(text: str) -> list[str]:
    """Rich output: borders become line breaks (a table cell is its own text); the console is wide
    enough that no sentence is wrapped, so each line is read whole."""
    return [line.strip() for line in BOX.sub("\n", text).splitlines() if line.strip()]


def json_strings(value) -> list[str]:
    """Every string value in a JSON document (not the keys, which no one reads as text)."""
    found = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_paragraphs(path: Path) -> list[str]:
    """Each paragraph of a Word file (body, headers, footers, notes) and its document properties."""
    texts = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if not name.endswith(".xml"):
                continue
            root = ElementTree.fromstring(archive.read(name))
            if name.startswith("word/"):
                for paragraph in root.iter(f"{W}p"):
                    text = "".join(t.text or "" for t in paragraph.iter(f"{W}t"))
                    if text.strip():
                        texts.append(text)
            elif name.startswith("docProps/"):
                texts.extend(e.text for e in root.iter() if e.text and e.text.strip())
    return texts


def ics_values(text: str) -> list[str]:
    """Every property value of a calendar file, unfolded and unescaped."""
    unfolded = re.sub(r"\r?\n[ \t]", "", text)
    values = []
    for line in unfolded.splitlines():
        if ":" not in line:
            continue
        value = line.split(":", 1)[1]
        value = re.sub(r"\\([nN,;\\])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)
        values.append(value)
    return values


def csv_cells(text: str) -> list[str]:
    dialect = ";" if text.count(";") >= text.count(",") else ","
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=dialect) for cell in row]


def export_chunks(path: Path, fmt: str) -> list[str]:
    if fmt == "docx":
        return docx_paragraphs(path)
    text = path.read_text(encoding="utf-8-sig")
    if fmt == "json":
        return json_strings(json.loads(text))
    if fmt == "ics":
        return ics_values(text)
    if fmt == "csv":
        return csv_cells(text)
    return text.splitlines()  # markdown, and any format added later: read as lines


# ---------------------------------------------------------------- the rule on outputs


@dataclass
class Finding:
    output: str
    sentence: str


@dataclass
class Findings:
    where: str  # guide, path, stop
    words: tuple[str, ...]
    found: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # commands that crashed or were refused unexpectedly

    def check(self, output: str, chunks) -> None:
        from rettidig_cli.guide.parents import parent_wording

        self.checked.append(output)
        seen = set()
        for chunk in chunks:
            for sentence in parent_wording(chunk, self.words):
                if sentence not in seen:
                    seen.add(sentence)
                    self.found.append(Finding(output, sentence))

    def ran(self, result, what: str, allowed=(0,)) -> str:
        """A command's terminal output (stdout and stderr); a crash or an unexpected exit code is
        noted, and the walk goes on so one failure does not hide the next."""
        if "Traceback" in result.out + result.err or result.code not in allowed:
            text = result.err or result.out
            if "Traceback" in text:  # RETTIDIG_DEBUG=1: the last lines say where
                text = " | ".join(text.strip().splitlines()[-3:])
            message = " ".join(text.split())[:400]
            self.failed.append(f"[{what}] exit {result.code}: {message}")
        return result.out + "\n" + result.err

    def report(self) -> str:
        lines = []
        if self.found:
            lines.append(f"Parent wording on the abuse path – {self.where}:")
            lines += [f"  [{f.output}] {f.sentence!r}" for f in self.found]
        if self.failed:
            lines.append(f"Commands that failed on the abuse path – {self.where}:")
            lines += [f"  {failure}" for failure in self.failed]
        return "\n".join(lines)

    def assert_clean(self) -> None:
        assert not self.found and not self.failed, self.report()


# ---------------------------------------------------------------- answering questions with keys


@dataclass
class Asked:
    kind: str
    message: str
    texts: list[str]  # the message, choices, instruction and suggestion as shown
    keys: str


def _validate(validate, text: str) -> bool:
    if validate is None:
        return True
    if callable(validate) and not hasattr(validate, "validate"):
        return validate(text) is True
    from prompt_toolkit.document import Document
    from prompt_toolkit.validation import ValidationError

    try:
        validate.validate(Document(text))
    except ValidationError:
        return False
    return True


def _plain(formatted) -> str:
    """A placeholder or title as text (a str, or prompt_toolkit formatted text)."""
    if formatted is None:
        return ""
    if isinstance(formatted, str):
        return formatted
    try:
        from prompt_toolkit.formatted_text import to_plain_text

        return to_plain_text(formatted)
    except Exception:  # noqa: BLE001 - a callable or another shape: shown as its repr
        return str(formatted)


def typed_candidates() -> list[str]:
    """What to type in a field that needs an answer, tried in order until the field accepts one."""
    soon = working_day_on_or_after(today() + dt.timedelta(days=1))
    later = working_day_on_or_after(today() + dt.timedelta(days=7))
    return [NOTE, dk(today()), dk(soon), dk(later), "14:00", "3", "5 6 7 8"]


class Responder:
    """Patches questionary's question makers so that each question, when it is made, gets its
    keystrokes sent to the pipe input: the default or first choice, the path's option at a
    decision, "Ja, der er mistanke" at the safety question, a typed answer where a field needs
    one, and (if asked to) "Stop her" before the next phase. Every question is remembered with
    what it showed."""

    LIMIT = 400

    def __init__(self, guide, decisions: dict | None = None, stop_at_next_phase: bool = False):
        self.guide = guide
        self.stop_at_next_phase = stop_at_next_phase  # "Stop her" when the wizard asks to go on
        self.decisions = dict(decisions or {})
        self.by_message = {s.message: s for s in guide.steps() if s.kind == "decision"}
        self.asked: list[Asked] = []
        self.error = ""  # why the test could not answer a question (the command was stopped there)

    def install(self, monkeypatch) -> None:
        import questionary

        for kind in ("text", "select", "checkbox", "confirm", "password", "autocomplete", "rawselect", "path"):
            original = getattr(questionary, kind, None)
            if original is not None:
                monkeypatch.setattr(questionary, kind, self._wrap(kind, original))

    def _wrap(self, kind, original):
        def make(message, *args, **kwargs):
            question = original(message, *args, **kwargs)
            try:
                self._answer(kind, message, args, kwargs)
            except Exception as exc:  # noqa: BLE001 - reported by the test, the command is stopped
                self.error = f"the test could not answer {_plain(message)!r}: {type(exc).__name__}: {exc}"
                raise KeyboardInterrupt from None
            return question

        return make

    def _send(self, keys: str) -> None:
        from prompt_toolkit.application.current import get_app_session

        get_app_session().input.send_text(keys)

    def _answer(self, kind, message, args, kwargs) -> None:
        if len(self.asked) >= self.LIMIT:  # an answer refused again and again
            raise RuntimeError(f"more than {self.LIMIT} questions")
        message = _plain(message)
        shown = [message]
        instruction = kwargs.get("instruction")
        if instruction:
            shown.append(_plain(instruction))
        if kind in ("select", "checkbox", "rawselect"):
            choices = list(kwargs.get("choices") or (args[0] if args else []))
            titles = [_plain(getattr(c, "title", c)) for c in choices]
            shown += titles
            values = [getattr(c, "value", c) for c in choices]
            keys = self._choose(kind, message, choices, values, kwargs.get("default"))
        else:
            placeholder = _plain(kwargs.get("placeholder"))
            default = kwargs.get("default")
            for text in (placeholder, default if isinstance(default, str) else ""):
                if text:
                    shown.append(text)
            keys = self._type(kind, kwargs.get("validate"), default)
        self.asked.append(Asked(kind, message, shown, keys))
        self._send(keys)

    def _choose(self, kind, message, choices, values, default) -> str:
        if kind == "checkbox":
            step = self.by_message.get(message)
            wanted = set(self.decisions.get(step.id) or ()) if step else set()
            keys = ""
            for value in values:
                keys += (SPACE if value in wanted else "") + DOWN
            return keys + ENTER
        start = 0
        if default is not None:
            for i, (choice, value) in enumerate(zip(choices, values)):
                if choice is default or value == default or _plain(getattr(choice, "title", choice)) == default:
                    start = i
                    break
        target = start
        if message == self.guide.safety.question:
            target = values.index(True)  # "Ja, der er mistanke"
        elif message in self.by_message and self.by_message[message].id in self.decisions:
            choice = self.decisions[self.by_message[message].id]
            from rettidig_cli.ui.prompts import SKIP

            target = values.index(SKIP if choice is SKIPPED else choice[0])
        elif message == "Vil du fortsætte?":  # the next phase, or "Stop her – jeg fortsætter senere"
            target = values.index(False) if self.stop_at_next_phase else 0
        step = target - start
        return (DOWN * step if step > 0 else UP * -step) + ENTER

    def _type(self, kind, validate, default) -> str:
        if kind == "confirm":
            return ENTER
        if _validate(validate, ""):
            return ENTER  # optional, or its suggestion is taken
        for candidate in typed_candidates():
            if _validate(validate, candidate):
                return candidate + ENTER
        raise AssertionError("the test has no answer this field accepts; add one to typed_candidates()")

    def chunks(self) -> list[str]:
        return [text for asked in self.asked for text in asked.texts]
