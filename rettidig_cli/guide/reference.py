"""Reference data shared by every guide: FIT scoring rules (data/fit.toml), the rules for
following a case (data/followup.toml) and the limits on dates and guide files (data/limits.toml).
Numbers a municipality may need to correct live there, not here; this module only reads and
checks them."""

import functools
import tomllib
from typing import NamedTuple

from rettidig_cli.domain.errors import GuideError
from rettidig_cli.guide.reader import Item, Option, Reader, builtin_guide_dir

INSTRUMENT_KINDS = ("outcome", "alliance", "engagement")


class Instrument(NamedTuple):
    id: str
    name: str
    kind: str  # outcome (ORS, CORS), alliance (SRS, CSRS) or engagement (YCORS: a note, no score)
    who: Item | None  # whom the form is for; its example may name the parents (see parents.shown)
    items: int
    item_max: int
    cutoff: float | None
    sd: float | None
    min_age: int | None
    max_age: int | None

    @property
    def scored(self) -> bool:
        return self.items > 0

    @property
    def total_max(self) -> int:
        return self.items * self.item_max


class FitRules(NamedTuple):
    reliable_effect_size: float
    decimals: int
    instruments: tuple[Instrument, ...]
    respondents: tuple[Item, ...] = ()  # suggestions for who filled in a form

    def instrument(self, wanted: str) -> Instrument:
        key = wanted.strip().upper()
        for instrument in self.instruments:
            if instrument.id.upper() == key:
                return instrument
        raise ValueError(f"skema skal være en af: {', '.join(i.id for i in self.instruments)}.")


class FollowUpRules(NamedTuple):
    inactive_days: int
    soon_days: int
    close_reasons: tuple[str, ...]
    factor_types: tuple[Option, ...]


def _all_read(top: Reader, value):
    """Every key of a reference file was asked for: a misspelt key is refused with its line and the
    nearest known key, never ignored (it would leave a rule at a default unseen)."""
    top.integer("schema", required=False, minimum=1)
    top.done()
    return value


def _load(name: str) -> tuple[Reader, str]:
    path = builtin_guide_dir().parent / name
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, ValueError, RecursionError) as exc:  # ValueError: TOMLDecodeError, bad UTF-8, huge numbers
        raise GuideError(f"Datafilen {path} kan ikke læses ({exc.__class__.__name__}).",
                         hint="Installér rettidig igen, eller ret filen.") from None
    return Reader(str(path), data, "", text=text), str(path)


def _number(reader: Reader, key: str, required: bool = False) -> float | None:
    value = reader._get(key, (int, float), "et tal", required, None)
    if isinstance(value, bool):
        raise reader.fail(key, "skal være et tal")
    return None if value is None else float(value)


@functools.cache
def fit_rules() -> FitRules:
    top, _ = _load("fit.toml")
    instruments = []
    for r in top.tables("instruments", required=True):
        kind = r.text("kind")
        if kind not in INSTRUMENT_KINDS:
            raise r.fail("kind", f"skal være en af {', '.join(INSTRUMENT_KINDS)}")
        items = r.integer("items", required=True)
        instrument = Instrument(
            id=r.text("id"), name=r.text("name"), kind=kind, who=r.item("who"), items=items,
            item_max=r.integer("item_max", required=items > 0, default=0, minimum=1 if items else 0),
            cutoff=_number(r, "cutoff", required=items > 0), sd=_number(r, "sd", required=kind == "outcome"),
            min_age=r.integer("min_age"), max_age=r.integer("max_age"),
        )
        instruments.append(instrument)
    return _all_read(top, FitRules(
        reliable_effect_size=_number(top, "reliable_effect_size", required=True),
        decimals=top.integer("decimals", required=True),
        instruments=tuple(instruments),
        respondents=top.items("respondents"),
    ))


class Limits(NamedTuple):
    """What rettidig accepts (data/limits.toml): the plausible range of a date, and how big a
    guide may be. Checked before the expensive work, so bad input fails within a moment."""

    earliest_year: int
    years_ahead: int
    max_file_bytes: int
    max_depth: int
    max_text_length: int
    max_list_items: int
    max_phases: int
    max_steps: int
    max_options: int
    observations_days: tuple[int, int]
    observations_months: tuple[int, int]
    rhythm_weeks: tuple[int, int]
    meeting_count: tuple[int, int]
    answers_max_bytes: int  # an --answers file
    answers_max_depth: int
    retention_months: tuple[int, int]  # the periods a user may set in indstillinger.toml


@functools.cache
def limits() -> Limits:
    top, _ = _load("limits.toml")
    days, guide = top.table_("dates"), top.table_("guide")
    deadlines, meetings = guide.table_("deadlines"), guide.table_("meetings")
    answers, user_settings = top.table_("answers"), top.table_("settings")

    def span(reader: Reader, low: str, high: str) -> tuple[int, int]:
        first = reader.integer(low, required=True, minimum=1)
        last = reader.integer(high, required=True, minimum=first)
        return first, last

    return _all_read(top, Limits(
        # dt.date reaches year 9999; leave room for the arithmetic on a date in the range.
        earliest_year=days.integer("earliest_year", required=True, minimum=1900, maximum=2100),
        years_ahead=days.integer("years_ahead", required=True, minimum=1, maximum=100),
        max_file_bytes=guide.integer("max_file_bytes", required=True, minimum=1000),
        max_depth=guide.integer("max_depth", required=True, minimum=10),
        max_text_length=guide.integer("max_text_length", required=True, minimum=100),
        max_list_items=guide.integer("max_list_items", required=True, minimum=10),
        max_phases=guide.integer("max_phases", required=True, minimum=1),
        max_steps=guide.integer("max_steps", required=True, minimum=1),
        max_options=guide.integer("max_options", required=True, minimum=2),
        observations_days=span(deadlines, "observations_days_min", "observations_days_max"),
        observations_months=span(deadlines, "observations_months_min", "observations_months_max"),
        rhythm_weeks=span(meetings, "rhythm_weeks_min", "rhythm_weeks_max"),
        meeting_count=span(meetings, "count_min", "count_max"),
        answers_max_bytes=answers.integer("max_file_bytes", required=True, minimum=1000),
        answers_max_depth=answers.integer("max_depth", required=True, minimum=5),
        retention_months=span(user_settings, "retention_months_min", "retention_months_max"),
    ))


class PrivacyRules(NamedTuple):
    closed_case_months: int
    audit_months: int
    passphrase_min_length: int
    keyring_service: str
    cloud_folders: tuple[str, ...]
    network_filesystems: tuple[str, ...]


@functools.cache
def privacy_rules() -> PrivacyRules:
    top, _ = _load("privacy.toml")
    return _all_read(top, PrivacyRules(
        closed_case_months=top.integer("closed_case_months", required=True, minimum=1),
        audit_months=top.integer("audit_months", required=True, minimum=1),
        passphrase_min_length=top.integer("passphrase_min_length", required=True, minimum=8),
        keyring_service=top.text("keyring_service"),
        cloud_folders=top.texts("cloud_folders", required=True),
        network_filesystems=top.texts("network_filesystems", required=True),
    ))


@functools.cache
def followup_rules() -> FollowUpRules:
    top, _ = _load("followup.toml")
    factor_types = tuple(Option(r.ident("id"), r.text("label")) for r in top.tables("factor_types", required=True))
    return _all_read(top, FollowUpRules(
        inactive_days=top.integer("inactive_days", required=True, minimum=1),
        soon_days=top.integer("soon_days", required=True, minimum=1),
        close_reasons=top.texts("close_reasons", required=True),
        factor_types=factor_types,
    ))


# The kinds of content a document section can hold (data/documents.toml `source`); documents.py
# has one builder for each.
SECTION_SOURCES = (
    "safety", "underretninger", "overdue", "concern", "observations", "factors", "perspectives", "decisions", "agreements",
    "meetings", "fit", "ruler", "parents", "next_step", "sparring", "signature", "tried", "parents_view",
    "child_view", "analysis", "meeting_question", "wished_participants", "consent", "request_signature",
    "agenda", "attendance", "review", "latest_fit", "position_now", "new_agreements", "minutes",
    "next_meeting", "question_for_team", "closing",
)
META_FIELDS = ("child", "tovholder", "phase", "position", "created", "printed", "meeting", "age", "setting",
               "period", "printed_month")


class Section(NamedTuple):
    heading: str
    source: str
    help: Item | None = None
    topic: str = ""  # for source = "consent": the guide's consent topic
    parent_contact: bool = False  # left out of the document on the abuse path
    parties: tuple[Item, ...] = ()  # for the signature sources: who signs
    write_in: str = ""  # the label over the lines to write on, where the case has nothing to show yet


# Sections whose whole content is the parents' part: data/documents.toml must mark them parent_contact.
PARENT_SOURCES = ("parents", "parents_view", "consent")
SIGNATURE_SOURCES = ("signature", "request_signature")


class Purpose(NamedTuple):
    id: str
    names: tuple[str, ...]
    title: str
    file_prefix: str
    description: str
    intro: Item | None
    meta: tuple[str, ...]
    sections: tuple[Section, ...]
    agenda: tuple[str, ...]
    anonymous: bool
    json: str
    calendar: str
    csv: str


class AnonymousWords(NamedTuple):
    child: str
    child_possessive: str
    person: str
    marked: str
    date: str
    role_words: frozenset[str]


class DocumentRules(NamedTuple):
    meeting_minutes: int
    reminder_hours: int
    anonymous: AnonymousWords
    purposes: tuple[Purpose, ...]

    def purpose(self, wanted: str) -> Purpose:
        found = _named(self.purposes, wanted)
        if found:
            return found
        raise ValueError(f"«{wanted}» er ikke et formål, jeg kender. Brug et af: "
                         f"{', '.join(p.id for p in self.purposes)}.")


@functools.cache
def document_rules() -> DocumentRules:
    from rettidig_cli.guide import parents

    top, path = _load("documents.toml")
    anon = top.table_("anonymous")
    purposes = [read_purpose(r) for r in top.tables("purposes", required=True)]
    rules = DocumentRules(
        meeting_minutes=top.integer("meeting_minutes", required=True, minimum=1),
        reminder_hours=top.integer("reminder_hours", required=True),
        anonymous=AnonymousWords(
            child=anon.text("child"), child_possessive=anon.text("child_possessive"), person=anon.text("person"),
            marked=anon.text("marked"), date=anon.text("date"),
            role_words=frozenset(w.casefold() for w in anon.texts("role_words", required=True)),
        ),
        purposes=tuple(purposes),
    )
    _all_read(top, rules)
    _check_parent_contact(path, parents.document_texts_on_abuse_path(rules))
    return rules


def read_purpose(r: Reader) -> Purpose:
    """One purpose of a document: in data/documents.toml, or a guide's own ([[documents.purposes]])."""
    sections = []
    for s in r.tables("sections", required=True):
        source = s.text("source")
        if source not in SECTION_SOURCES:
            s.bad(s.fail("source", f"skal være en af {', '.join(SECTION_SOURCES)}"))
        section = Section(s.text("heading"), source, s.item("help"), s.text("topic", required=source == "consent"),
                          s.boolean("parent_contact"), s.items("parties", required=source in SIGNATURE_SOURCES),
                          s.text("write_in", required=False))
        if source in PARENT_SOURCES and not section.parent_contact:
            s.bad(s.fail("parent_contact", f"skal være true: afsnittet «{source}» handler om forældrene"))
        sections.append(section)
    meta = r.texts("meta")
    for i, name in enumerate(meta):
        if name not in META_FIELDS:
            r.bad(r.fail(("meta", i), f"skal være en af {', '.join(META_FIELDS)}"))
    kinds = {}
    for key, allowed in (("json", ("case", "document")), ("calendar", ("all", "meeting", "other_meetings", "none")),
                         ("csv", ("all", "open"))):
        kinds[key] = r.text(key)
        if kinds[key] not in allowed:
            r.bad(r.fail(key, f"skal være en af {', '.join(allowed)}"))
    return Purpose(
        id=r.ident("id"), names=tuple(n.casefold() for n in r.texts("names")), title=r.text("title"),
        file_prefix=r.ident("file_prefix"), description=r.text("description", required=False),
        intro=r.item("intro"), meta=meta, sections=tuple(sections),
        agenda=r.texts("agenda"), anonymous=r.boolean("anonymous"), **kinds,
    )


def purposes_for(guide) -> tuple[Purpose, ...]:
    """The documents a case made from this guide can have: the general ones the guide offers (all,
    unless it lists them in [documents] offers), then the guide's own."""
    general = document_rules().purposes
    offered = general if guide.offers is None else tuple(p for p in general if p.id in guide.offers)
    return offered + guide.own_purposes


def purpose_for(guide, wanted: str) -> Purpose:
    offered = purposes_for(guide)
    found = _named(offered, wanted)
    if found:
        return found
    raise ValueError(f"«{wanted}» er ikke et dokument, guiden {guide.short or guide.name} har. Brug et af: "
                     f"{', '.join(p.id for p in offered)}.")


def _named(purposes, wanted: str) -> Purpose | None:
    """The purpose whose id or one of whose names is `wanted` (case and spaces aside)."""
    key = (wanted or "").strip().casefold()
    return next((p for p in purposes if key == p.id or key in p.names), None)


def _check_parent_contact(path: str, texts) -> None:
    """Reference data that speaks of the parents where the abuse path can show it is refused, as a guide is."""
    from rettidig_cli.guide import parents

    found = parents.unmarked(texts)
    if found:
        where, sentence = found[0]
        raise GuideError(f"Datafilen {path} ({where}): «{sentence}» handler om forældrene, men er ikke markeret "
                         "parent_contact. Ved mistanke om vold eller overgreb må intet foreslå at kontakte forældrene.",
                         hint="Marker teksten eller afsnittet med parent_contact = true.")
