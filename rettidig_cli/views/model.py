"""The read model of a case: the handleplan as typed records, built by plan.build and read by the
terminal, the morning overview, the exports and `--json`.

Attribute names are English, like the columns they come from; `to_json` gives the Danish keys
the `--json` output has always had, from one table (JSON_KEYS), so a record has one vocabulary
in the code and one for its readers."""

import datetime as dt
from enum import Enum, StrEnum
from typing import Any, NamedTuple

from rettidig_cli.domain.vocabulary import CaseStatus, MeetingState


class DutyKind(StrEnum):
    """What a dated (or undated) duty of a case is about."""

    NO_UNDERRETNING = "underretning_mangler"
    LEADER_NOT_INFORMED = "leder_ikke_informeret"
    OBSERVATIONS = "iagttagelser"
    AGREEMENT = "aftale"
    MEETING = "moede"


class Duty(NamedTuple):
    """Something the case asks for by a day: overdue when the day has passed. `ref` is the
    agreement's or meeting's number in the plan, `label` its text (agreement) or type (meeting)."""

    kind: DutyKind
    day: dt.date | None = None
    ref: int | None = None
    label: str = ""

    def overdue(self, today: dt.date) -> bool:
        return self.day is None or self.day < today


class GuideRef(NamedTuple):
    id: str
    name: str
    municipality: str
    source: str


ANONYMOUS_CHILD = "Anonym drøftelse (uden navn)"


class Child(NamedTuple):
    name: str | None
    age_group: str | None
    setting: str | None
    anonymous: bool = False  # discussed without a name until the parents consent

    def shown_name(self, missing: str = "(ikke udfyldt)") -> str:
        return self.name or (ANONYMOUS_CHILD if self.anonymous else missing)


class Closing(NamedTuple):
    day: str
    reason: str
    summary: str = ""  # what the case came to, given when it was closed


class PhaseRef(NamedTuple):
    id: str
    title: str
    number: int
    count: int


class NextStep(NamedTuple):
    phase: str | None
    step: str
    guidance: list[str]


class Observation(NamedTuple):
    day: str
    what: str
    method: str
    who: str


class Factor(NamedTuple):
    kind: str
    text: str


class Answer(NamedTuple):
    """A free-text answer of the guide (the concern, a perspective, the analysis …)."""

    step: str
    title: str
    role: str | None
    text: str


class Earlier(NamedTuple):
    choice: str
    day: str


class Decision(NamedTuple):
    step: str
    title: str
    choices: list[str]
    meaning: list[str]
    day: str
    earlier: list[Earlier]
    reason: str


class AgreementEvent(NamedTuple):
    day: str
    status: str
    note: str
    meeting_id: int | None


class Agreement(NamedTuple):
    nr: int
    what: str
    who: str
    due: str | None
    status: str
    agreed: str
    history: list[AgreementEvent]
    overdue: bool

    def latest_note(self) -> AgreementEvent | None:
        """The most recent change that came with a note, if any."""
        return next((e for e in reversed(self.history) if e.note), None)


class Meeting(NamedTuple):
    nr: int
    kind: str
    day: str
    time: str | None
    participants: list[str]
    status: str
    moved_from: str | None
    reason: str
    status_meeting: bool
    held_on: str | None
    attended: list[str] | None
    parents_present: bool | None
    absence_reason: str
    minutes: str
    cancel_reason: str
    changes: int

    def people(self) -> list[str]:
        """Who took part, once held; who is invited before."""
        return self.attended if self.attended is not None else self.participants


class Person(NamedTuple):
    name: str
    role: str


class FormerTovholder(NamedTuple):
    name: str
    role: str
    since: str


class Consent(NamedTuple):
    topic: str
    step: str
    answer: str
    name: str | None
    day: str | None
    title: str


class ParentsPart(NamedTuple):
    views: list[Answer]
    consents: list[Consent]
    signature: Consent | None


class Position(NamedTuple):
    id: str
    label: str
    day: str
    reason: str
    colour: str


class RulerStep(NamedTuple):
    id: str
    label: str
    colour: str


class RulerEntry(NamedTuple):
    day: str
    id: str
    label: str
    colour: str
    reason: str


class Ruler(NamedTuple):
    steps: list[RulerStep]
    history: list[RulerEntry]


class Underretning(NamedTuple):
    day: str
    recipient: str
    method: str
    leader_informed: bool
    note: str


class Plan(NamedTuple):
    code: str
    status: str
    closed: Closing | None
    created: str
    updated: str
    guide: GuideRef
    child: Child
    abuse_path: bool
    safety_rule: str | None
    concern: list[str]
    phase: PhaseRef
    done: bool
    next_step: NextStep
    observations: list[Observation]
    observation_deadline: str | None
    observations_done: bool
    factors: list[Factor]
    texts: list[Answer]
    decisions: list[Decision]
    agreements: list[Agreement]
    tovholder: Person | None
    tovholders: list[FormerTovholder]
    status_meetings: list[Meeting]
    other_meetings: list[Meeting]
    next_meeting: Meeting | None
    next_status_meeting: Meeting | None
    parents: ParentsPart
    child_view: list[str]
    analysis: list[str]
    position: Position | None
    ruler: Ruler
    fit: list[dict]  # fit.series: the FIT readings, already in the shape of the output
    underretninger: list[Underretning]
    sparring: list[str]
    duties: list[Duty]  # every dated duty, overdue or not; see overdue()
    today: dt.date  # the day the plan was built for
    network: tuple[str, ...] = ()  # the people of the family's own network the family wants with them
    meeting_agenda: tuple[str, ...] = ()  # the guide's own order of a status meeting; empty: the document's
    fit_used: bool = True  # the guide uses FIT at its meetings

    def meetings(self) -> list[Meeting]:
        return self.status_meetings + self.other_meetings

    def texts_of(self, role: str) -> list[Answer]:
        return [t for t in self.texts if t.role == role]

    def overdue(self) -> list[Duty]:
        """The duties past their day, on the day the plan was built: the abuse path's first."""
        return [d for d in self.duties if d.overdue(self.today)]

    def summary(self) -> "Summary":
        return Summary(
            code=self.code, status=self.status, closed=self.closed, updated=self.updated, child=self.child,
            abuse_path=self.abuse_path, phase=self.phase, done=self.done, next_phase=self.next_step.phase,
            tovholder=self.tovholder.name if self.tovholder else "", position=self.position,
            status_meetings=sorted(m.day for m in self.status_meetings if m.status == MeetingState.PLANNED),
            duties=self.duties)


class Summary(NamedTuple):
    """What the morning overview needs of a case, kept beside it (storage: case_summaries) so that
    `list` reads one row per case instead of building every plan. Nothing here depends on the day
    it was made: the duties carry their days, and the overview compares them with today."""

    code: str
    status: str
    closed: Closing | None
    updated: str
    child: Child
    abuse_path: bool
    phase: PhaseRef
    done: bool
    next_phase: str | None  # the phase to continue in the guide; None when every phase is done
    tovholder: str
    position: Position | None
    status_meetings: list[str]  # the planned status meetings' days, past ones too (ISO, in order)
    duties: list[Duty]

    def overdue(self, today: dt.date) -> list[Duty]:
        return [d for d in self.duties if d.overdue(today)]

    def next_status_meeting(self, today: dt.date) -> str | None:
        """The first planned status meeting from today on (a summary is kept for days)."""
        return next_day(self.status_meetings, today)

    def facts(self) -> "Facts":
        dated = [d.day.isoformat() for d in self.duties if d.day]
        soon = [d.day.isoformat() for d in self.duties if d.day and d.kind in (DutyKind.OBSERVATIONS,
                                                                                DutyKind.AGREEMENT)]
        return Facts(
            code=self.code, open=self.status == CaseStatus.OPEN, has_undated_duty=any(d.day is None for d in self.duties),
            first_duty=min(dated, default=None), first_soon_duty=min(soon, default=None),
            status_meetings=",".join(self.status_meetings), updated=self.updated,
            needs_tovholder=not self.tovholder and self.phase.number > 1, tovholder=self.tovholder,
            setting=self.child.setting or "", phase_number=self.phase.number, phase_id=self.phase.id,
            phase_title=self.phase.title)

    @classmethod
    def from_json(cls, data: dict) -> "Summary":
        """Read back what to_stored wrote."""
        return cls(
            code=data["code"], status=data["status"],
            closed=Closing(**data["closed"]) if data["closed"] else None, updated=data["updated"],
            child=Child(**data["child"]), abuse_path=data["abuse_path"], phase=PhaseRef(**data["phase"]),
            done=data["done"], next_phase=data["next_phase"], tovholder=data["tovholder"],
            position=Position(**data["position"]) if data["position"] else None,
            status_meetings=data["status_meetings"],
            duties=[Duty(DutyKind(d["kind"]), dt.date.fromisoformat(d["day"]) if d["day"] else None, d["ref"],
                         d["label"]) for d in data["duties"]],
        )

    def to_stored(self) -> dict:
        """Plain data for the summary table (English keys: it is storage, not output)."""
        return _plain(self)


class Facts(NamedTuple):
    """The few facts of a Summary that rank and filter the morning view (overview.rank). Kept as
    columns beside the summary, so 10,000 cases are ranked without reading 10,000 summaries."""

    code: str
    open: bool
    setting: str
    has_undated_duty: bool  # a duty without a day (the abuse path's) is always overdue
    first_duty: str | None  # the earliest day of any dated duty (ISO)
    first_soon_duty: str | None  # the earliest observation or agreement deadline
    status_meetings: str  # the planned status meetings' days, comma-separated (see Summary)
    updated: str
    needs_tovholder: bool
    tovholder: str
    phase_number: int
    phase_id: str
    phase_title: str

    # The columns of the summary table: the fields after code, open and setting (which come from
    # the case), in the same order, so a row of the table is the rest of a Facts as it is.
    COLUMNS = ("has_undated_duty", "first_duty", "first_soon_duty", "status_meetings", "updated",
               "needs_tovholder", "tovholder", "phase_number", "phase_id", "phase_title")

    def columns(self) -> tuple:
        return tuple(getattr(self, name) for name in self.COLUMNS)

    def next_status_meeting(self, today: dt.date) -> str | None:
        return next_day(self.status_meetings.split(",") if self.status_meetings else [], today)


def next_day(days: list[str], today: dt.date) -> str | None:
    """The first of these ISO days (in order) that is today or later."""
    iso = today.isoformat()
    return next((day for day in days if day >= iso), None)


def is_record(value: Any) -> bool:
    """One of the records here (a NamedTuple: made ten times faster than a frozen dataclass,
    which counts at every start of the command)."""
    return isinstance(value, tuple) and hasattr(value, "_fields")


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if is_record(value):
        return {name: _plain(item) for name, item in zip(value._fields, value)}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# One Danish key per English attribute name, whichever record it is on.
JSON_KEYS = {
    "code": "kode", "status": "status", "closed": "lukket", "created": "oprettet", "updated": "opdateret",
    "guide": "guide", "child": "barn", "abuse_path": "mistanke_om_vold_eller_overgreb",
    "safety_rule": "sikkerhedsregel", "concern": "bekymring", "phase": "fase", "done": "faerdig",
    "next_step": "naeste_skridt", "observations": "observationer", "observation_deadline": "iagttagelsesfrist",
    "observations_done": "iagttagelser_faerdige", "factors": "faktorer", "texts": "tekster",
    "decisions": "beslutninger", "agreements": "aftaler", "tovholder": "tovholder", "tovholders": "tovholdere",
    "status_meetings": "statusmoeder", "other_meetings": "andre_moeder", "next_meeting": "naeste_moede",
    "next_status_meeting": "naeste_statusmoede", "parents": "foraeldre", "child_view": "barnets_perspektiv",
    "analysis": "analyse", "position": "placering", "ruler": "linealen", "fit": "fit",
    "underretninger": "underretninger", "sparring": "sparring",
    # the records inside
    "id": "id", "name": "navn", "municipality": "kommune", "source": "kilde", "age_group": "aldersgruppe",
    "setting": "tilbud", "day": "dato", "reason": "grund", "summary": "opsummering", "title": "titel", "number": "nummer", "count": "antal",
    "step": "trin", "guidance": "vejledning", "what": "hvad", "method": "metode", "who": "hvem", "kind": "type",
    "text": "tekst", "role": "rolle", "choices": "valg", "meaning": "betydning", "earlier": "tidligere",
    "choice": "valg", "note": "note", "meeting_id": "moede_id", "nr": "nr", "due": "senest", "agreed": "aftalt",
    "history": "historik", "overdue": "overskredet", "time": "tidspunkt", "participants": "deltagere",
    "moved_from": "flyttet_fra", "status_meeting": "status_moede", "held_on": "holdt_dato", "attended": "deltog",
    "parents_present": "foraeldre_deltog", "absence_reason": "fravaer_grund", "minutes": "referat",
    "cancel_reason": "aflyst_grund", "changes": "aendringer", "since": "siden", "topic": "emne", "answer": "svar",
    "views": "perspektiv", "consents": "samtykker", "signature": "underskrift", "label": "label",
    "colour": "farve", "steps": "trin", "recipient": "modtager", "leader_informed": "leder_informeret",
    "anonymous": "anonym", "network": "netvaerk",
}
# Where one attribute name is written differently on one record (kept as the output always was).
_RECORD_KEYS = {
    (Decision, "reason"): "begrundelse", (Position, "reason"): "begrundelse", (RulerEntry, "reason"): "begrundelse",
    (Underretning, "method"): "hvordan",
}
# Attributes of the model that are not part of the output.
# The guide's own meeting (agenda, FIT) shapes the documents; it is the guide's, not the case's.
_NOT_OUTPUT = {(Plan, "duties"), (Plan, "today"), (Plan, "meeting_agenda"), (Plan, "fit_used")}


def to_json(value: Any) -> Any:
    """The record as the `--json` output has it: Danish keys, ISO dates, lists and dicts."""
    if is_record(value):
        kind = type(value)
        return {_RECORD_KEYS.get((kind, name), JSON_KEYS[name]): to_json(item)
                for name, item in zip(value._fields, value) if (kind, name) not in _NOT_OUTPUT}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def cleaned(value: Any, clean) -> Any:
    """`clean` applied to every string of a record (records, lists, dicts)."""
    if isinstance(value, Enum):
        return value
    if isinstance(value, str):
        return clean(value)
    if is_record(value):
        return type(value)(*(cleaned(item, clean) for item in value))
    if isinstance(value, list):
        return [cleaned(item, clean) for item in value]
    if isinstance(value, dict):
        return {key: cleaned(item, clean) for key, item in value.items()}
    return value
