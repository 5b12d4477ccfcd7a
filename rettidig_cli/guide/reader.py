"""Loads guide files (TOML) into immutable records (NamedTuple) and validates them.

The engine knows record kinds, never a municipality: everything a guide says lives in its file,
and every mistake in a file is reported with the file, the key and what was expected."""

import os
import re
import tomllib
from typing import NamedTuple
from pathlib import Path

from rettidig_cli.domain.dates import parse_time
from rettidig_cli.domain.errors import GuideError, NotFoundError, RettidigError
from rettidig_cli.domain.vocabulary import StepKind

# The fixed vocabulary of record kinds the wizard knows how to ask for, store and render.
STEP_KINDS = tuple(StepKind)
TEXT_ROLES = ("concern", "parents_view", "child_view", "analysis", "meeting_question", "wished_participants", "note")
SAFETY_STEP_ID = "sikkerhed"
SCHEMA_VERSION = 1
# The parts of a status meeting the product records, in their usual order ([[meetings.form]]).
MEETING_PARTS = ("deltagere", "fit_start", "aftaler", "placering", "nye_aftaler", "referat", "fit_slut",
                 "naeste_moede")
NOTE_PART = "note"
# The keys at the top of a guide file (the rest are tables).
TOP_KEYS = ("schema", "id", "name", "short", "municipality", "source", "default", "settings", "age_groups", "tools",
            "contact", "more_info", "completion", "completion_abuse_path")


class Item(NamedTuple):
    """A text of the guide. parent_contact marks one that means contacting the parents: on the
    abuse path it is hidden, or replaced by its abuse_path wording (see parents.shown)."""

    text: str
    parent_contact: bool = False
    abuse_path: str = ""
    confirm: bool = False  # wording the municipality has not approved yet (shown by `guide show --format`)
    when: tuple[str, str] | None = None  # (decision id, option id): shown only when that choice was made


class ToConfirm(NamedTuple):
    """A text of the guide that comes neither from the municipality's own material nor from a
    checked source: the municipality must confirm it (`confirm = true`, or a note saying what)."""

    place: str  # where it stands: "fase «x», trin «y», valget «z»", "[safety], contact nr. 2"
    text: str
    note: str = ""
    line: int = 0  # the line in the file: the list is in the file's order


class MeetingPart(NamedTuple):
    """One part of a status meeting, in the order the guide holds it ([[meetings.form]]): one of
    the parts the product records (MEETING_PARTS), or a note of the guide's own (part = "note")."""

    part: str
    guidance: tuple[Item, ...] = ()  # said as the part begins
    id: str = ""  # a note's id (answers files)
    title: str = ""  # a note's heading in the referat
    message: str = ""  # a note's question


class Option(NamedTuple):
    id: str
    label: str
    description: str = ""
    consequences: tuple[Item, ...] = ()
    parent_contact: bool = False  # a choice that means working with the parents: not offered on the abuse path


class Step(NamedTuple):
    id: str
    kind: StepKind
    message: str
    phase_id: str
    help: str = ""
    required: bool = True
    role: str = "note"
    parent_contact: bool = False
    when: tuple[str, str] | None = None  # (decision step id, option id)
    options: tuple[Option, ...] = ()
    multiple: bool = False
    topic: str = ""
    meeting_kind: str = ""
    title: str = ""  # short heading for plans and exports
    anonymous: bool = False  # child: the child may be discussed without a name until consent is given
    names_child: bool = False  # consent: a "ja" is consent to discuss the child by name (an anonymous case is named)


class Phase(NamedTuple):
    id: str
    title: str
    guidance: tuple[Item, ...]
    sparring: tuple[Item, ...]
    steps: tuple[Step, ...]
    next_hint: Item | None = None


class Safety(NamedTuple):
    question: str
    help: str
    rule: str
    duty: str
    contact: tuple[Item, ...]
    link: str
    recipients: tuple[Item, ...]  # a recipient may depend on an earlier answer (`when`)
    methods: tuple[Item, ...]
    law: str


class MeetingRules(NamedTuple):
    rhythm_weeks: tuple[int, ...] = (4, 6, 8)
    default_rhythm: int = 6
    default_count: int = 3
    default_time: str = "14:00"
    skip_optional_holidays: bool = True
    parents_always: bool = False
    label: str = "Statusmøde"
    plural: str = "Statusmøder"
    form: tuple[MeetingPart, ...] = ()  # the order of a status meeting; empty: MEETING_PARTS in their order


class LawRef(NamedTuple):
    id: str
    ref: str
    text: str


class RulerPosition(NamedTuple):
    id: str
    label: str
    colour: str
    description: str = ""


class Escalation(NamedTuple):
    """A decision that may later be changed to a heavier option, e.g. a small case becoming a large one."""

    step: str
    from_options: tuple[str, ...]
    to: str


class Guide(NamedTuple):
    id: str
    name: str
    short: str
    municipality: str
    source: str
    settings: tuple[str, ...]
    age_groups: tuple[str, ...]  # every age group or class of the guide, in order
    tools: tuple[Item, ...]
    contact: tuple[Item, ...]
    more_info: str
    completion: Item | None
    safety: Safety
    meetings: MeetingRules
    phases: tuple[Phase, ...]
    law: tuple[LawRef, ...]
    ruler: tuple[RulerPosition, ...]
    observation_deadline_days: int | None
    path: str
    escalations: tuple[Escalation, ...] = ()
    parent_words: tuple[str, ...] = ()  # the guide's own words for the parents, besides data/parents.toml
    fit_respondents: tuple[Item, ...] = ()  # who may fill in a FIT form; empty: data/fit.toml's suggestions
    offers: tuple[str, ...] | None = None  # the general documents (data/documents.toml) offered; None: all
    own_purposes: tuple = ()  # the guide's own documents (reference.Purpose), e.g. a request to its forum
    setting_ages: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (setting, its age groups) where they differ
    fit_use: bool = True  # whether status meetings offer the FIT forms
    fit_note: Item | None = None  # said with the FIT question, e.g. "if you are trained in FIT"
    to_confirm: tuple[ToConfirm, ...] = ()
    sha: str = ""
    text: str = ""
    is_default: bool = False
    observation_deadline_months: int | None = None  # »inden for en måned«: calendar months, not days

    def __repr__(self) -> str:  # not the whole file's text
        return f"Guide(id={self.id!r}, path={self.path!r})"

    def steps(self) -> list[Step]:
        return [step for phase in self.phases for step in phase.steps]

    def step(self, step_id: str) -> Step:
        for step in self.steps():
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def step_title(self, step_id: str | None) -> str:
        """A step's short heading for plans and histories; the id if the guide has no such step."""
        try:
            step = self.step(step_id)
        except KeyError:
            return step_id or ""
        return step.title or step.message

    def phase(self, phase_id: str) -> Phase:
        for phase in self.phases:
            if phase.id == phase_id:
                return phase
        raise KeyError(phase_id)

    def law_ref(self, law_id: str) -> LawRef | None:
        return next((ref for ref in self.law if ref.id == law_id), None)

    def ages_for(self, setting: str | None) -> tuple[str, ...]:
        """The age groups (or classes) a child in the setting can be in."""
        return dict(self.setting_ages).get(setting or "", self.age_groups)

    def meeting_parts(self) -> tuple[MeetingPart, ...]:
        return self.meetings.form or tuple(MeetingPart(p) for p in MEETING_PARTS)


# ---------------------------------------------------------------- validation helpers


class Problem(NamedTuple):
    """One mistake in a guide file: where it is and what is wrong (and what was expected)."""

    path: str
    line: int | None
    column: int | None
    place: str  # "fase «trin-1», trin «iagttagelser»", or "" at the top of the file
    message: str  # the whole Danish sentence, file and line included
    hint: str
    what: str = ""  # what is wrong and what is expected, without the file and the place

    def short(self) -> str:
        """The problem under its file's name: "linje 12, kolonne 3 (fase …, trin …): …"."""
        if not self.what:
            return self.message
        at = ", ".join(x for x in (f"linje {self.line}" if self.line else "",
                                   f"kolonne {self.column}" if self.column else "") if x)
        where = " ".join(x for x in (at, f"({self.place})" if self.place else "") if x)
        return f"{where[:1].upper()}{where[1:]}: {self.what}" if where else self.what[:1].upper() + self.what[1:]

    def as_json(self) -> dict:
        return {"fil": self.path, "linje": self.line, "kolonne": self.column, "sted": self.place,
                "fejl": self.what or self.message, "besked": self.message, "hjaelp": self.hint}


class GuideProblems(GuideError):
    """Every mistake found in one guide file. The message is the first; `guide tjek` shows all."""

    def __init__(self, problems: list[Problem]):
        first = problems[0]  # in the order found: a misspelt key before what it caused
        more = len(problems) - 1
        message = first.message + (f" (Og {more} fejl mere i filen.)" if more else "")
        hint = (f"Se alle fejl med: rettidig guide tjek {first.path}" if more else first.hint)
        super().__init__(message, hint=hint)
        self.problems = problems


HINT = "Ret filen og prøv igen. Se de medfølgende guides i data/guides/ som eksempel."


class Reader:
    """Reads one table of a guide file, naming the file, the line and the phase and step in every
    problem. With a `problems` list (a guide file) every problem is collected there and reading
    goes on with a stand-in value, so one run finds them all; without one (the reference files) the
    first problem is raised."""

    def __init__(self, path: str, table: dict, where: str, keys: tuple = (), text: str = "", readers=None,
                 problems: list[Problem] | None = None, parent: "Reader | None" = None):
        self.path, self.table, self.where = path, table, where
        self.keys = keys  # the key path into the parsed file, for finding the line
        self.file_text = text  # the file's text, for line numbers
        self.seen: set[str] = set()
        self.readers = readers if readers is not None else []  # every table read, for done()
        self.readers.append(self)
        self.problems = problems
        self.parent = parent
        # Shared by every table of one file: the texts marked `confirm`, and each text's `when`
        # (checked against the guide's decisions once all of it is read).
        self.confirmations: list[ToConfirm] = parent.confirmations if parent is not None else []
        self.conditions: list[tuple["Reader", tuple[str, str]]] = parent.conditions if parent is not None else []

    def child(self, value: dict, key) -> "Reader":
        """A reader for a table inside this one; `key` is a key or (key, index)."""
        keys = self.keys + (key if isinstance(key, tuple) else (key,))
        where = self._sub(f"{key[0]}[{key[1]}]" if isinstance(key, tuple) else key)
        return Reader(self.path, value, where, keys, self.file_text, self.readers, self.problems, self)

    # ------------------------------------------------------------ problems

    def bad(self, error: GuideError, value=None):
        """A problem: raised at once, or (collecting) kept, and `value` read in its place."""
        if self.problems is None:
            raise error
        self.problems.append(error.problem)
        return value

    def problem(self, keys: tuple, text: str, hint: str = HINT) -> GuideError:
        """A GuideError for the key at `keys`, its line and column and its phase and step named,
        carrying the Problem it describes."""
        place = self.place()
        found = self._locate(keys)
        line, column = found if found else (None, None)
        at = f", linje {line}, kolonne {column}" if found else ""
        message = f"Fejl i guidefilen {self.path}{at}{f' ({place})' if place else ''}: {text}"
        error = GuideError(message, hint=hint)
        error.problem = Problem(self.path, line, column, place, message, hint, text)
        return error

    def place(self) -> str:
        """The phase and step (or the table) this reader is inside, in a user's words."""
        names = []
        reader = self
        while reader is not None and reader.keys:
            head = reader.keys[-2] if len(reader.keys) > 1 and isinstance(reader.keys[-1], int) else None
            ident = reader.table.get("id") if isinstance(reader.table.get("id"), str) else None
            if head == "phases":
                names.append(f"fase «{ident}»" if ident else f"fase nr. {reader.keys[-1] + 1}")
            elif head == "steps":
                names.append(f"trin «{ident}»" if ident else f"trin nr. {reader.keys[-1] + 1}")
            elif head == "options":
                names.append(f"valget «{ident}»" if ident else f"valg nr. {reader.keys[-1] + 1}")
            elif head is not None:
                names.append(f"[[{head}]] nr. {reader.keys[-1] + 1}")
            elif isinstance(reader.keys[-1], str) and reader.parent is not None and not reader.parent.keys:
                names.append(f"[{reader.keys[-1]}]")
            reader = reader.parent
        return ", ".join(reversed(names))

    def _locate(self, keys: tuple):
        from rettidig_cli.guide.toml_lines import locate

        while keys and self.file_text:
            found = locate(self.file_text, keys)
            if found:
                return found
            keys = keys[:-1]  # a key that is not written: the line of the table it belongs in
        return None

    def done(self) -> None:
        """Refuse a key nobody asked for in any table read so far: a typo such as
        `parents_allways` must not switch a rule off silently."""
        for reader in self.readers:
            for key in reader.table:
                if key not in reader.seen:
                    reader.bad(reader.unknown(key))

    def _line(self, keys: tuple) -> str:
        """", linje N" for the key path in the file, or "" if it cannot be found."""
        found = self._locate(keys)
        return f", linje {found[0]}" if found else ""

    def unknown(self, key: str) -> GuideError:
        from rettidig_cli.guide.toml_lines import nearest

        guess = nearest(key, sorted(self.seen))
        where = f" i «{self.where}»" if self.where and self.problems is None else ""
        return self.problem(self.keys + (key,), f"nøglen «{key}»{where} kendes ikke"
                            + (f" – mente du «{guess}»?" if guess else "."),
                            hint="Ret stavningen, eller fjern nøglen. Se de medfølgende guides i data/guides/ som "
                                 "eksempel.")

    def missing(self, key: str, expected: str) -> GuideError:
        """A required key that is not there, named with the table it belongs in and that table's line;
        a misspelt key in the same table is pointed out."""
        from rettidig_cli.guide.toml_lines import nearest

        names = ".".join(k for k in self.keys if isinstance(k, str))
        if not self.keys:
            table = " i filens øverste del (før den første [tabel])"
        elif isinstance(self.keys[-1], int):
            step = self.table.get("id")
            table = "" if self.problems is not None else (  # a guide names the phase and step before
                f" i [[{names}]] ({self.where}" + (f", «{step}»" if isinstance(step, str) else "") + ")")
        else:
            table = f" i [{names}]"
        typo = next((k for k in self.table if k not in self.seen and nearest(k, [key])), None)
        if typo:
            self.seen.add(typo)  # said here: not a second time as an unknown key
        # The misspelt key's own line if there is one, else the line of the table's header.
        return self.problem(self.keys + (typo,) if typo else self.keys,
                            f"nøglen «{key}» mangler{table} (forventet {expected})."
                            + (f" Der står «{typo}» – mente du «{key}»?" if typo else ""))

    def fail(self, key, expected: str) -> GuideError:
        """`key` is a key of this table, or (key, index) for an element of a list in it."""
        keys = self.keys + (key if isinstance(key, tuple) else (key,))
        name = f"{key[0]}[{key[1]}]" if isinstance(key, tuple) else key
        if self.where and (self.problems is None or all(isinstance(k, str) for k in self.keys)):
            # A reference file, or a table such as [deadlines]: the dotted key says where, as in TOML.
            # In a phase or a step the place names them instead.
            name = f"{self.where}.{name}"
        return self.problem(keys, f"nøglen «{name}» {expected}.")

    # ------------------------------------------------------------ values

    def _get(self, key, kind, expected, required, default):
        self.seen.add(key)
        if key not in self.table:
            if required:
                return self.bad(self.missing(key, expected), default)
            return default
        value = self.table[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return self.bad(self.fail(key, f"skal være {expected}, men er {_describe(value)}"), default)
        return value

    def text(self, key, required=True, default=""):
        value = _printable(self._get(key, str, "en tekst", required, default))
        if required and not value.strip() and key in self.table and isinstance(self.table[key], str):
            self.bad(self.fail(key, "må ikke være tom"))
        return value.strip()

    def boolean(self, key, default=False):
        return self._get(key, bool, "true eller false", False, default)

    def integer(self, key, required=False, default=None, minimum=0, maximum=None):
        value = self._get(key, int, "et helt tal", required, default)
        if value is not None and maximum is not None and not minimum <= value <= maximum:
            return self.bad(self.fail(key, f"skal være et helt tal fra {minimum} til {maximum}, men er "
                                           f"{_number(value)}"), default)
        if value is not None and value < minimum:
            return self.bad(self.fail(key, f"skal være mindst {minimum}"), default)
        return value

    def texts(self, key, required=False):
        values = self._get(key, list, "en liste af tekster", required, [])
        if required and not values and key in self.table:
            self.bad(self.fail(key, "skal have mindst ét element"))
        good = []
        for i, value in enumerate(values):
            if not isinstance(value, str) or not value.strip():
                self.bad(self.fail((key, i), "skal være en ikke-tom tekst"))
            else:
                good.append(_printable(value).strip())
        return tuple(good)

    def tables(self, key, required=False):
        values = self._get(key, list, "en liste af tabeller ([[...]])", required, [])
        if required and not values and key in self.table:
            self.bad(self.fail(key, "skal have mindst ét element"))
        readers = []
        for i, value in enumerate(values):
            if not isinstance(value, dict):
                self.bad(self.fail((key, i), f"skal være en tabel, men er {_describe(value)}"))
            else:
                readers.append(self.child(value, (key, i)))
        return readers

    def table_(self, key, required=True):
        value = self._get(key, dict, "en tabel ([...])", required, None)
        return self.child(value or {}, key)

    def items(self, key, required=False, conditional=False):
        """A list where each entry is a text or {text = "...", parent_contact = true, abuse_path = "..."}
        (with `when` where the texts can depend on an earlier answer: `conditional`)."""
        values = self._get(key, list, "en liste", required, [])
        if required and not values and key in self.table:
            self.bad(self.fail(key, "skal have mindst ét element"))
        items = []
        for i, value in enumerate(values):
            if isinstance(value, str) and value.strip():
                items.append(Item(_printable(value).strip()))
            elif isinstance(value, dict):
                items.append(self.child(value, (key, i)).as_item(conditional))
            else:
                self.bad(self.fail((key, i), "skal være en tekst eller { text = \"...\" }"))
        return tuple(items)

    def item(self, key, conditional=False) -> Item | None:
        """One optional text, written as a text or as {text = "...", parent_contact = true, abuse_path = "..."}."""
        value = self.table.get(key)
        if isinstance(value, dict):
            self.seen.add(key)
            return self.child(value, key).as_item(conditional)
        text = self.text(key, required=False)
        return Item(text) if text else None

    def item_list(self, key, required=False, conditional=True) -> tuple[Item, ...]:
        """A text, a text as a table, or a list of them (e.g. one contact per municipality, each with `when`)."""
        if isinstance(self.table.get(key), list):
            return self.items(key, required, conditional)
        item = self.item(key, conditional)
        if item is None and required:
            self.bad(self.missing(key, "en tekst eller en liste af tekster"))
        return (item,) if item else ()

    def as_item(self, conditional=False) -> Item:
        text = self.text("text")
        item = Item(text, self.boolean("parent_contact"), self.text("abuse_path", required=False),
                    self.confirm(text), self.when() if conditional else None)
        if item.abuse_path and not item.parent_contact:
            self.bad(self.fail("abuse_path", "bruges kun sammen med parent_contact = true"))
        return item

    def wording(self, key, required=True) -> str:
        """A text the municipality writes, as a text or as { text = "...", confirm = true }."""
        value = self.table.get(key)
        if isinstance(value, dict):
            self.seen.add(key)
            sub = self.child(value, key)
            text = sub.text("text")
            sub.confirm(text)
            return text
        return self.text(key, required=required)

    def confirm(self, text: str) -> bool:
        """This table's `confirm`: true, or a note saying what the municipality must confirm. A
        marked text is listed with its place (Guide.to_confirm), never shown in a family's documents."""
        self.seen.add("confirm")
        value = self.table.get("confirm", False)
        if value is False:
            return False
        if value is not True and not (isinstance(value, str) and value.strip()):
            return self.bad(self.fail("confirm", "skal være true eller en tekst, der siger, hvad kommunen skal "
                                                 "bekræfte"), False)
        found = self._locate(self.keys)
        self.confirmations.append(ToConfirm(self._confirm_place(), text,
                                            _printable(value).strip() if value is not True else "",
                                            found[0] if found else 0))
        return True

    def _confirm_place(self) -> str:
        """Where a text to confirm stands, as the file says it: "[safety], contact nr. 2",
        "fase «x», trin «y», valget «z»", "[[ruler]] «udsat»", "fase «x», guidance nr. 3"."""
        parts = [p for p in self.place().split(", ") if p]
        last = self.keys[-1] if self.keys else None
        if isinstance(last, int) and parts and parts[-1].startswith("[["):
            ident = self.table.get("id")
            head = self.keys[-2]
            parts[-1] = f"[[{head}]] «{ident}»" if isinstance(ident, str) else f"{head} nr. {last + 1}"
        elif isinstance(last, str) and parts[-1:] == [f"[{last}]"] and last in TOP_KEYS:
            parts[-1] = last  # a text at the top of the file written as a table: no [table] of its own
        elif isinstance(last, str) and parts[-1:] != [f"[{last}]"]:
            parts.append(last)
        return ", ".join(parts)

    def when(self, record=True) -> tuple[str, str] | None:
        """`when = "decision=choice"`: the step or text applies only when that choice was made. A
        text's `when` is recorded to be checked once the guide is read (a step's is checked in order)."""
        if "when" not in self.table:
            self.seen.add("when")
            return None
        raw = self.text("when")
        if "=" not in raw:
            return self.bad(self.fail("when", "skal have formen \"trin-id=valg-id\""))
        left, right = (part.strip() for part in raw.split("=", 1))
        if record:
            self.conditions.append((self, (left, right)))
        return left, right

    def ident(self, key):
        value = self.text(key)
        if value and not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", value):
            self.bad(self.fail(key, "må kun indeholde små bogstaver a-z, tal, - og _"))
        return value

    def _sub(self, key):
        return f"{self.where}.{key}" if self.where else key


def _number(value: int) -> str:
    """A number from a file for a message; a huge one is not echoed digit by digit."""
    return str(value) if abs(value) < 10**15 else "et meget stort tal"


def _printable(text: str) -> str:
    """A guide is a file anyone can drop into guides/: its texts reach terminals and documents, so
    escape sequences (a clipboard write, a changed title) and invisible characters are removed."""
    from rettidig_cli.domain.privacy import printable

    return printable(text)


def _describe(value) -> str:
    names = {str: "en tekst", int: "et tal", float: "et decimaltal", bool: "true/false",
             list: "en liste", dict: "en tabel"}
    return names.get(type(value), type(value).__name__)


def _options(step: Reader) -> tuple[Option, ...]:
    options = []
    for o in step.tables("options"):
        label = o.wording("label")
        o.confirm(label)
        options.append(Option(o.ident("id"), label, o.wording("description", required=False),
                              o.items("consequences", conditional=True), o.boolean("parent_contact")))
    return tuple(options)


# Step kinds that are about the parents by nature: hidden on the abuse path whatever the file says.
ALWAYS_PARENT_CONTACT = (StepKind.CONSENT, StepKind.NETWORK)


def _only_for(reader: Reader, key: str, kind: str, wanted: StepKind) -> bool:
    """A step key that belongs to one kind of step (`anonymous` to the child, `names_child` to consent)."""
    if key in reader.table and kind != wanted:
        reader.seen.add(key)
        return reader.bad(reader.fail(key, f"bruges kun i et trin med kind = \"{wanted}\""), False)
    return reader.boolean(key) if kind == wanted else False


def _step(reader: Reader, phase_id: str) -> Step:
    kind = reader.text("kind")
    if kind not in STEP_KINDS:
        if "kind" in reader.table:
            reader.bad(reader.fail("kind", f"skal være en af {', '.join(STEP_KINDS)} (ikke «{kind}»)"))
        kind = StepKind.TEXT  # read on as a text step: the rest of the step is still checked
    role = reader.text("role", required=False, default="note") or "note"
    if role not in TEXT_ROLES:
        reader.bad(reader.fail("role", f"skal være en af {', '.join(TEXT_ROLES)}"))
    when = reader.when(record=False)
    options = _options(reader)
    if kind == StepKind.DECISION and len(options) < 2:
        reader.bad(reader.fail("options", "skal have mindst to valgmuligheder for en beslutning"))
    step_id = reader.ident("id")
    if step_id == SAFETY_STEP_ID:
        reader.bad(reader.fail("id", f"«{SAFETY_STEP_ID}» er reserveret til sikkerhedsspørgsmålet"))
    message = reader.wording("message")
    reader.confirm(message)
    return Step(
        id=step_id, kind=StepKind(kind), message=message, phase_id=phase_id,
        help=reader.wording("help", required=False), required=reader.boolean("required", True),
        role=role, parent_contact=reader.boolean("parent_contact") or kind in ALWAYS_PARENT_CONTACT,
        when=when, options=options,
        multiple=reader.boolean("multiple"), topic=reader.text("topic", required=False),
        meeting_kind=reader.wording("meeting_kind", required=kind == StepKind.MEETING),
        title=reader.wording("title", required=False),
        anonymous=_only_for(reader, "anonymous", kind, StepKind.CHILD),
        names_child=_only_for(reader, "names_child", kind, StepKind.CONSENT),
    )


LIMITS_HINT = ("Grænserne står i data/limits.toml. En rigtig guide ligger langt under dem: "
               "tjek, at det er den rigtige fil.")


def _too_big(path: str, limit: int) -> GuideError:
    return GuideError(f"Guidefilen {path} er for stor: højst {limit:,} byte.".replace(",", "."), hint=LIMITS_HINT)


def _too_deep(path: str, depth: int) -> GuideError:
    return GuideError(f"Guidefilen {path} har tabeller eller lister inden i hinanden i for mange lag "
                      f"(højst {depth}).", hint=LIMITS_HINT)


def _check_size(data: dict, path: str, limits) -> None:
    """Every text, key and list of the parsed file within the limits, unknown keys too (they are
    kept in the case's snapshot of the guide). Iterative: no recursion on a deep file."""
    reader = Reader(path, data, "")
    stack = [(data, "", 1)]
    while stack:
        value, where, depth = stack.pop()
        if depth > limits.max_depth:
            raise _too_deep(path, limits.max_depth)
        if isinstance(value, dict):
            for key, item in value.items():
                if len(key) > limits.max_text_length:
                    raise reader.fail(where or "(øverst)", f"har en nøgle på over {limits.max_text_length} tegn")
                stack.append((item, f"{where}.{key}" if where else key, depth + 1))
        elif isinstance(value, list):
            if len(value) > limits.max_list_items:
                raise reader.fail(where, f"har {len(value)} elementer; højst {limits.max_list_items}")
            stack.extend((item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value))
        elif isinstance(value, str) and len(value) > limits.max_text_length:
            raise reader.fail(where, f"er en tekst på {len(value)} tegn; højst {limits.max_text_length}")


def _check_no_cpr(text: str, path: str) -> None:
    """A guide is kept with every case made from it (the snapshot): a CPR number in the file, or in
    its name, would be stored with the children's data. Refused before anything is read."""
    from rettidig_cli.domain.privacy import contains_cpr

    if contains_cpr(path):
        raise GuideError("Guidefilens navn eller mappe ser ud til at indeholde et CPR-nummer. rettidig gemmer "
                         "aldrig CPR-numre.", hint="Omdøb filen eller mappen, og prøv igen.")
    if not contains_cpr(text):
        return  # the usual case: one pass over the file; the line is looked for only when there is one
    for number, line in enumerate(text.split("\n"), start=1):
        if contains_cpr(line):
            raise GuideError(f"Guidefilen {path} ser ud til at indeholde et CPR-nummer i linje {number}. rettidig "
                             "gemmer aldrig CPR-numre.", hint="Fjern nummeret fra filen, og prøv igen.")
    # A number split across two lines.
    raise GuideError(f"Guidefilen {path} ser ud til at indeholde et CPR-nummer. rettidig gemmer aldrig "
                     "CPR-numre.", hint="Fjern nummeret fra filen, og prøv igen.")


def _check_counts(top: Reader, limits) -> None:
    """Phases, steps and options counted before any of them is read."""
    phases = top.table.get("phases")
    if not isinstance(phases, list):
        return  # reported by the reader
    if len(phases) > limits.max_phases:
        raise top.fail("phases", f"har {len(phases)} faser; højst {limits.max_phases}")
    steps = [s for p in phases if isinstance(p, dict) and isinstance(p.get("steps"), list) for s in p["steps"]]
    if len(steps) > limits.max_steps:
        raise top.fail("phases.steps", f"har {len(steps)} trin i alt; højst {limits.max_steps}")
    for step in steps:
        options = step.get("options") if isinstance(step, dict) else None
        if isinstance(options, list) and len(options) > limits.max_options:
            raise top.fail(f"phases.steps.{step.get('id', '?')}.options",
                           f"har {len(options)} valgmuligheder; højst {limits.max_options}")


def vocabulary(text: str, path: str = "guide.toml") -> dict[str, set[str]]:
    """The keys the reader asks for in each kind of table of a guide: "" (the top), "safety",
    "phases[].steps[]", "phases[].guidance[]" (a text written as a table) … The JSON Schema and
    docs/guide-format.md are checked against it, so neither can drift from the reader."""
    readers: list[Reader] = []
    try:
        parse_guide(text, path, readers=readers)
    except GuideError:
        pass  # what was read still counts
    found: dict[str, set[str]] = {}
    for reader in readers:
        keys = reader.keys
        name = ".".join(f"{k}[]" if i + 1 < len(keys) and isinstance(keys[i + 1], int) else k
                        for i, k in enumerate(keys) if isinstance(k, str))
        found.setdefault(name, set()).update(reader.seen)
    return found


def _sha256(text: str) -> str:
    import hashlib  # ~3 ms to import: only a guide read from its file needs it

    return hashlib.sha256(text.encode()).hexdigest()


def parse_guide(text: str, path: str, sha: str | None = None, readers: list | None = None) -> Guide:
    """The guide in `text`; `sha` is the text's SHA-256 where it is already known (a snapshot in
    the data file is stored under it). `readers` is filled with every table reader (see vocabulary)."""
    from rettidig_cli.guide.reference import limits as load_limits

    limits = load_limits()
    # Size first: a huge file is refused before anything is parsed (a stored snapshot too).
    if len(text) > limits.max_file_bytes or len(text.encode("utf-8", "surrogatepass")) > limits.max_file_bytes:
        raise _too_big(path, limits.max_file_bytes)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"line (\d+), column (\d+)", str(exc))
        place = f" i linje {where.group(1)}, kolonne {where.group(2)}" if where else ""
        error = GuideError(f"Guidefilen {path} er ikke gyldig TOML{place}.",
                           hint="Tjek anførselstegn, = og [ ] på den linje.")
        line, column = (int(where.group(1)), int(where.group(2))) if where else (None, None)
        error.problem = Problem(path, line, column, "", error.message, error.hint,
                                "filen er ikke gyldig TOML. Tjek anførselstegn, = og [ ] på linjen")
        raise error from None
    except RecursionError:  # tomllib recurses once per nested [ or {
        raise _too_deep(path, limits.max_depth) from None
    except ValueError:  # not a TOMLDecodeError: a whole number of more than 4300 digits
        raise GuideError(f"Guidefilen {path} er ikke gyldig TOML: den har et tal med alt for mange cifre.",
                         hint=LIMITS_HINT) from None
    _check_size(data, path, limits)
    _check_no_cpr(text, path)
    problems: list[Problem] = []
    top = Reader(path, data, "", text=text, problems=problems, readers=readers)
    _check_counts(top, limits)
    schema = top.integer("schema", required=True, minimum=1)
    if schema and schema > SCHEMA_VERSION:
        # A newer format: its other keys would only be reported as unknown.
        raise top.fail("schema", f"er {_number(schema)}, men denne version af rettidig kan kun læse {SCHEMA_VERSION}")

    safety_r = top.table_("safety")
    safety = Safety(
        question=safety_r.wording("question"), help=safety_r.wording("help", required=False),
        rule=safety_r.wording("rule"), duty=safety_r.wording("duty"),
        contact=safety_r.item_list("contact"), link=safety_r.wording("link", required=False),
        recipients=safety_r.items("recipients", required=True, conditional=True),
        methods=safety_r.items("methods", required=True, conditional=True), law=safety_r.text("law", required=False),
    )
    meet_r = top.table_("meetings", required=False)
    defaults = MeetingRules()
    rhythms = meet_r._get("rhythm_weeks", list, "en liste af hele tal", False, list(defaults.rhythm_weeks))
    low, high = limits.rhythm_weeks
    if not rhythms or not all(isinstance(r, int) and not isinstance(r, bool) and low <= r <= high for r in rhythms):
        meet_r.bad(meet_r.fail("rhythm_weeks", f"skal være en liste af hele tal mellem {low} og {high}"))
        rhythms = list(defaults.rhythm_weeks)
    meetings = MeetingRules(
        rhythm_weeks=tuple(rhythms),
        default_rhythm=meet_r.integer("default_rhythm", default=defaults.default_rhythm, minimum=low, maximum=high),
        default_count=meet_r.integer("default_count", default=defaults.default_count,
                                     minimum=limits.meeting_count[0], maximum=limits.meeting_count[1]),
        default_time=meet_r.text("default_time", required=False) or defaults.default_time,
        skip_optional_holidays=meet_r.boolean("skip_optional_holidays", True),
        parents_always=meet_r.boolean("parents_always"),
        label=meet_r.wording("label", required=False) or defaults.label,
        plural=meet_r.wording("plural", required=False) or defaults.plural,
        form=_meeting_form(meet_r),
    )
    if meetings.default_rhythm not in meetings.rhythm_weeks:
        meet_r.bad(meet_r.fail("default_rhythm", "skal være en af værdierne i rhythm_weeks"))
    try:
        parse_time(meetings.default_time)
    except ValueError:
        meet_r.bad(meet_r.fail("default_time", "skal være et klokkeslæt, fx \"14:00\""))

    phases = []
    for phase_r in top.tables("phases", required=True):
        phase_id = phase_r.ident("id")
        steps = tuple(_step(s, phase_id) for s in phase_r.tables("steps"))
        title = phase_r.wording("title")
        phase_r.confirm(title)
        phases.append(Phase(
            id=phase_id, title=title, guidance=phase_r.items("guidance", conditional=True),
            sparring=phase_r.items("sparring", conditional=True), steps=steps,
            next_hint=phase_r.item("next_hint", conditional=True),
        ))
    deadlines = top.table_("deadlines", required=False)
    if "observations_days" in deadlines.table and "observations_months" in deadlines.table:
        deadlines.bad(deadlines.fail("observations_months", "kan ikke stå sammen med observations_days: skriv enten "
                                                            "dage eller måneder"))
    fit_r = top.table_("fit", required=False)
    settings = top.texts("settings", required=True)
    age_groups, setting_ages = _age_groups(top, settings)
    guide = Guide(
        id=top.ident("id"), name=top.text("name"), short=top.text("short", required=False),
        municipality=top.text("municipality"), source=top.text("source"),
        settings=settings, age_groups=age_groups, setting_ages=setting_ages,
        tools=top.items("tools", required=True), contact=top.item_list("contact"),
        more_info=top.wording("more_info", required=False),
        completion=_completion(top), parent_words=top.table_("parents", required=False).texts("words"),
        fit_respondents=fit_r.items("respondents"), fit_use=fit_r.boolean("use", True),
        fit_note=fit_r.item("note"),
        **_documents(top.table_("documents", required=False)),
        safety=safety, meetings=meetings,
        phases=tuple(phases),
        law=tuple(_law(r) for r in top.tables("law")),
        ruler=tuple(_ruler_position(r) for r in top.tables("ruler")),
        observation_deadline_days=deadlines.integer("observations_days", minimum=limits.observations_days[0],
                                                    maximum=limits.observations_days[1]),
        observation_deadline_months=deadlines.integer("observations_months", minimum=limits.observations_months[0],
                                                      maximum=limits.observations_months[1]),
        escalations=tuple(
            Escalation(r.ident("step"), r.texts("from", required=True), r.ident("to"))
            for r in top.tables("escalations")
        ),
        path=path, sha=sha or _sha256(text), text=text,
        is_default=top.boolean("default"), to_confirm=tuple(sorted(top.confirmations, key=lambda c: c.line)),
    )
    _check_references(guide, top)
    _check_text_conditions(guide, top)
    _check_meeting_form(guide, top)
    _check_documents(guide, top)
    top.done()
    _check_parent_contact(guide, top)
    if problems:
        raise GuideProblems(problems)
    return guide


def _law(r: Reader) -> LawRef:
    law = LawRef(r.ident("id"), r.wording("ref"), r.wording("text"))
    r.confirm(f"{law.ref}: {law.text}")
    return law


def _ruler_position(r: Reader) -> RulerPosition:
    position = RulerPosition(r.ident("id"), r.wording("label"), r.text("colour"), r.wording("description", required=False))
    r.confirm(position.label)
    return position


def _age_groups(top: Reader, settings: tuple[str, ...]) -> tuple[tuple[str, ...], tuple]:
    """`age_groups` as one list for every setting, or as a table with a list per setting (a school's
    classes beside a daycare's age groups): (every group in order, (setting, groups) pairs)."""
    raw = top.table.get("age_groups")
    if not isinstance(raw, dict):
        return top.texts("age_groups", required=True), ()
    top.seen.add("age_groups")
    # Its keys are the guide's settings, not keys of the format: read apart from the format's tables.
    sub = Reader(top.path, raw, "age_groups", ("age_groups",), top.file_text, [], top.problems, top)
    pairs = []
    for setting in settings:
        if setting in raw:
            pairs.append((setting, sub.texts(setting, required=True)))
        else:
            sub.bad(sub.missing(setting, f"en liste af aldersgrupper eller klasser for tilbuddet «{setting}»"))
    for key in raw:
        if key in top.table or key in TOP_KEYS:  # written below [age_groups]: TOML puts it in the table
            sub.bad(sub.fail(key, "står under [age_groups], så TOML læser den som et tilbud. Flyt den op over "
                                  "[age_groups] (nøgler øverst i filen står før den første [tabel])"))
        elif key not in settings:
            sub.bad(sub.fail(key, f"er ikke et af guidens tilbud (settings: {', '.join(settings)})"))
    every = tuple(dict.fromkeys(group for _, groups in pairs for group in groups))
    return every, tuple(pairs)


def _meeting_form(meet: Reader) -> tuple[MeetingPart, ...]:
    """[[meetings.form]]: the parts of a status meeting in the guide's order."""
    parts = []
    for r in meet.tables("form"):
        part = r.text("part")
        if part not in (*MEETING_PARTS, NOTE_PART):
            r.bad(r.fail("part", f"skal være en af {', '.join((*MEETING_PARTS, NOTE_PART))} (ikke «{part}»)"))
        note = part == NOTE_PART
        parts.append(MeetingPart(part, r.items("guidance"), r.ident("id") if note else "",
                                 r.wording("title") if note else "", r.wording("message") if note else ""))
    return tuple(parts)


def _check_meeting_form(guide: Guide, top: Reader) -> None:
    """The meeting begins with who took part; each recorded part comes once; FIT only where it is used."""
    form = guide.meetings.form
    if not form:
        return
    def at(i: int) -> Reader:
        return Reader(top.path, {}, "", ("meetings", "form", i), top.file_text, [], top.problems, top)

    seen: set[str] = set()
    for i, part in enumerate(form):
        key = part.id if part.part == NOTE_PART else part.part
        if key in seen:
            top.bad(at(i).fail("id" if part.part == NOTE_PART else "part",
                               f"er «{key}», som et punkt før det også har. Hvert punkt kommer én gang"))
        seen.add(key)
        if part.part.startswith("fit_") and not guide.fit_use:
            top.bad(at(i).fail("part", f"er «{part.part}», men guiden bruger ikke FIT ([fit] use = false)"))
        if part.part == "placering" and not guide.ruler:
            top.bad(at(i).fail("part", "er «placering» (børnelinealen), men guiden har ingen [[ruler]]"))
    if form[0].part != "deltagere":
        top.bad(at(0).fail("part", f"er «{form[0].part}», men mødet begynder med, hvem der deltog: det første "
                                   "punkt skal være part = \"deltagere\""))


def _check_text_conditions(guide: Guide, top: Reader) -> None:
    """A text's `when` names a decision of the guide and one of its choices (a text may depend on a
    later decision: until it is made, every variant is shown). The underretning always has a
    recipient and a way to send it, on the abuse path too."""
    safety = Reader(top.path, {}, "safety", ("safety",), top.file_text, [], top.problems, top)
    for key in ("recipients", "methods"):
        items = getattr(guide.safety, key)
        if items and all(item.parent_contact for item in items):
            top.bad(safety.fail(key, "skal have mindst én tekst uden parent_contact: underretningen sendes også, "
                                     "når der er mistanke om vold eller overgreb"))
    decisions = {s.id: s for s in guide.steps() if s.kind == StepKind.DECISION}
    for reader, (decision, choice) in top.conditions:
        step = decisions.get(decision)
        if step is None:
            why = "er ikke en beslutning (kind = \"decision\")" if decision in {s.id for s in guide.steps()} else "findes ikke"
            reader.bad(reader.fail("when", f"kan aldrig være sand: «{decision}» {why}"))
        elif choice not in {o.id for o in step.options}:
            reader.bad(reader.fail("when", f"kan aldrig være sand: beslutningen «{decision}» har ikke valget «{choice}» "
                                           f"(den har {', '.join(o.id for o in step.options)})"))


def _documents(docs: Reader) -> dict:
    """[documents]: which general documents the guide offers, and its own ([[documents.purposes]])."""
    from rettidig_cli.guide.reference import read_purpose

    listed = docs.texts("offers")
    return {"offers": listed if "offers" in docs.table else None,
            "own_purposes": tuple(read_purpose(r) for r in docs.tables("purposes"))}


def _check_documents(guide: Guide, top: Reader) -> None:
    """Every document the guide offers exists, and its own have names of their own."""
    from rettidig_cli.guide.reference import document_rules

    general = document_rules().purposes
    docs = Reader(top.path, top.table.get("documents") if isinstance(top.table.get("documents"), dict) else {},
                  "documents", ("documents",), top.file_text, [], top.problems, top)
    known = {p.id for p in general}
    for i, wanted in enumerate(guide.offers or ()):
        if wanted not in known:
            top.bad(docs.fail(("offers", i), f"er «{wanted}», som ikke er et dokument i data/documents.toml "
                                             f"(de er: {', '.join(sorted(known))})"))
    taken = {name for p in general for name in (p.id, *p.names)}
    for i, own in enumerate(guide.own_purposes):
        at = Reader(top.path, {}, "", ("documents", "purposes", i), top.file_text, [], top.problems, docs)
        clash = sorted({own.id, *own.names} & taken)
        if clash:
            top.bad(at.fail("id", f"eller et af navnene ({', '.join(clash)}) bruges allerede af et dokument i "
                                  "data/documents.toml. Giv guidens eget dokument sit eget id og navne"))
        taken |= {own.id, *own.names}
    from types import SimpleNamespace

    from rettidig_cli.guide import parents

    texts = parents.document_texts_on_abuse_path(SimpleNamespace(purposes=guide.own_purposes))
    for where, sentence in parents.unmarked(texts, guide.parent_words):
        _unmarked_parent_text(guide, top, f"documents.{where}", sentence,
                              "Marker teksten eller afsnittet med parent_contact = true.")


def _check_parent_contact(guide: Guide, top: Reader) -> None:
    """A guide that speaks of the parents where a case on the abuse path can see it, without
    marking the text, is refused: a municipality's new guide cannot forget the rule. Every such
    text is a problem of its own, with its line."""
    from rettidig_cli.guide.parents import guide_problems

    hint = ("Skriv teksten som { text = \"...\", parent_contact = true } (evt. med abuse_path = \"tekst uden "
            "forældrene\"), eller sæt parent_contact = true på trinnet eller valget.")
    for where, sentence in guide_problems(guide):
        _unmarked_parent_text(guide, top, where, sentence, hint)


def _unmarked_parent_text(guide: Guide, top: Reader, where: str, sentence: str, hint: str) -> None:
    """A text the abuse path can show that speaks of the parents without being marked: a problem
    at the line the sentence is written on."""
    line = _line_of(top.file_text, sentence)
    what = (f"«{sentence}» handler om forældrene, men er ikke markeret. Ved mistanke om vold eller overgreb "
            "må intet foreslå at kontakte forældrene.")
    message = f"Fejl i guidefilen {guide.path}{f', linje {line}' if line else ''} ({where}): {what}"
    error = GuideError(message, hint=hint)
    error.problem = Problem(guide.path, line, None, where, message, hint, what)
    top.bad(error)


def _line_of(text: str, sentence: str) -> int | None:
    """The first line of the file holding the start of the sentence (guide texts are written on one line)."""
    probe = sentence[:40]
    for number, line in enumerate(text.splitlines(), start=1):
        if probe and probe in line:
            return number
    return None


def _completion(top: Reader) -> Item | None:
    """The closing text. `completion_abuse_path` (the first way of writing it) is read as the
    completion's abuse_path wording."""
    item = top.item("completion")
    legacy = top.text("completion_abuse_path", required=False)
    if item and legacy and not item.abuse_path:
        return Item(item.text, True, legacy)
    return item


def _at(top: Reader, *keys) -> Reader:
    """A reader placed at a table of the file (a phase, a step), to name it in a problem; it is
    not one of the readers whose keys done() checks."""
    reader, table = top, top.table
    for i in range(0, len(keys), 2):
        key, index = keys[i], keys[i + 1]
        listed = table.get(key) if isinstance(table, dict) else None
        table = listed[index] if isinstance(listed, list) and index < len(listed) else {}
        table = table if isinstance(table, dict) else {}
        reader = Reader(top.path, table, "", reader.keys + (key, index), top.file_text, [], top.problems, reader)
    return reader


def _step_places(top: Reader) -> dict[str, tuple[int, int]]:
    """Each step id's (phase index, step index) in the file, the first place it is written."""
    places: dict[str, tuple[int, int]] = {}
    phases = top.table.get("phases")
    for pi, phase in enumerate(phases if isinstance(phases, list) else []):
        steps = phase.get("steps") if isinstance(phase, dict) else None
        for si, step in enumerate(steps if isinstance(steps, list) else []):
            if isinstance(step, dict) and isinstance(step.get("id"), str):
                places.setdefault(step["id"], (pi, si))
    return places


def _check_references(guide: Guide, top: Reader) -> None:
    """What the keys say together: ids used once, a `when` that can be true, every step reachable,
    every choice of a branching decision leading somewhere, escalations and law references."""
    seen: dict[str, Step] = {}
    phase_ids: set[str] = set()
    unreachable: set[str] = set()
    followed: set[tuple[str, str]] = set()  # (decision, choice) some step's `when` names
    raw_phases = top.table.get("phases") if isinstance(top.table.get("phases"), list) else []
    for pi, phase in enumerate(guide.phases):
        phase_at = _at(top, "phases", pi)
        if phase.id in phase_ids:
            top.bad(phase_at.fail("id", f"er «{phase.id}», som en fase før den også har. Et id bruges kun én gang"))
        phase_ids.add(phase.id)
        for si, step in enumerate(phase.steps):
            at = _at(top, "phases", pi, "steps", si) if pi < len(raw_phases) else top
            if step.id in seen:
                top.bad(at.fail("id", f"er «{step.id}», som et trin før det også har. Et trin-id bruges kun én gang "
                                      "i hele guiden"))
            if step.when:
                decision, choice = step.when
                source = seen.get(decision)
                if source is None or source.kind != StepKind.DECISION:
                    later = decision in _step_places(top) and decision not in seen
                    why = ("kommer først senere i guiden" if later else
                           "er ikke en beslutning (kind = \"decision\")" if source else "findes ikke")
                    top.bad(at.fail("when", f"kan aldrig være sand: «{decision}» {why}. Forventet: "
                                            f"\"id-på-en-beslutning-før-trinnet=valg-id\""))
                    unreachable.add(step.id)
                elif choice not in {o.id for o in source.options}:
                    top.bad(at.fail("when", f"kan aldrig være sand: beslutningen «{decision}» har ikke valget "
                                            f"«{choice}» (den har {', '.join(o.id for o in source.options)})"))
                    unreachable.add(step.id)
                elif decision in unreachable:
                    top.bad(at.fail("when", f"kan aldrig være sand: beslutningen «{decision}» bliver selv aldrig "
                                            "stillet"))
                    unreachable.add(step.id)
                else:
                    followed.add((decision, choice))
            if step.kind == StepKind.POSITION and not guide.ruler:
                top.bad(at.fail("kind", "er \"position\" (børnelinealen), men guiden har ingen [[ruler]]"))
            seen[step.id] = step
    kinds = {s.kind for s in seen.values()}
    if guide.phases and StepKind.CHILD not in kinds:
        top.bad(top.fail("phases", "skal have et trin med kind = \"child\" (barnet)"))
    escalated: set[tuple[str, str]] = set()
    for i, esc in enumerate(guide.escalations):
        at = _at(top, "escalations", i)
        step = seen.get(esc.step)
        if step is None or step.kind != StepKind.DECISION or step.multiple:
            top.bad(at.fail("step", f"peger på «{esc.step}», som ikke er en beslutning med ét valg"))
            continue
        option_ids = {o.id for o in step.options}
        for option in (*esc.from_options, esc.to):
            if option not in option_ids:
                top.bad(at.fail("from" if option in esc.from_options else "to",
                                f"nævner valget «{option}», som «{esc.step}» ikke har"))
            escalated.add((esc.step, option))
    _check_choices_lead_somewhere(guide, top, followed, escalated)
    if guide.safety.law and guide.law_ref(guide.safety.law) is None:
        safety = Reader(top.path, {}, "safety", ("safety",), top.file_text, [], top.problems, top)
        top.bad(safety.fail("law", f"peger på «{guide.safety.law}», som ikke findes under [[law]]"))


def _check_choices_lead_somewhere(guide: Guide, top: Reader, followed: set, escalated: set) -> None:
    """A decision whose choices lead to steps of their own (`when`): a choice that leads to no step,
    says nothing about what it means (consequences) and is no escalation, leads nowhere, and the
    case stops there without a word. Usually a misspelt `when`."""
    places = _step_places(top)
    for step in guide.steps():
        if step.kind != StepKind.DECISION or not any(d == step.id for d, _ in followed):
            continue
        for oi, option in enumerate(step.options):
            if (step.id, option.id) in followed or option.consequences or (step.id, option.id) in escalated:
                continue
            pi, si = places.get(step.id, (0, 0))
            at = _at(top, "phases", pi, "steps", si, "options", oi)
            top.bad(at.fail("id", f"er et valg, som intet trin følger: intet trin har when = "
                                  f"\"{step.id}={option.id}\", og valget har ingen consequences. Forventet: et trin "
                                  "med den when, eller consequences, der siger, hvad valget betyder"))


# ---------------------------------------------------------------- discovery


def builtin_guide_dir() -> Path:
    """data/guides inside an installed wheel, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent.parent  # rettidig_cli/
    for candidate in (here / "data" / "guides", here.parent / "data" / "guides"):
        if candidate.is_dir():
            return candidate
    raise GuideError("De medfølgende guides blev ikke fundet. Installér rettidig igen.")


def schema_path() -> Path:
    """The JSON Schema of the guide format that ships with rettidig (for an editor's `#:schema`)."""
    return builtin_guide_dir().parent / "guide.schema.json"


def guide_dirs(home: Path | None) -> list[Path]:
    dirs = [builtin_guide_dir()]
    if home is not None and (home / "guides").is_dir():
        dirs.append(home / "guides")  # a municipality's own guides, dropped in the data folder
    return dirs


def load_file(path: Path) -> Guide:
    from rettidig_cli.guide.reference import limits

    limit = limits().max_file_bytes
    try:
        # Never more than the limit is read: a huge file (or a device that never ends) is refused at once.
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
        if len(raw) > limit:
            raise _too_big(str(path), limit)
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise NotFoundError(f"Guidefilen {path} findes ikke.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GuideError(f"Guidefilen {path} kan ikke læses ({exc.__class__.__name__}).") from None
    return parse_guide(text, str(path))


class Broken(NamedTuple):
    """An installed guide file that cannot be used, and why."""

    path: str
    error: RettidigError


def problems_of(error: RettidigError, path: str) -> list[Problem]:
    """Every problem an error about a guide file names (one, unless it is GuideProblems)."""
    found = getattr(error, "problems", None) or [getattr(error, "problem", None)]
    return [p for p in found if p is not None] or [Problem(path, None, None, "", error.message, error.hint or "")]


def catalogue(home: Path | None) -> tuple[list[Guide], list[Broken]]:
    """The installed guides that can be used, and the files that cannot: one broken file (or a
    copy that kept another guide's id) never stops the others."""
    guides: list[Guide] = []
    broken: list[Broken] = []
    owners: dict[str, str] = {}
    for folder in guide_dirs(home):
        for path in sorted(folder.glob("*.toml")):
            try:
                guide = load_file(path)
            except RettidigError as exc:
                broken.append(Broken(str(path), exc))
                continue
            if guide.id in owners:
                broken.append(Broken(str(path), duplicate_id(guide, owners[guide.id])))
                continue
            owners[guide.id] = guide.path
            guides.append(guide)
    return guides, broken


def duplicate_id(guide: Guide, owner: str) -> GuideError:
    """The error of a guide whose id another installed guide already has."""
    reader = Reader(guide.path, {}, "", text=guide.text, problems=[])
    return reader.problem(("id",), f"id = «{guide.id}» bruges allerede af guiden {owner}. To guides kan ikke "
                                   "have samme id (så ved rettidig ikke, hvilken der menes).",
                          hint="Giv guiden sit eget id, fx kommunens navn: id = \"min-kommune\".")


def available(home: Path | None) -> list[Guide]:
    return catalogue(home)[0]


def find(name_or_path: str, home: Path | None) -> Guide:
    """A guide by id, file name, unique id prefix, or a path to a .toml file. A broken installed
    guide asked for by its file name says what is wrong with it."""
    candidate = Path(name_or_path).expanduser()
    if candidate.suffix == ".toml" or os.sep in name_or_path:
        return load_file(candidate)
    guides, broken = catalogue(home)
    wanted = name_or_path.strip().lower()
    exact = [g for g in guides if wanted in (g.id, Path(g.path).stem)]
    matches = exact or [g for g in guides if g.id.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    for bad in broken:
        if not matches and Path(bad.path).stem.lower() == wanted:
            raise bad.error
    names = ", ".join(g.id for g in guides)
    if not matches:
        raise NotFoundError(f"Guiden «{name_or_path}» findes ikke.", hint=f"Installerede guides: {names}.")
    raise NotFoundError(f"«{name_or_path}» passer på flere guides.", hint=f"Skriv hele navnet: {names}.")


def default_guide(home: Path | None) -> Guide:
    """RETTIDIG_GUIDE if set, else the guide marked default, else the first one."""
    chosen = os.environ.get("RETTIDIG_GUIDE")
    if chosen:
        return find(chosen, home)
    guides, broken = catalogue(home)
    if not guides:
        raise broken[0].error if broken else GuideError("Der er ingen guides installeret.",
                                                       hint="Installér rettidig igen.")
    return next((g for g in guides if g.is_default), guides[0])
