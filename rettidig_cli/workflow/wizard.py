"""Walks a case through its guide: which step comes next, how each record kind's answer is
validated, and how it is saved. Every step is saved in its own transaction the moment it is
answered, so stopping or Ctrl-C never loses an answer already given.

Answers arrive from a *source*: the interactive prompts (prompts.py) or an --answers file.
Both hand over the same raw shape, and both go through the same parse_* validation here."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from rettidig_cli.domain import dates, fields
from rettidig_cli.guide import parents
from rettidig_cli.domain.errors import UsageError
from rettidig_cli.guide.reader import SAFETY_STEP_ID, Guide, Phase, Step
from rettidig_cli.domain.vocabulary import AgreementStatus, MeetingState, StepKind

CONSENT_ANSWERS = ("ja", "nej", "ikke endnu")
# What the parents cannot be on the abuse path (see parents.without_parents).
MEETING_ROLE = "stå som deltagere i et møde"
AGREEMENT_ROLE = "stå som ansvarlige for en aftale"
# The kinds answered one item at a time, and the table each item is a row of.
LOOP_KINDS = {StepKind.OBSERVATIONS: "observations", StepKind.FACTORS: "factors", StepKind.AGREEMENTS: "agreements"}


def max_meetings() -> int:
    """How many status meetings can be planned at once: count_max in data/limits.toml."""
    from rettidig_cli.guide.reference import limits

    return limits().meeting_count[1]


class Paused(Exception):
    """The user chose to stop here; everything so far is saved and the case can be resumed."""


class GoBack(Exception):
    """The user asked to go back ("tilbage"). At a step's first question that is the previous
    step; later in a step, the step's own start (what it asked so far is not saved)."""

    def __init__(self, first: bool):
        super().__init__()
        self.first = first


# Steps that going back never asks again: an underretning is corrected with `ret` (on the abuse path
# it must stay as it is); meetings are moved, cancelled and corrected with `møde flyt/aflys/ret` (asked
# again, their dates would be proposed anew); the safety question is changed with `mistanke`.
NOT_ASKED_AGAIN = (StepKind.UNDERRETNING, StepKind.STATUS_MEETINGS, StepKind.MEETING)


@dataclass
class Context:
    guide: Guide
    abuse_path: bool = False
    answered: dict[str, Any] = field(default_factory=dict)
    created_on: dt.date = field(default_factory=dates.today)
    tovholder: str = ""
    code: str = ""  # the case's code, for the commands a prompt names
    child_named: bool = False  # the case has the child's name (an anonymous case named later has)
    child_name: str = ""  # that name: the suggestion when the child step is asked again

    def chosen(self, decision_id: str) -> list[str]:
        value = self.answered.get(decision_id)
        return list(value["valg"]) if isinstance(value, dict) and value.get("valg") else []

    def decided(self, decision_id: str) -> list[str] | None:
        """The choices of a decision, or None while it is not answered (a text that depends on it
        is then shown in every variant: see parents.shown)."""
        return self.chosen(decision_id) if decision_id in self.answered else None

    @property
    def anonymous(self) -> bool:
        """The child is discussed without a name: the child step was answered anonymously, and no
        consent has named the child since (the case's name, or a consent in this walk)."""
        if self.child_named or any(isinstance(v, dict) and v.get("barnets_navn") for v in self.answered.values()):
            return False
        children = {s.id for s in self.guide.steps() if s.kind == StepKind.CHILD}
        return any(isinstance(self.answered.get(k), dict) and self.answered[k].get("anonym") for k in children)

    def network(self) -> list[str]:
        """The people of the family's network named so far (never on the abuse path)."""
        if self.abuse_path:
            return []
        return [name for s in self.guide.steps() if s.kind == StepKind.NETWORK
                for name in (self.answered.get(s.id) or [])]

    def shown(self, items) -> list[str]:
        """The texts of guide items this case may see: the abuse path and its answers so far."""
        return parents.visible(items, self.abuse_path, self.decided)

    def offered(self, items) -> list[str]:
        """A list to choose from (the underretning's recipients and ways): those for this case's
        answers, or every one if the guide's conditions leave none (never an empty choice)."""
        return self.shown(items) or parents.visible(items, self.abuse_path)


def applicable(step: Step, ctx: Context) -> bool:
    """Hidden on the abuse path if it means contacting the parents, or if it asks for the
    underretning the safety question has already recorded; hidden if its decision went another way."""
    if ctx.abuse_path and (step.parent_contact or step.kind == StepKind.UNDERRETNING):
        return False
    if step.when:
        return step.when[1] in ctx.chosen(step.when[0])
    return True


def pending(ctx: Context) -> Iterator[tuple[Phase, Step]]:
    """Applicable, unanswered steps in guide order; re-evaluated as answers arrive."""
    for phase in ctx.guide.phases:
        for step in phase.steps:
            if step.id not in ctx.answered and applicable(step, ctx):
                yield phase, step


def next_step(ctx: Context) -> tuple[Phase, Step] | None:
    return next(pending(ctx), None)


def walk_order(guide: Guide) -> list[tuple[Phase, Step]]:
    return [(phase, step) for phase in guide.phases for step in phase.steps]


def can_ask_again(step: Step, ctx: Context) -> bool:
    """An answered step that going back (or resume --fra) asks again. Not a decision the abuse path
    leaves one choice in: it is answered without a question, so there is nothing to change."""
    if step.id not in ctx.answered or step.kind in NOT_ASKED_AGAIN or not applicable(step, ctx):
        return False
    return not (step.kind == StepKind.DECISION and ctx.abuse_path and not step.multiple
                and len(parents.offered(step.options, True)) == 1 < len(step.options))


def previous_step(ctx: Context, step: Step) -> Step | None:
    """The answered step before this one that going back asks again (None at the first)."""
    order = [s for _, s in walk_order(ctx.guide)]
    before = order[:order.index(step)]
    return next((s for s in reversed(before) if can_ask_again(s, ctx)), None)


def step_for(guide: Guide, ctx: Context, wanted: str) -> Step:
    """The step `resume --fra` starts at: its id, or a word of its title that names one step."""
    steps = [s for _, s in walk_order(guide) if can_ask_again(s, ctx)]
    key = wanted.strip().casefold()
    named = next((s for _, s in walk_order(guide) if s.id.casefold() == key), None)
    if named is not None and named.kind in NOT_ASKED_AGAIN:
        how = (f"rettidig ret {ctx.code} underretning" if named.kind == StepKind.UNDERRETNING
               else f"rettidig møde flyt {ctx.code}, rettidig møde ret {ctx.code} eller rettidig møde aflys {ctx.code}")
        raise UsageError(f"Trinnet «{named.title or named.id}» besvares ikke igen i guiden. Ret det med: {how}.")
    if named is not None and named.id in ctx.answered and not can_ask_again(named, ctx):
        why = ("ved mistanke om vold eller overgreb er der kun ét valg" if applicable(named, ctx)
               else "det gælder ikke for sagen efter de svar, den har nu")
        raise UsageError(f"Trinnet «{named.title or named.id}» kan ikke besvares igen: {why}.")
    exact = [s for s in steps if s.id.casefold() == key]
    found = exact or [s for s in steps if key and (key in s.id.casefold() or key in (s.title or "").casefold())]
    if len(found) == 1:
        return found[0]
    shown = ", ".join(f"{s.id} ({s.title})" if s.title else s.id for s in steps)
    if not found:
        raise UsageError(f"«{wanted}» er ikke et besvaret trin i sagen. Du kan starte ved: {shown}.")
    raise UsageError(f"«{wanted}» passer på flere trin: {', '.join(s.id for s in found)}. Skriv trinnets id.")


def observation_deadline(ctx: Context) -> dt.date | None:
    """The day the observations are due; None without a deadline, or if the guide's number of
    days would reach past the calendar's end (no deadline that can be missed)."""
    months = ctx.guide.observation_deadline_months
    if months:  # »inden for en måned«: 1 February → 1 March
        try:
            return dates.add_months(ctx.created_on, months)
        except ValueError:  # past the calendar's end: no deadline that can be missed
            return None
    days = ctx.guide.observation_deadline_days
    return dates.add_days(ctx.created_on, days) if days else None


# ---------------------------------------------------------------- parsing (validation)


def mapping(raw, step_label: str, allowed: tuple[str, ...]) -> dict:
    """A table of fields; an unknown field is refused, so a typo never loses an answer."""
    if not isinstance(raw, dict):
        raise ValueError(f"{step_label} skal være en tabel med felterne: {', '.join(allowed)}.")
    unknown = [key for key in raw if key not in allowed]
    if unknown:
        raise ValueError(f"ukendt felt «{unknown[0]}». {step_label} kan have: {', '.join(allowed)}.")
    return raw


def parse_safety(raw, ctx: Context) -> dict:
    if isinstance(raw, bool):
        raw = {"mistanke": raw}
    raw = mapping(raw, "Sikkerhedsspørgsmålet", ("mistanke", "underretning"))
    suspicion = fields.yes_no(raw.get("mistanke"), "mistanke")
    value: dict[str, Any] = {"mistanke": suspicion, "underretning": None}
    if suspicion:
        if "underretning" not in raw:
            raise ValueError("Ved mistanke om vold eller overgreb skal underretningen registreres "
                             "(underretning = { dato, modtager, hvordan, leder_informeret }).")
        value["underretning"] = parse_underretning_fields(raw["underretning"], ctx)
    return value


def parse_underretning_fields(raw, ctx: Context) -> dict:
    raw = mapping(raw, "Underretningen", ("dato", "modtager", "hvordan", "leder_informeret", "note"))
    safety = ctx.guide.safety
    return {
        "dato": fields.date(raw.get("dato"), "Dato for underretningen").isoformat(),
        "modtager": fields.text(raw.get("modtager") or ctx.offered(safety.recipients)[0], "Modtager",
                                max_length=fields.SHORT_MAX),
        "hvordan": fields.text(raw.get("hvordan") or ctx.offered(safety.methods)[0], "Hvordan", max_length=fields.SHORT_MAX),
        "leder_informeret": fields.yes_no(raw.get("leder_informeret", False), "leder_informeret"),
        "note": fields.text(raw.get("note"), "Note", required=False),
    }


ANONYMOUS_ON_ABUSE_PATH = ("Ved mistanke om vold eller overgreb drøftes barnet ikke anonymt: underretningen handler "
                           "om et bestemt barn. Skriv barnets navn eller initialer.")


def parse_child(step, raw, ctx):
    raw = mapping(raw, "Barnet", ("navn", "anonym", "aldersgruppe", "tilbud"))
    guide = ctx.guide
    anonymous = fields.yes_no(raw.get("anonym", False), "anonym")
    if anonymous and not step.anonymous:
        raise ValueError("guiden drøfter ikke barnet anonymt i dette trin. Skriv barnets navn eller initialer.")
    if anonymous and ctx.abuse_path:
        raise ValueError(ANONYMOUS_ON_ABUSE_PATH)
    if anonymous and raw.get("navn"):
        raise ValueError("en anonym drøftelse gemmer intet navn. Fjern navn, eller skriv anonym = false.")
    setting = fields.choice(raw.get("tilbud"), "Tilbud", list(guide.settings))
    value = {
        "navn": None if anonymous else fields.text(raw.get("navn"), "Barnets navn eller initialer",
                                                   max_length=fields.NAME_MAX),
        "aldersgruppe": fields.choice(raw.get("aldersgruppe"), "Aldersgruppe", list(guide.ages_for(setting))),
        "tilbud": setting,
    }
    if anonymous:
        value["anonym"] = True
    return value


def parse_network(step, raw, ctx):
    """The people from the family's own network the family wants with them (names, comma-separated)."""
    people = fields.names(raw, "Netværket") if raw not in (None, "", []) else []
    if step.required and not people:
        raise ValueError("Skriv mindst én person, eller spring trinnet over.")
    return parents.without_parents(people, ctx.abuse_path, MEETING_ROLE) or None


def parse_text(step, raw, ctx):
    return fields.text(raw, step.title or "Svaret", required=step.required)


def parse_observation(step, raw, ctx):
    raw = mapping(raw, "En observation", ("dato", "hvad", "metode", "hvem"))
    method = raw.get("metode") or ""
    return {
        "dato": fields.date(raw.get("dato") or dates.today().isoformat(), "Dato").isoformat(),
        "hvad": fields.text(raw.get("hvad"), "Hvad du så"),
        "metode": fields.text(method, "Metode", required=False, max_length=fields.SHORT_MAX),
        "hvem": fields.text(raw.get("hvem"), "Hvem observerede", required=False, max_length=fields.SHORT_MAX),
    }


def parse_factor(step, raw, ctx):
    raw = mapping(raw, "En faktor", ("type", "tekst"))
    labels = {o.label.casefold(): o.id for o in step.options}
    kind = str(raw.get("type") or "").strip()
    kind_id = labels.get(kind.casefold(), kind)
    if kind_id not in {o.id for o in step.options}:
        raise ValueError(f"type skal være en af: {', '.join(o.id for o in step.options)}.")
    return {"type": kind_id, "tekst": fields.text(raw.get("tekst"), "Faktoren", max_length=fields.SHORT_MAX * 5)}


def parse_agreement(step, raw, ctx):
    raw = mapping(raw, "En aftale", ("hvad", "hvem", "senest", "status"))
    due = fields.date(raw.get("senest"), "Senest", required=False, ahead=True)
    return {
        "hvad": fields.text(raw.get("hvad"), "Hvad"),
        "hvem": parents.without_parents(fields.text(raw.get("hvem"), "Hvem", max_length=fields.SHORT_MAX),
                                        ctx.abuse_path, AGREEMENT_ROLE),
        "senest": due.isoformat() if due else None,
        "status": fields.choice(raw.get("status") or AgreementStatus.AGREED, "Status", list(AgreementStatus)),
    }


def parse_decision(step, raw, ctx):
    if raw in (None, "", []) and not step.required:
        return {"valg": []}
    chosen = raw if isinstance(raw, list) else [raw]
    options = parents.offered(step.options, ctx.abuse_path)
    if not step.multiple and len(chosen) != 1:
        raise ValueError(f"Vælg én af: {', '.join(o.id for o in options)}.")
    by_key = {o.id: o.id for o in options} | {o.label.casefold(): o.id for o in options}
    result = []
    for value in chosen:
        key = value.strip() if isinstance(value, str) else value
        option_id = by_key.get(key) or (by_key.get(key.casefold()) if isinstance(key, str) else None)
        if option_id is None:
            hidden = ("; ved mistanke om vold eller overgreb tilbydes ikke valg, der betyder samarbejde med forældrene"
                      if len(options) < len(step.options) else "")
            raise ValueError(f"«{value}» er ikke et valg her{hidden}. Vælg blandt: {', '.join(o.id for o in options)}.")
        result.append(option_id)
    if step.required and not result:
        raise ValueError("Vælg mindst én mulighed.")
    return {"valg": result}


def parse_tovholder(step, raw, ctx):
    if isinstance(raw, str):
        raw = {"navn": raw}
    raw = mapping(raw, "Tovholderen", ("navn", "rolle"))
    return {
        "navn": fields.text(raw.get("navn"), "Tovholderens navn", max_length=fields.NAME_MAX),
        "rolle": fields.text(raw.get("rolle"), "Rolle", required=False, max_length=fields.NAME_MAX),
    }


def meeting_participants(raw_value, ctx: Context) -> list[str]:
    people = parents.without_parents(fields.names(raw_value, "Deltagere"), ctx.abuse_path, MEETING_ROLE)
    if parents.take_part(ctx.guide, ctx.abuse_path) and not any(parents.is_parent(p) for p in people):
        people.insert(0, "Forældre")  # the guide says the parents always take part
    return people


def parse_status_meetings(step, raw, ctx):
    raw = mapping(raw, "Statusmøderne", ("rytme_uger", "antal", "start", "datoer", "tidspunkt", "deltagere"))
    rules = ctx.guide.meetings
    at = fields.time(raw.get("tidspunkt") or rules.default_time, "Tidspunkt")
    participants = meeting_participants(raw.get("deltagere"), ctx)
    if "datoer" in raw:
        days = raw["datoer"]
        if not isinstance(days, list) or not 1 <= len(days) <= max_meetings():
            raise ValueError(f"datoer skal være en liste med 1 til {max_meetings()} datoer.")
        proposed = []
        for value in days:
            day = fields.date(value, "Mødedato", ahead=True)
            problem = dates.check_meeting_day(day, rules.skip_optional_holidays)
            if problem:
                raise ValueError(problem)
            proposed.append({"dato": day.isoformat(), "flyttet_fra": None, "grund": ""})
        rhythm = None
    else:
        rhythm = fields.whole_number(raw.get("rytme_uger", rules.default_rhythm), "rytme_uger", 1, 52)
        count = fields.whole_number(raw.get("antal", rules.default_count), "antal", 1, max_meetings())
        first = fields.date(raw.get("start") or dates.working_day_after_weeks(
            dates.today(), rhythm, rules.skip_optional_holidays).isoformat(), "start", ahead=True)
        proposed = [
            {"dato": p.day.isoformat(), "flyttet_fra": p.moved_from.isoformat() if p.moved_from else None,
             "grund": p.reason}
            for p in dates.propose_meetings(first, rhythm, count, rules.skip_optional_holidays)
        ]
    return {"rytme_uger": rhythm, "tidspunkt": at.strftime("%H:%M"), "deltagere": participants,
            "moeder": proposed}


def parse_meeting(step, raw, ctx):
    raw = mapping(raw, step.meeting_kind, ("dato", "tidspunkt", "deltagere", "afholdt"))
    day = fields.date(raw.get("dato"), "Mødedato")
    problem = dates.check_meeting_day(day, include_optional=False)
    if problem:
        raise ValueError(problem)
    held = raw.get("afholdt")
    return {
        "dato": day.isoformat(),
        "tidspunkt": fields.time(raw.get("tidspunkt") or ctx.guide.meetings.default_time, "Tidspunkt").strftime("%H:%M"),
        "deltagere": parents.without_parents(fields.names(raw.get("deltagere"), "Deltagere"), ctx.abuse_path,
                                             MEETING_ROLE),
        "afholdt": fields.yes_no(held, "afholdt") if held is not None else day < dates.today(),
    }


def parse_consent(step, raw, ctx):
    if isinstance(raw, bool):
        raw = {"svar": "ja" if raw else "nej"}
    if isinstance(raw, str):
        raw = {"svar": raw}
    raw = mapping(raw, "Svaret", ("svar", "navn", "dato", "barnets_navn"))
    answer = fields.choice(raw.get("svar"), "svar", list(CONSENT_ANSWERS))
    given_on = fields.date(raw.get("dato") or (dates.today().isoformat() if answer == "ja" else None),
                           "Dato", required=False)
    value = {
        "svar": answer,
        "navn": fields.text(raw.get("navn"), "Hvem", required=False, max_length=fields.SHORT_MAX),
        "dato": given_on.isoformat() if given_on else None,
    }
    naming = step.names_child and ctx.anonymous and answer == "ja"
    if raw.get("barnets_navn") and not naming:
        raise ValueError("barnets_navn bruges kun, når samtykket giver et anonymt barn navn (svar = \"ja\").")
    if naming:
        # The consent to discuss the child by name: the anonymous case becomes a named one.
        value["barnets_navn"] = fields.text(raw.get("barnets_navn"), "Barnets navn eller initialer",
                                            max_length=fields.NAME_MAX)
    return value


def parse_underretning(step, raw, ctx):
    return parse_underretning_fields(raw, ctx)


def parse_position(step, raw, ctx):
    if isinstance(raw, str):
        raw = {"placering": raw}
    raw = mapping(raw, "Placeringen", ("placering", "begrundelse"))
    ruler = ctx.guide.ruler
    wanted = str(raw.get("placering") or "").strip().casefold()
    match = next((p for p in ruler if wanted in (p.id, p.label.casefold())), None)
    if match is None:
        raise ValueError(f"placering skal være en af: {', '.join(p.id for p in ruler)}.")
    return {"placering": match.id, "begrundelse": fields.text(raw.get("begrundelse"), "Begrundelse", required=False)}


PARSERS: dict[StepKind, Callable] = {
    StepKind.CHILD: parse_child, StepKind.TEXT: parse_text, StepKind.OBSERVATIONS: parse_observation,
    StepKind.FACTORS: parse_factor, StepKind.AGREEMENTS: parse_agreement, StepKind.DECISION: parse_decision,
    StepKind.TOVHOLDER: parse_tovholder, StepKind.STATUS_MEETINGS: parse_status_meetings,
    StepKind.MEETING: parse_meeting, StepKind.CONSENT: parse_consent, StepKind.UNDERRETNING: parse_underretning,
    StepKind.POSITION: parse_position, StepKind.NETWORK: parse_network,
}


def parse(step: Step, raw, ctx: Context):
    """Validate one step's answer (for loop kinds: one item)."""
    return PARSERS[step.kind](step, raw, ctx)


# ---------------------------------------------------------------- saving


def _save_records(store, case: dict, step: Step, value, guide: Guide) -> None:
    kind, add = step.kind, store.add
    if value is None:
        return  # an optional step the user skipped
    if kind == StepKind.CHILD:
        store.update_case(case, child_name=value["navn"], age_group=value["aldersgruppe"], setting=value["tilbud"])
    elif kind == StepKind.DECISION:
        labels = {o.id: o.label for o in step.options}
        for option in value["valg"]:
            add("decisions", case, step.id, {"choice": option, "label": labels[option],
                                             "decided_on": dates.today().isoformat()})
    elif kind == StepKind.TOVHOLDER:
        add("tovholders", case, step.id, {"name": value["navn"], "role": value["rolle"],
                                          "since": dates.today().isoformat()})
    elif kind == StepKind.STATUS_MEETINGS:
        for meeting in value["moeder"]:
            add("meetings", case, step.id, {
                "kind": guide.meetings.label, "day": meeting["dato"], "time": value["tidspunkt"],
                "participants": json.dumps(value["deltagere"], ensure_ascii=False), "state": MeetingState.PLANNED,
                "moved_from": meeting["flyttet_fra"], "moved_reason": meeting["grund"]})
    elif kind == StepKind.MEETING:
        add("meetings", case, step.id, {
            "kind": step.meeting_kind, "day": value["dato"], "time": value["tidspunkt"],
            "participants": json.dumps(value["deltagere"], ensure_ascii=False),
            "state": MeetingState.HELD if value["afholdt"] else MeetingState.PLANNED})
    elif kind == StepKind.CONSENT:
        add("consents", case, step.id, {"topic": step.topic or step.id, "answer": value["svar"],
                                        "given_by": value["navn"], "given_on": value["dato"]})
        if value.get("barnets_navn"):
            name_child(store, case, guide, value["barnets_navn"], "Samtykke til at drøfte barnet med navn")
    elif kind == StepKind.UNDERRETNING:
        add_underretning(store, case, step.id, value)
    elif kind == StepKind.POSITION:
        label = next(p.label for p in guide.ruler if p.id == value["placering"])
        add("positions", case, step.id, {"position": value["placering"], "label": label,
                                         "noted_on": dates.today().isoformat(), "rationale": value["begrundelse"]})


def name_child(store, case: dict, guide: Guide, name: str, reason: str) -> None:
    """An anonymous case gets the child's name (consent given): the case row – the one place the
    name is kept – and an event in the history; the child step's answer stays as given (anonymous),
    so the history tells both. Call inside atomic(case)."""
    from rettidig_cli.domain.vocabulary import EventKind

    store.update_case(case, child_name=name)
    store.insert("case_events", case, {"kind": EventKind.NAMED, "on_day": dates.today().isoformat(),
                                       "reason": reason})
    store.audit("ændre", case["code"], "navngivet")


def add_underretning(store, case, step_id, value) -> None:
    store.add("underretninger", case, step_id, {
        "sent_on": value["dato"], "recipient": value["modtager"], "method": value["hvordan"],
        "leader_informed": int(value["leder_informeret"]), "note": value["note"]})


def save_item(store, case: dict, kind: str, step_id: str | None, item: dict) -> int:
    """One observation, factor or agreement, in its own transaction; returns its id."""
    row = {
        "observations": lambda i: {"observed_on": i["dato"], "what": i["hvad"], "method": i["metode"], "observer": i["hvem"]},
        "factors": lambda i: {"kind": i["type"], "text": i["tekst"]},
        "agreements": lambda i: {"what": i["hvad"], "who": i["hvem"], "due": i["senest"], "status": i["status"]},
    }[kind](item)
    with store.atomic(case):
        row_id = store.add(LOOP_KINDS[kind], case, step_id, row)
        store.update_case(case)
        store.audit("ændre", case["code"], kind)
    return row_id


# The records a step's answer made, by kind: answering the step again replaces them.
STEP_RECORDS = {StepKind.DECISION: "decisions", StepKind.TOVHOLDER: "tovholders", StepKind.STATUS_MEETINGS: "meetings",
                StepKind.MEETING: "meetings", StepKind.CONSENT: "consents", StepKind.POSITION: "positions"}
ANSWERED_AGAIN = "Trinnet er besvaret igen i guiden"


def _replace_records(store, case: dict, step: Step, reason: str = ANSWERED_AGAIN) -> None:
    """The records the step's earlier answer made, marked removed (kept in the history). Not what a
    command added under the step since (møde ny, a new tovholder, an escalation), and not a meeting
    held, moved or cancelled: that is more than the answer."""
    table = STEP_RECORDS.get(step.kind)
    if table is None:
        return
    made = set(store.made_with_answer(case, step.id, table))
    for row in store.rows(table, case["id"]):
        if row["id"] in made and (table != "meetings" or (row["state"] == MeetingState.PLANNED
                                                          and not row["moved_from"])):
            store.change(table, case, row["id"], {"removed_on": dates.today().isoformat(), "removed_reason": reason})


DECIDED_OTHERWISE = "Beslutningen er ændret, så trinnet gælder ikke længere"


def _no_longer_applicable(store, case: dict, step: Step, value, ctx: Context) -> None:
    """A decision answered again: the steps that applied only to the earlier choice lose the records
    their answers made (a meeting planned for one choice is not overdue after another)."""
    chosen = set(value.get("valg") or []) if isinstance(value, dict) else set()
    for other in ctx.guide.steps():
        if other.when and other.when[0] == step.id and other.when[1] not in chosen and other.id in ctx.answered:
            _replace_records(store, case, other, DECIDED_OTHERWISE)


def save_step(store, case: dict, step: Step, value, ctx: Context) -> None:
    """One answered step: its records, its answer row and the audit row, in one transaction. A step
    answered again (going back, resume --fra) is a correction: the earlier answer is in the journal
    and the history; the same answer again changes nothing."""
    again = step.id in ctx.answered and step.kind not in LOOP_KINDS
    if again and _same_answer(ctx.answered[step.id], value):
        return
    with store.atomic(case):
        if step.kind not in LOOP_KINDS:
            _as_read(store, case, step, ctx)
        if again:
            store.mark_change("ret", ANSWERED_AGAIN)
            _replace_records(store, case, step)
            if step.kind == StepKind.DECISION:
                _no_longer_applicable(store, case, step, value, ctx)
        _save_records(store, case, step, value, ctx.guide)
        # A decision's choices are its decisions rows; the answer row only marks the step answered.
        # The child's name is kept once, in the case (a consent that named the child does not repeat it).
        stored = {k: v for k, v in value.items() if k != "barnets_navn"} if isinstance(value, dict) else value
        store.save_answer(case, step.id, step.phase_id, step.kind, None if step.kind == StepKind.DECISION else stored)
        store.audit("ændre", case["code"], step.kind)
    if isinstance(value, dict) and value.get("barnets_navn"):  # the consent named the child
        ctx.child_named, ctx.child_name = True, value["barnets_navn"]
    # As the file has it now (what _as_read compares with): a decision as its choices.
    ctx.answered[step.id] = value if step.kind == StepKind.DECISION else stored
    if step.kind == StepKind.TOVHOLDER:
        ctx.tovholder = value["navn"]


def _as_read(store, case: dict, step: Step, ctx: Context) -> None:
    """Inside the write: the step is answered in the file as it was when the walk read it. Another
    window may have answered it (or gone back and changed it) while the question was open; then
    this answer would silently replace that one."""
    from rettidig_cli.domain.errors import CaseChangedError

    now = context_for(store, case, ctx.guide).answered.get(step.id, _UNANSWERED)
    if not _same_answer(now, ctx.answered.get(step.id, _UNANSWERED)):
        raise CaseChangedError(f"Trinnet «{step.title or step.id}» er besvaret i et andet vindue, mens du skrev. "
                               "Det, du skrev nu, er ikke gemt.", hint=f"Fortsæt med: rettidig resume {case['code']}")


_UNANSWERED = object()


def same_day_warning(store, case: dict, day: str, moved: int | None = None, planned_by: str | None = None) -> str | None:
    """A warning when the case already has a planned meeting that day (two meetings on one day are
    most often one typed twice); not counting the meeting being `moved` (its id), nor the meetings
    the step answered again has `planned_by` (its id)."""
    others = [m for m in store.numbered("meetings", case["id"])
              if m["day"] == day and m["state"] == MeetingState.PLANNED and m["id"] != moved
              and (planned_by is None or m["step_id"] != planned_by)]
    if not others:
        return None
    listed = ", ".join(f"{m['kind']} nr. {m['nr']}" + (f" {dates.clock(m['time'])}" if m["time"] else "") for m in others)
    return f"Bemærk: sagen har allerede et møde {dates.format_iso(day)}: {listed}."


def same_day_notices(store, case: dict, step: Step, value) -> list[str]:
    """The same warning for the meetings a step of the walk plans (they are saved; `møde flyt`
    moves one)."""
    if step.kind == StepKind.MEETING and value:
        days = [value["dato"]]
    elif step.kind == StepKind.STATUS_MEETINGS and value:
        days = [m["dato"] for m in value["moeder"]]
    else:
        return []
    warnings = [w for day in dict.fromkeys(days) if (w := same_day_warning(store, case, day, planned_by=step.id))]
    return [f"{w} Flyt et af dem, hvis det ikke skal være samme dag: rettidig møde flyt {case['code']}" for w in warnings]


def _same_answer(before, after) -> bool:
    """Whether an answer given again is the one saved (a decision is saved as its choices)."""
    if before is _UNANSWERED or after is _UNANSWERED:
        return before is after
    if isinstance(before, dict) and isinstance(after, dict) and set(before) == {"valg"}:
        return sorted(before["valg"]) == sorted(after.get("valg") or [])
    return json.loads(json.dumps(before, default=str)) == json.loads(json.dumps(after, default=str))


def save_suspicion(store, case: dict, ctx: Context) -> None:
    """The answer "Ja, der er mistanke", alone, in its own transaction."""
    with store.atomic(case):
        store.update_case(case, abuse_path=1)
        store.audit("ændre", case["code"], "mistanke")
    ctx.abuse_path = True


def save_safety(store, case: dict, value: dict, ctx: Context) -> None:
    with store.atomic(case):
        store.update_case(case, abuse_path=int(value["mistanke"]))
        if value["underretning"]:
            add_underretning(store, case, SAFETY_STEP_ID, value["underretning"])
        store.save_answer(case, SAFETY_STEP_ID, "", "safety", value)
        store.audit("ændre", case["code"], "safety")
    ctx.answered[SAFETY_STEP_ID] = value
    ctx.abuse_path = value["mistanke"]


def context_for(store, case: dict, guide: Guide) -> Context:
    answered = {step_id: row["value"] for step_id, row in store.answers(case["id"]).items()}
    decided: dict[str, list[str]] = {}
    for row in store.rows("decisions", case["id"]):
        decided.setdefault(row["step_id"], []).append(row["choice"])
    for step in guide.steps():
        if step.kind == StepKind.DECISION and step.id in answered:
            # A single choice can change later (escalation): the latest counts.
            chosen = decided.get(step.id, [])
            answered[step.id] = {"valg": chosen if step.multiple else chosen[-1:]}
    tovholders = store.rows("tovholders", case["id"])
    return Context(
        guide=guide, abuse_path=bool(case["abuse_path"]), answered=answered,
        created_on=dt.date.fromisoformat(case["created_at"][:10]),
        tovholder=tovholders[-1]["name"] if tovholders else "", code=case["code"],
        child_named=bool(case["child_name"]), child_name=case["child_name"] or "",
    )


# ---------------------------------------------------------------- the walk


def run(store, case: dict, guide: Guide, source, start_at: Step | None = None) -> str:
    """Ask every pending step of the case, saving each at once (from start_at: the answered steps
    from there asked again, their answers as suggestions). Returns 'done' or 'paused'."""
    ctx = context_for(store, case, guide)
    if SAFETY_STEP_ID not in ctx.answered:
        # A suspicion is saved the moment it is given, before the underretning is asked for: Ctrl-C
        # there must not lose it. Once on the abuse path, the case is never asked again.
        suspicion = ctx.abuse_path or bool(source.suspicion(ctx))
        if suspicion and not ctx.abuse_path:
            save_suspicion(store, case, ctx)
        value = {"mistanke": suspicion, "underretning": None}
        if suspicion:
            value["underretning"] = parse_underretning_fields(source.underretning(ctx), ctx)
        save_safety(store, case, value, ctx)
    order = walk_order(guide)
    position = {step.id: i for i, (_, step) in enumerate(order)}
    # Going back or `resume --fra` asks the answered steps from there again, each once, in order.
    again_from = position[start_at.id] if start_at is not None else len(order)
    asked: set[str] = set()

    def upcoming():
        for i, (phase, step) in enumerate(order):
            if not applicable(step, ctx):
                continue
            if step.id not in ctx.answered or (i >= again_from and step.id not in asked and can_ask_again(step, ctx)):
                return phase, step
        return None

    current = None
    while (found := upcoming()) is not None:
        phase, step = found
        try:
            if phase is not current:
                later = current is not None and guide.phases.index(phase) > guide.phases.index(current)
                if later and not source.continue_to(phase, ctx):
                    return "paused"
                source.phase_intro(phase, ctx)
                current = phase
            asked.add(step.id)
            if step.kind in LOOP_KINDS:
                existing = len(store.rows(LOOP_KINDS[step.kind], case["id"]))
                count = source.loop(step, ctx, existing, lambda item: save_item(store, case, step.kind, step.id, item))
                save_step(store, case, step, {"antal": count}, ctx)
            else:
                value = source.step(step, ctx)
                clashes = same_day_notices(store, case, step, value)
                save_step(store, case, step, value, ctx)
                for clash in clashes:
                    source.notice(clash)
                if step.kind == StepKind.CHILD:
                    for other in store.same_child(case):
                        source.notice(f"Samme barn? Der er allerede en åben sag om {other['child_name']} ({other['age_group']}): "
                                      f"{other['code']}. Er det samme barn, så fortsæt den i stedet: rettidig resume "
                                      f"{other['code']} – og slet denne med: rettidig slet {case['code']}")
                source.after_step(step, value, ctx)
        except GoBack as back:
            target = previous_step(ctx, step) if back.first else step
            if target is None:
                source.notice("Der er ikke et tidligere svar at gå tilbage til her. (Spørgsmålet om mistanke om vold "
                              f"eller overgreb rettes med: rettidig mistanke {case['code']})")
                target = step
            again_from = min(again_from, position[target.id])
            # The steps from the target on are asked again; those before it stay as they were asked.
            asked = {i for i in asked if position[i] < position[target.id]}
        except Paused:
            return "paused"
    source.finished(ctx)
    return "done"


class FileSource:
    """Answers from a TOML/JSON mapping of step ids. Everything is validated before anything
    is saved, so a mistake in the file never leaves a half-made case behind."""

    def __init__(self, answers: dict, ctx: Context):
        self.raw = answers
        self.values: dict[str, Any] = {}
        self.warnings: list[str] = []
        self.notices: list[str] = []  # said after the walk (e.g. another case about the same child)
        self._validate(ctx)

    def _error(self, step_id: str, exc: Exception, guide_id: str) -> UsageError:
        return UsageError(f"Svarfilen, trin «{step_id}»: {exc}",
                          hint=f"Se trinnene og deres felter med: rettidig guide show {guide_id}")

    def _validate(self, ctx: Context) -> None:
        guide = ctx.guide
        known = {s.id for s in guide.steps()} | {SAFETY_STEP_ID}
        unknown = sorted(set(self.raw) - known)
        if unknown:
            raise UsageError(f"Svarfilen har trin, som guiden «{guide.id}» ikke kender: {', '.join(unknown)}.",
                             hint="Se trinnenes id'er med: rettidig guide show " + guide.id)
        trial = Context(guide=guide, abuse_path=ctx.abuse_path, answered=dict(ctx.answered),
                        created_on=ctx.created_on)
        if SAFETY_STEP_ID not in trial.answered:
            if SAFETY_STEP_ID not in self.raw:
                raise UsageError("Svarfilen skal besvare sikkerhedsspørgsmålet først: "
                                 "sikkerhed = false, eller en tabel [sikkerhed] med mistanke = true og underretningen.")
            try:
                value = parse_safety(self.raw[SAFETY_STEP_ID], trial)
            except ValueError as exc:
                raise self._error(SAFETY_STEP_ID, exc, guide.id) from None
            if trial.abuse_path and not value["mistanke"]:
                raise UsageError("Sagen er registreret med mistanke om vold eller overgreb, og det ændrer en svarfil "
                                 "ikke. Svarfilen skal registrere underretningen: [sikkerhed] med mistanke = true.")
            self.values[SAFETY_STEP_ID] = value
            trial.answered[SAFETY_STEP_ID] = value
            trial.abuse_path = value["mistanke"]
        for step in guide.steps():
            if step.parent_contact and trial.abuse_path and step.id in self.raw:
                self.warnings.append(
                    f"Trinnet «{step.id}» handler om kontakt til forældrene og er sprunget over, "
                    "fordi der er mistanke om vold eller overgreb.")
        stopped_at = None
        for _, step in pending(trial):
            if step.id not in self.raw:
                if step.required:
                    stopped_at = step
                    break
                trial.answered[step.id] = self.values[step.id] = None if step.kind not in LOOP_KINDS else []
                continue
            raw = self.raw[step.id]
            try:
                if step.kind in LOOP_KINDS:
                    if not isinstance(raw, list) or (step.required and not raw):
                        raise ValueError("skal være en liste med mindst ét element ([[...]] i TOML).")
                    value = [parse(step, item, trial) for item in raw]
                else:
                    value = parse(step, raw, trial)
            except ValueError as exc:
                raise self._error(step.id, exc, guide.id) from None
            trial.answered[step.id] = self.values[step.id] = value
        for step in guide.steps():
            if step.id not in self.raw or step.id in self.values:
                continue
            if step.id in ctx.answered:
                self.warnings.append(f"Trinnet «{step.id}» er allerede besvaret i sagen; svaret i filen er ikke brugt.")
            elif step.when and stopped_at is None and not applicable(step, trial):
                self.warnings.append(f"Trinnet «{step.id}» bruges kun, når {step.when[0]} = {step.when[1]}; "
                                     "svaret i filen er ikke brugt.")
        if stopped_at is not None:
            later = [s.id for _, s in pending(trial) if s.id in self.raw and s is not stopped_at]
            if later:
                raise UsageError(f"Svarfilen mangler trinnet «{stopped_at.id}», men har svar på senere trin.",
                                 hint="Tilføj det manglende trin, eller fjern de senere.")
        self.stopped_at = stopped_at

    # The source interface used by run():
    def suspicion(self, ctx) -> bool:
        return self.values[SAFETY_STEP_ID]["mistanke"]

    def underretning(self, ctx):
        return self.raw[SAFETY_STEP_ID]["underretning"]

    def continue_to(self, phase, ctx):
        return True

    def phase_intro(self, phase, ctx):
        pass

    def step(self, step, ctx):
        if step.id not in self.values:
            raise Paused()
        return self.values[step.id]

    def loop(self, step, ctx, existing, save):
        if step.id not in self.values:
            raise Paused()
        for item in self.values[step.id]:
            save(item)
        return existing + len(self.values[step.id])

    def after_step(self, step, value, ctx):
        pass

    def notice(self, text: str) -> None:
        self.notices.append(text)

    def finished(self, ctx):
        pass
