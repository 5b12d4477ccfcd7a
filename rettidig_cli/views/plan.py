"""Builds the handleplan of a case as the typed read model (model.Plan). No printing here:
render.py, --json, the morning overview and the exporters all read the same records."""

from __future__ import annotations

import datetime as dt
import json
import os

from rettidig_cli.domain import dates, fit, privacy
from rettidig_cli.workflow import followup, wizard
from rettidig_cli.guide import parents
from rettidig_cli.domain.errors import UNREADABLE_VALUE, CaseGuideError, CaseUnreadableError, GuideError
from rettidig_cli.guide.reader import SAFETY_STEP_ID
from rettidig_cli.views.model import (Agreement, AgreementEvent, Answer, Child, Closing, Consent, Decision, Duty, DutyKind,
                                Earlier, Factor, FormerTovholder, GuideRef, Meeting, NextStep, Observation,
                                ParentsPart, Person, PhaseRef, Plan, Position, Ruler, RulerEntry, RulerStep,
                                Underretning, cleaned, to_json)
from rettidig_cli.domain.vocabulary import OPEN_AGREEMENT, CaseStatus, EventKind, MeetingState, StepKind



# What a value rettidig did not write itself can raise while a plan is built from it; database
# errors are not among them (they concern the whole file and are reported as such).


NAMING_CONSENT = "Samtykke til at drøfte barnet med navn"


def build(store, case: dict, today: dt.date | None = None) -> Plan:
    """The plan of one case. A case that cannot be planned raises CaseGuideError (its guide is beyond
    this version's limits) or CaseUnreadableError, never anything else, so one bad case cannot
    take the morning overview down for the others. Both carry `reason`: the why, without the code."""
    code = case["code"]
    try:
        try:
            guide = store.guide_for(case)
        except GuideError as exc:
            reason = f"Den guide, sagen blev oprettet med, kan ikke læses af denne version af rettidig. {exc.message}"
            raise CaseGuideError(f"Sag {code} kan ikke vises. {reason}",
                                 hint="Sagens data er ikke ændret. Kontakt den, der har installeret rettidig "
                                 "(grænserne for guides står i data/limits.toml).", reason=reason) from None
        return _build(store, case, guide, today or dates.today())
    except UNREADABLE_VALUE as exc:
        if os.environ.get("RETTIDIG_DEBUG"):
            raise
        raise CaseUnreadableError.of(code, exc) from None


def _build(store, case: dict, guide, today: dt.date) -> Plan:
    ctx = wizard.context_for(store, case, guide)
    answered = ctx.answered
    cid = case["id"]
    abuse = ctx.abuse_path

    def rows(table: str, order_by: str = "id") -> list[dict]:
        # Text saved before cleaning existed, or written by another program, reaches no output raw.
        return [privacy.printable_tree(r) for r in store.rows(table, cid, order_by=order_by)]

    def numbered(table: str) -> list[dict]:
        return [privacy.printable_tree(r) for r in store.numbered(table, cid)]

    found = wizard.next_step(ctx)
    done = found is None and SAFETY_STEP_ID in answered
    phase = found[0] if found else guide.phases[-1]
    if found:
        next_step = NextStep(phase.title, found[1].message, ctx.shown(phase.guidance))
    else:
        next_step = NextStep(None, parents.shown(guide.completion, abuse) or "", [])

    texts = [Answer(step.id, step.title or step.message, step.role, answered[step.id])
             for step in guide.steps() if step.kind == StepKind.TEXT and answered.get(step.id)]

    decisions = []
    decision_rows = rows("decisions")
    for step in guide.steps():
        chosen = [r for r in decision_rows if r["step_id"] == step.id]
        if chosen:
            # A single-choice decision can change later (escalation): the latest counts.
            current = chosen if step.multiple else chosen[-1:]
            options = {o.id: o for o in step.options}
            decisions.append(Decision(
                step=step.id, title=step.title or step.message, choices=[r["label"] for r in current],
                # A choice that means working with the parents, made before a suspicion: its meaning is not shown.
                # Several choices that mean the same are said once.
                meaning=list(dict.fromkeys(c for r in current if not (abuse and options[r["choice"]].parent_contact)
                                           for c in ctx.shown(options[r["choice"]].consequences))),
                day=chosen[-1]["decided_on"],
                earlier=[Earlier(r["label"], r["decided_on"]) for r in chosen[:-1]] if not step.multiple else [],
                reason=current[-1]["note"] or "",
            ))

    events: dict[int, list[AgreementEvent]] = {}
    for e in rows("agreement_events"):
        events.setdefault(e["agreement_id"], []).append(
            AgreementEvent(e["on_day"], e["status"], e["note"] or "", e["meeting_id"]))
    agreements = [
        Agreement(nr=r["nr"], what=r["what"], who=r["who"], due=r["due"], status=r["status"], agreed=r["created_at"][:10],
                  history=events.get(r["id"], []),
                  overdue=bool(case["status"] == CaseStatus.OPEN and r["due"] and r["status"] in OPEN_AGREEMENT
                               and dt.date.fromisoformat(r["due"]) < today))  # a closed case has nothing overdue
        for r in numbered("agreements")
    ]
    case_events = rows("case_events")
    changes: dict[int, int] = {}  # how often each meeting was moved or cancelled (calendar SEQUENCE)
    for e in case_events:
        if e["meeting_id"] and e["kind"] in (EventKind.MOVED, EventKind.CANCELLED):
            changes[e["meeting_id"]] = changes.get(e["meeting_id"], 0) + 1
    meetings = [
        Meeting(nr=r["nr"], kind=r["kind"], day=r["day"], time=r["time"], participants=json.loads(r["participants"] or "[]"),
                status=r["state"], moved_from=r["moved_from"], reason=r["moved_reason"] or "",
                status_meeting=followup.is_status_meeting(guide, r), held_on=r["held_on"],
                attended=json.loads(r["attended"]) if r["attended"] else None,
                parents_present=None if r["parents_present"] is None else bool(r["parents_present"]),
                absence_reason=r["parents_absent_reason"] or "", minutes=r["minutes"] or "",
                cancel_reason=r["cancel_reason"] or "", changes=changes.get(r["id"], 0))
        for r in numbered("meetings")
    ]
    # A meeting held early or late sits in the list on the day it was held.
    meetings.sort(key=lambda m: (m.held_on or m.day, m.time or "", m.nr))
    tovholders = rows("tovholders")
    # The latest answer on each consent counts (»ikke endnu«, then »ja« with `underskrift`); the
    # history keeps every one.
    latest = {(r["step_id"], r["topic"]): r for r in rows("consents")}
    consents = [Consent(r["topic"], r["step_id"], r["answer"], r["given_by"], r["given_on"],
                        guide.step_title(r["step_id"]) or NAMING_CONSENT)  # `navngiv`: a consent of no step
                for r in latest.values()]
    positions = rows("positions")
    ruler = {p.id: p for p in guide.ruler}
    underretninger = [Underretning(r["sent_on"], r["recipient"], r["method"], bool(r["leader_informed"]), r["note"] or "")
                      for r in rows("underretninger")]

    closed = case["status"] != CaseStatus.OPEN
    deadline = wizard.observation_deadline(ctx)
    observations = [Observation(r["observed_on"], r["what"], r["method"] or "", r["observer"] or "")
                    for r in rows("observations", order_by="observed_on, id")]
    obs_steps = [s for s in guide.steps() if s.kind == StepKind.OBSERVATIONS]
    observations_done = all(s.id in answered for s in obs_steps)
    duties = [] if closed else _duties(abuse, underretninger, deadline if obs_steps and not observations_done else None,
                                       agreements, meetings)

    upcoming = [m for m in meetings if m.status == MeetingState.PLANNED and dt.date.fromisoformat(m.day) >= today]
    upcoming_status = [m for m in upcoming if m.status_meeting]
    latest = positions[-1] if positions else None
    closing = next((e for e in reversed(case_events) if e["kind"] == EventKind.CLOSED), None)
    case = privacy.printable_tree(case)
    plan = Plan(
        code=case["code"],
        status=case["status"],
        closed=Closing(case["closed_at"][:10], case["closed_reason"] or (closing or {}).get("reason", ""),
                       (closing or {}).get("to_value") or "")
        if closed and case["closed_at"] else None,
        created=case["created_at"][:10],
        updated=(case["updated_at"] or case["created_at"])[:10],
        guide=GuideRef(guide.id, guide.name, guide.municipality, guide.source),
        child=Child(case["child_name"], case["age_group"], case["setting"], ctx.anonymous),
        abuse_path=abuse,
        safety_rule=guide.safety.rule if abuse else None,
        concern=[t.text for t in texts if t.role == "concern"],
        phase=PhaseRef(phase.id, phase.title, guide.phases.index(phase) + 1, len(guide.phases)),
        done=done,
        next_step=next_step,
        observations=observations,
        observation_deadline=deadline.isoformat() if deadline else None,
        observations_done=observations_done,
        factors=[Factor(followup.factor_label(guide, r["step_id"], r["kind"]), r["text"]) for r in rows("factors")],
        texts=texts,
        decisions=decisions,
        agreements=agreements,
        tovholder=Person(tovholders[-1]["name"], tovholders[-1]["role"] or "") if tovholders else None,
        tovholders=[FormerTovholder(t["name"], t["role"] or "", t["since"]) for t in tovholders],
        status_meetings=[m for m in meetings if m.status_meeting],
        other_meetings=[m for m in meetings if not m.status_meeting],
        next_meeting=upcoming[0] if upcoming else None,
        next_status_meeting=upcoming_status[0] if upcoming_status else None,
        parents=ParentsPart(
            views=[t for t in texts if t.role == "parents_view"],
            consents=consents,
            signature=next((c for c in reversed(consents) if c.topic == "handleplan"), None),
        ),
        child_view=[t.text for t in texts if t.role == "child_view"],
        analysis=[t.text for t in texts if t.role == "analysis"],
        position=Position(latest["position"], latest["label"], latest["noted_on"], latest["rationale"] or "",
                          ruler[latest["position"]].colour if latest["position"] in ruler else "")
        if latest else None,
        ruler=Ruler(
            steps=[RulerStep(p.id, p.label, p.colour) for p in guide.ruler],
            history=[RulerEntry(r["noted_on"], r["position"], r["label"],
                                ruler[r["position"]].colour if r["position"] in ruler else "", r["rationale"] or "")
                     for r in positions],
        ),
        fit=fit.series(rows("fit_scores")),
        underretninger=underretninger,
        sparring=ctx.shown(phase.sparring) + ctx.shown(guide.contact),
        duties=duties,
        today=today,
        network=tuple(ctx.network()),
        meeting_agenda=meeting_agenda(guide),
        fit_used=guide.fit_use,
    )
    # The guide's own texts (titles, guidance) are cleaned as the stored ones are.
    return cleaned(plan, privacy.printable)


# A status meeting's parts as the lines of its agenda (the statusmøde document); the next meeting
# is named with the guide's own word for it.
MEETING_PART_WORDS = {
    "deltagere": "Velkommen, og hvem deltager", "fit_start": "Sådan går det lige nu (ORS/CORS ved mødets start)",
    "aftaler": "Opfølgning på aftalerne", "placering": "Børnelinealen: er placeringen den samme?",
    "nye_aftaler": "Nye aftaler – hvem gør hvad, og hvornår", "referat": "Kort referat",
    "fit_slut": "Hvordan var mødet? (SRS/CSRS)", "naeste_moede": "Næste {label}",
}


def part_words(guide, part) -> str:
    """One part of the guide's status meeting in words: a note's title, or the recorded part's line."""
    return part.title if part.part == "note" else MEETING_PART_WORDS[part.part].format(label=guide.meetings.label.lower())


def meeting_agenda(guide) -> tuple[str, ...]:
    """The agenda of the guide's status meeting, part by part as `møde hold` walks it: its own form
    (Åben Dialog …), without FIT or the Børnelineal where the guide has none. The referat is an
    agenda point only where the guide's form names it."""
    return tuple(part_words(guide, part) for part in guide.meeting_parts()
                 if (guide.fit_use or not part.part.startswith("fit_")) and (guide.ruler or part.part != "placering")
                 and (guide.meetings.form or part.part != "referat"))


def _duties(abuse: bool, underretninger: list[Underretning], observations_due: dt.date | None,
            agreements: list[Agreement], meetings: list[Meeting]) -> list[Duty]:
    """What an open case asks for, the abuse path's duties first (they come before everything)."""
    duties = []
    if abuse and not underretninger:
        duties.append(Duty(DutyKind.NO_UNDERRETNING))
    if abuse and any(not u.leader_informed for u in underretninger):
        duties.append(Duty(DutyKind.LEADER_NOT_INFORMED))
    if observations_due:
        duties.append(Duty(DutyKind.OBSERVATIONS, observations_due))
    duties += [Duty(DutyKind.AGREEMENT, dt.date.fromisoformat(a.due), a.nr, a.what)
               for a in agreements if a.due and a.status in OPEN_AGREEMENT]
    duties += [Duty(DutyKind.MEETING, dt.date.fromisoformat(m.day), m.nr, m.kind)
               for m in meetings if m.status == MeetingState.PLANNED]
    return duties


def overdue_sentence(duty: Duty) -> str:
    """A duty past its day, as the handleplan says it."""
    match duty.kind:
        case DutyKind.NO_UNDERRETNING:
            return "Der er mistanke om vold eller overgreb, men underretningen er ikke registreret."
        case DutyKind.LEADER_NOT_INFORMED:
            return "Lederen er ikke registreret som informeret om underretningen."
        case DutyKind.OBSERVATIONS:
            return f"Iagttagelserne skulle have ligget klar {dates.format_date(duty.day)}."
        case DutyKind.AGREEMENT:
            return f"Aftale nr. {duty.ref} «{duty.label}» skulle være udført senest {dates.format_date(duty.day)}."
        case DutyKind.MEETING:
            return f"{duty.label} nr. {duty.ref} {dates.format_date(duty.day)} er ikke registreret som holdt."
    raise ValueError(duty.kind)


def duty_command(duty: Duty, code: str) -> str | None:
    """The command that does what an overdue duty asks (for screens; a printed plan has none)."""
    match duty.kind:
        case DutyKind.NO_UNDERRETNING:
            return f"rettidig mistanke {code}"
        case DutyKind.LEADER_NOT_INFORMED:
            return f"rettidig ret {code} underretning"
        case DutyKind.AGREEMENT:
            return f"rettidig aftale status {code} {duty.ref}"
        case DutyKind.MEETING:
            return f"rettidig møde hold {code} {duty.ref}"
    return None


def as_json(plan: Plan) -> dict:
    """The plan as `rettidig plan --json` writes it."""
    return {**to_json(plan), "forsinket": [overdue_sentence(d) for d in plan.overdue()]}
