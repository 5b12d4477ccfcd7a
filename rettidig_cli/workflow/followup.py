"""Following a case after its first walk through the guide: new observations, factors and
agreements, agreement status, tovholder, status meetings (add, move, cancel, hold), FIT scores,
Børnelineal positions, escalation, closing and reopening.

Every change is validated with the same field rules as the wizard (fields.py, wizard.parse_*)
and saved in one transaction together with its audit-log row and, where it matters for the
case's history, a case event. The interactive prompts and the command flags both end here."""

from __future__ import annotations

import datetime as dt
import json
from typing import NamedTuple

from rettidig_cli.domain import dates, fields, fit
from rettidig_cli.guide import parents
from rettidig_cli.workflow import wizard
from rettidig_cli.domain.errors import NotFoundError, UsageError
from rettidig_cli.guide.reader import Guide, MeetingPart, Step
from rettidig_cli.guide.reference import fit_rules, followup_rules
from rettidig_cli.storage.store import now
from rettidig_cli.domain.vocabulary import OPEN_AGREEMENT, AgreementStatus, CaseStatus, EventKind, MeetingState, StepKind



# ---------------------------------------------------------------- looking things up


def definite(noun: str) -> str:
    """Danish definite form of a meeting noun: statusmøde → statusmødet, teammøde → teammødet. A
    guide's name of several words (»Opfølgende dialogmøde«, »Møde med Handleteamet«) has no safe
    ending to add: it is named as it is written."""
    if " " in noun.strip():
        return f"mødet «{noun}»"
    return noun + ("t" if noun.endswith("e") else "et")


def require_open(case: dict) -> None:
    if case["status"] != CaseStatus.OPEN:
        raise UsageError(f"Sag {case['code']} er lukket, så der kan ikke ændres i den.",
                         hint=f"Genåbn den først med: rettidig genåbn {case['code']}")


def step_of_kind(guide: Guide, kind: str) -> Step | None:
    return next((s for s in guide.steps() if s.kind == kind), None)


def numbered(store, table: str, case: dict) -> list[dict]:
    """A case's records with a stable number (1, 2, ...) in the order they were made; a removed
    record keeps its number, unused (see Store.numbered)."""
    return store.numbered(table, case["id"])


def pick(rows: list[dict], nr, what: str, case: dict) -> dict:
    try:
        number = fields.whole_number(nr, "Nummeret", 1, 10_000)
    except ValueError as exc:
        raise UsageError(str(exc), hint=f"Se numrene med: rettidig plan {case['code']}") from None
    for row in rows:
        if row["nr"] == number:
            return row
    raise NotFoundError(f"Sag {case['code']} har ingen {what} nr. {number}.",
                        hint=f"Se numrene med: rettidig plan {case['code']}")


def open_agreements(store, case: dict) -> list[dict]:
    return [a for a in numbered(store, "agreements", case) if a["status"] in OPEN_AGREEMENT]


def planned_meetings(store, case: dict) -> list[dict]:
    rows = [m for m in numbered(store, "meetings", case) if m["state"] == MeetingState.PLANNED]
    return sorted(rows, key=lambda m: (m["day"], m["time"] or ""))


def meetings_to_hold(store, case: dict, guide: Guide, today: dt.date) -> list[dict]:
    """The planned meetings `møde hold` offers, every kind: those due first (today's, or one not
    registered as held), oldest first; then the status meetings to come, then the others."""
    planned = planned_meetings(store, case)
    iso = today.isoformat()
    due = [m for m in planned if m["day"] <= iso]
    later = [m for m in planned if m["day"] > iso]
    return due + [m for m in later if is_status_meeting(guide, m)] + [m for m in later if not is_status_meeting(guide, m)]


# Another meeting than a status meeting (one a guide step planned, e.g. with a team) is held with
# who took part, the agreements and a referat: FIT, the ruler, the guide's own notes and the next
# meeting belong to the status meetings' rhythm.
OTHER_MEETING_PARTS = ("deltagere", "aftaler", "nye_aftaler", "referat")


def parts_of(guide: Guide, meeting: dict) -> tuple[MeetingPart, ...]:
    """The parts a meeting is held with, in the guide's order (its own guidance kept)."""
    parts = guide.meeting_parts()
    if is_status_meeting(guide, meeting):
        return parts
    kept = [p for p in parts if p.part in OTHER_MEETING_PARTS]
    missing = [MeetingPart(name) for name in OTHER_MEETING_PARTS if name not in {p.part for p in kept}]
    return tuple(sorted([*kept, *missing], key=lambda p: OTHER_MEETING_PARTS.index(p.part)))


def is_status_meeting(guide: Guide, meeting: dict) -> bool:
    step = next((s for s in guide.steps() if s.id == meeting["step_id"]), None)
    if step is not None:
        return step.kind == StepKind.STATUS_MEETINGS
    return meeting["kind"] == guide.meetings.label


def factor_step(guide: Guide) -> Step:
    """The guide's factors step, or one made from the shared factor kinds in data/followup.toml."""
    step = step_of_kind(guide, StepKind.FACTORS)
    if step is not None and step.options:
        return step
    return Step(id=step.id if step else "", kind="factors", message="", phase_id="",
                options=followup_rules().factor_types)


def factor_label(guide: Guide, step_id: str | None, option_id: str) -> str:
    """A factor kind's label: from the step it was saved under, else the shared kinds in data."""
    options = list(followup_rules().factor_types)
    try:
        options = list(guide.step(step_id).options) + options
    except KeyError:
        pass
    return next((o.label for o in options if o.id == option_id), option_id)


def _event(store, case: dict, kind: str, day: dt.date, meeting_id: int | None = None,
           from_value: str = "", to_value: str = "", reason: str = "") -> None:
    store.insert("case_events", case, {
        "kind": kind, "meeting_id": meeting_id, "on_day": day.isoformat(), "from_value": from_value,
        "to_value": to_value, "reason": reason})


def unchanged(store, case: dict, table: str, row: dict, fields_read: tuple[str, ...], what: str) -> None:
    """Inside the write: the agreement or meeting the user was asked about is as it was read. A
    second window may have moved, cancelled or held it while the question was open."""
    from rettidig_cli.domain.errors import CaseChangedError

    now_row = store.current(table, case, row["id"], fields_read)
    if now_row != tuple(row[f] for f in fields_read):
        raise CaseChangedError(f"{what} er ændret i et andet vindue, mens du skrev. Det, du skrev nu, er ikke gemt.",
                               hint=f"Se sagen, som den er nu: rettidig plan {case['code']}")


def _user_text(value, label: str, **rules) -> str:
    """A free text given straight to a change (not through a parse_*): a bad one is a usage error."""
    try:
        return fields.text(value, label, **rules)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _changed(store, case: dict, what: str) -> None:
    """Bump the case's activity time and write the audit row (no content, only the kind)."""
    store.update_case(case)
    store.audit("ændre", case["code"], what)


# ---------------------------------------------------------------- observations, factors, agreements


def add_item(store, case: dict, guide: Guide, kind: str, raw) -> int:
    """Validate and save one observation, factor or agreement; return its number in the case
    (counted up to its own row, so a record another window saves meanwhile does not shift it)."""
    require_open(case)
    ctx = wizard.context_for(store, case, guide)
    step = factor_step(guide) if kind == StepKind.FACTORS else step_of_kind(guide, kind)
    if step is None:
        step = Step(id="", kind=kind, message="", phase_id="")
    try:
        value = wizard.parse(step, raw, ctx)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    row_id = wizard.save_item(store, case, kind, step.id or None, value)
    table = wizard.LOOP_KINDS[kind]
    return store.number_in_case(table, case, row_id)


def parse_status_change(raw) -> dict:
    raw = wizard.mapping(raw, "Ændringen", ("status", "note", "dato"))
    status = fields.choice(raw.get("status"), "Status", list(AgreementStatus))
    note = fields.text(raw.get("note"), "Hvorfor / hvad skete der", required=status == AgreementStatus.ABANDONED)
    day = fields.date(raw.get("dato") or dates.today().isoformat(), "Dato")
    return {"status": status, "note": note, "dato": day.isoformat()}


def change_agreement(store, case: dict, agreement: dict, value: dict, meeting_id: int | None = None) -> None:
    require_open(case)
    if value["status"] == agreement["status"] and not value["note"]:
        raise UsageError(f"Aftale nr. {agreement['nr']} har allerede status «{agreement['status']}».",
                         hint="Skriv en note om, hvad der er sket, eller vælg en anden status.")
    with store.atomic(case):
        unchanged(store, case, "agreements", agreement, ("status",), f"Aftale nr. {agreement['nr']}")
        store.change("agreements", case, agreement["id"], {"status": value["status"]})
        store.insert("agreement_events", case, {
            "agreement_id": agreement["id"], "meeting_id": meeting_id, "status": value["status"],
            "note": value["note"], "on_day": value["dato"]})
        _changed(store, case, "aftale-status")
    agreement["status"] = value["status"]


# ---------------------------------------------------------------- tovholder


def change_tovholder(store, case: dict, guide: Guide, raw) -> dict:
    require_open(case)
    step = step_of_kind(guide, StepKind.TOVHOLDER) or Step(id="", kind=StepKind.TOVHOLDER, message="", phase_id="")
    try:
        value = wizard.parse_tovholder(step, raw, wizard.context_for(store, case, guide))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    current = store.rows("tovholders", case["id"])
    if current and current[-1]["name"].casefold() == value["navn"].casefold() and \
            (current[-1]["role"] or "") == value["rolle"]:
        raise UsageError(f"{value['navn']} er allerede tovholder på sag {case['code']}.")
    with store.atomic(case):
        store.add("tovholders", case, step.id or None,
                  {"name": value["navn"], "role": value["rolle"], "since": dates.today().isoformat()})
        _changed(store, case, "tovholder")
    return value


# ---------------------------------------------------------------- status meetings


def _rhythm(store, case: dict, guide: Guide) -> int:
    step = step_of_kind(guide, StepKind.STATUS_MEETINGS)
    answer = store.answers(case["id"]).get(step.id) if step else None
    value = answer["value"] if answer else None
    return (value or {}).get("rytme_uger") or guide.meetings.default_rhythm


def suggested_next_day(store, case: dict, guide: Guide, after: dt.date) -> dt.date:
    """The case's rhythm after the given day, moved off weekends and closing days. The stored
    rhythm and day may be written by hand or by an older version: a rhythm outside the limits
    (data/limits.toml) is the guide's, and a day whose rhythm lands past the plausible range (a
    meeting in year 9999) gives way to today, so the suggestion is always a date that can be taken."""
    from rettidig_cli.guide.reference import limits

    low, high = limits().rhythm_weeks
    try:
        weeks = fields.whole_number(_rhythm(store, case, guide), "rytme_uger", low, high)
    except (ValueError, TypeError, AttributeError):  # a stored answer that is not what this version writes
        weeks = guide.meetings.default_rhythm
    _, last = dates.plausible_range()
    nominal = dates.add_days(after, 7 * weeks)
    if nominal is None or nominal > last:
        nominal = dates.add_days(dates.today(), 7 * weeks)
    return dates.propose_meetings(nominal, 1, 1, guide.meetings.skip_optional_holidays)[0].day


def default_participants(store, case: dict, guide: Guide) -> list[str]:
    meetings = [m for m in store.rows("meetings", case["id"]) if is_status_meeting(guide, m)]
    if meetings:
        return json.loads(meetings[-1]["participants"] or "[]")
    tovholders = store.rows("tovholders", case["id"])
    people = ["Forældre"] if parents.take_part(guide, case["abuse_path"]) else []
    return people + ([tovholders[-1]["name"]] if tovholders else [])


def staff_participants(store, case: dict, meeting: dict) -> list[str]:
    """Who besides the parents is expected: the planned list, else who came last time, else the tovholder."""
    planned = [p for p in json.loads(meeting["participants"] or "[]") if not parents.is_parent(p)]
    if planned:
        return planned
    held = [m for m in store.rows("meetings", case["id"]) if m["attended"] and m["id"] != meeting["id"]]
    if held:
        return [p for p in json.loads(held[-1]["attended"]) if not parents.is_parent(p)]
    tovholders = store.rows("tovholders", case["id"])
    return [tovholders[-1]["name"]] if tovholders else []


def meeting_day_problem(day: dt.date, guide: Guide) -> str | None:
    """Why a meeting cannot be planned on this day (weekend, closing day, already past), or None."""
    if day < dates.today():
        return f"{dates.format_date(day)} er overstået. Vælg i dag eller en senere dag."
    return dates.check_meeting_day(day, guide.meetings.skip_optional_holidays)


def _future_meeting_day(raw, label: str, guide: Guide) -> dt.date:
    day = fields.date(raw, label, ahead=True)
    problem = meeting_day_problem(day, guide)
    if problem:
        raise ValueError(problem)
    return day


def parse_new_meeting(raw, store, case: dict, guide: Guide) -> dict:
    raw = wizard.mapping(raw, "Mødet", ("dato", "tidspunkt", "deltagere"))
    day = _future_meeting_day(raw.get("dato"), "Mødedato", guide)
    ctx = wizard.context_for(store, case, guide)
    people = raw.get("deltagere")
    participants = (wizard.meeting_participants(people, ctx) if people not in (None, "")
                    else default_participants(store, case, guide))
    return {"dato": day.isoformat(),
            "tidspunkt": fields.time(raw.get("tidspunkt") or guide.meetings.default_time, "Tidspunkt").strftime("%H:%M"),
            "deltagere": participants}


def add_meeting(store, case: dict, guide: Guide, value: dict) -> int:
    require_open(case)
    step = step_of_kind(guide, StepKind.STATUS_MEETINGS)
    with store.atomic(case):
        meeting_id = store.add("meetings", case, step.id if step else None, {
            "kind": guide.meetings.label, "day": value["dato"], "time": value["tidspunkt"],
            "participants": json.dumps(value["deltagere"], ensure_ascii=False), "state": MeetingState.PLANNED})
        _event(store, case, EventKind.PLANNED, dates.today(), meeting_id, to_value=value["dato"])
        _changed(store, case, "møde-ny")
    return meeting_id


def parse_move(raw, meeting: dict, guide: Guide) -> dict:
    raw = wizard.mapping(raw, "Flytningen", ("dato", "tidspunkt", "grund"))
    day = _future_meeting_day(raw.get("dato"), "Ny dato", guide)
    at = fields.time(raw.get("tidspunkt") or meeting["time"] or guide.meetings.default_time, "Tidspunkt").strftime("%H:%M")
    if day.isoformat() == meeting["day"] and at == meeting["time"]:
        raise ValueError(f"Mødet ligger allerede {dates.format_date(day)} kl. {at.replace(':', '.')}.")
    return {"dato": day.isoformat(), "tidspunkt": at,
            "grund": fields.text(raw.get("grund"), "Grund", required=False, max_length=fields.SHORT_MAX)}


def require_planned(meeting: dict, case: dict) -> None:
    if meeting["state"] != MeetingState.PLANNED:
        raise UsageError(f"Møde nr. {meeting['nr']} er {meeting['state']} og kan ikke ændres.",
                         hint=f"Se møderne med: rettidig plan {case['code']}")


def move_meeting(store, case: dict, meeting: dict, value: dict) -> None:
    require_open(case)
    require_planned(meeting, case)
    with store.atomic(case):
        unchanged(store, case, "meetings", meeting, ("state", "day"), f"Møde nr. {meeting['nr']}")
        store.change("meetings", case, meeting["id"], {
            "day": value["dato"], "time": value["tidspunkt"], "moved_from": meeting["day"],
            "moved_reason": value["grund"]})
        _event(store, case, "flyttet", dates.today(), meeting["id"], meeting["day"], value["dato"], value["grund"])
        _changed(store, case, "møde-flyt")


def cancel_meeting(store, case: dict, meeting: dict, reason: str) -> None:
    require_open(case)
    require_planned(meeting, case)
    reason = _user_text(reason, "Grund", required=False, max_length=fields.SHORT_MAX)
    with store.atomic(case):
        unchanged(store, case, "meetings", meeting, ("state", "day"), f"Møde nr. {meeting['nr']}")
        store.change("meetings", case, meeting["id"], {"state": MeetingState.CANCELLED, "cancel_reason": reason})
        _event(store, case, EventKind.CANCELLED, dates.today(), meeting["id"], meeting["day"], reason=reason)
        _changed(store, case, "møde-aflys")


# ---------------------------------------------------------------- holding a status meeting


def parents_always_there(guide: Guide, case: dict, meeting: dict) -> bool:
    """The guide says the parents always take part in the status meetings (never on the abuse
    path); another meeting (with a team) says who takes part itself."""
    return parents.take_part(guide, case["abuse_path"]) and is_status_meeting(guide, meeting)


def parse_attendance(raw, case: dict, guide: Guide, meeting: dict) -> dict:
    raw = wizard.mapping(raw, "Mødet", ("dato", "deltagere", "foraeldre_deltog", "fravaer_grund"))
    day = fields.date(raw.get("dato") or meeting["day"], "Mødedato")
    if day > dates.today():
        raise ValueError(f"{dates.format_date(day)} er ikke kommet endnu. Et møde registreres som holdt "
                         "samme dag eller bagefter.")
    people = fields.names(raw.get("deltagere") if raw.get("deltagere") not in (None, "")
                          else json.loads(meeting["participants"] or "[]"), "Deltagere")
    parents.without_parents(people, case["abuse_path"], wizard.MEETING_ROLE)
    present, reason = None, ""
    if parents_always_there(guide, case, meeting):
        if raw.get("foraeldre_deltog") is None:
            raise ValueError("Forældrene deltager altid i statusmøderne: svar, om de deltog (foraeldre_deltog).")
        present = fields.yes_no(raw["foraeldre_deltog"], "foraeldre_deltog")
        if present:
            if not any(parents.is_parent(p) for p in people):
                people.insert(0, "Forældre")
        else:
            people = [p for p in people if not parents.is_parent(p)]
            reason = fields.text(raw.get("fravaer_grund"), "Hvorfor deltog forældrene ikke",
                                 max_length=fields.SHORT_MAX)
    elif raw.get("foraeldre_deltog") is not None:
        present = fields.yes_no(raw["foraeldre_deltog"], "foraeldre_deltog")
        reason = fields.text(raw.get("fravaer_grund"), "Grund", required=False, max_length=fields.SHORT_MAX)
    if not people:
        raise ValueError("Skriv, hvem der deltog i mødet.")
    return {"dato": day.isoformat(), "deltagere": people, "foraeldre_deltog": present, "fravaer_grund": reason}


def record_attendance(store, case: dict, meeting: dict, value: dict) -> None:
    """The meeting is held: saved first, so everything recorded after it can point to it."""
    require_open(case)
    if meeting["state"] == MeetingState.CANCELLED:
        raise UsageError(f"Møde nr. {meeting['nr']} er aflyst.", hint="Tilføj et nyt med: rettidig møde ny")
    with store.atomic(case):
        unchanged(store, case, "meetings", meeting, ("state", "day"), f"Møde nr. {meeting['nr']}")
        store.change("meetings", case, meeting["id"], {
            "state": MeetingState.HELD, "held_on": value["dato"],
            "attended": json.dumps(value["deltagere"], ensure_ascii=False),
            "parents_present": None if value["foraeldre_deltog"] is None else int(value["foraeldre_deltog"]),
            "parents_absent_reason": value["fravaer_grund"]})
        _event(store, case, "holdt", dt.date.fromisoformat(value["dato"]), meeting["id"], to_value=value["dato"])
        _changed(store, case, "møde-holdt")
    meeting["state"] = MeetingState.HELD


def record_minutes(store, case: dict, meeting: dict, text: str) -> None:
    value = _user_text(text, "Referatet", required=False)
    if not value:
        return
    with store.atomic(case):
        store.change("meetings", case, meeting["id"], {"minutes": value})
        _changed(store, case, "møde-referat")


def record_fit(store, case: dict, value: dict, day: str, meeting_id: int | None = None) -> None:
    require_open(case)
    with store.atomic(case):
        store.insert("fit_scores", case, {
            "meeting_id": meeting_id, "measured_on": day, "respondent": value["hvem"], "instrument": value["skema"],
            "items": json.dumps(value["point"]) if value["point"] else None, "total": value["total"],
            "note": value["note"]})
        _changed(store, case, "fit")


def parse_position(raw, store, case: dict, guide: Guide) -> dict:
    if not guide.ruler:
        raise UsageError(f"Guiden «{guide.short or guide.name}» har ingen børnelineal.")
    step = step_of_kind(guide, StepKind.POSITION) or Step(id="", kind=StepKind.POSITION, message="", phase_id="")
    value = wizard.parse_position(step, raw, wizard.context_for(store, case, guide))
    current = store.rows("positions", case["id"])
    if current and current[-1]["position"] == value["placering"]:
        raise ValueError(f"Barnet står allerede på «{current[-1]['label']}».")
    if current and not value["begrundelse"]:
        raise ValueError("Skriv kort, hvorfor placeringen er ændret (begrundelse).")
    return value


def record_position(store, case: dict, guide: Guide, value: dict, day: str | None = None) -> None:
    require_open(case)
    step = step_of_kind(guide, StepKind.POSITION)
    label = next(p.label for p in guide.ruler if p.id == value["placering"])
    with store.atomic(case):
        store.add("positions", case, step.id if step else None, {
            "position": value["placering"], "label": label, "noted_on": day or dates.today().isoformat(),
            "rationale": value["begrundelse"]})
        _changed(store, case, "placering")


# ---------------------------------------------------------------- escalation


def escalations(store, case: dict, guide: Guide) -> list[tuple]:
    """(escalation, decision step, current option id) for each escalation open to this case now."""
    ctx = wizard.context_for(store, case, guide)
    found = []
    for esc in guide.escalations:
        chosen = ctx.chosen(esc.step)
        current = chosen[0] if chosen else None
        step = guide.step(esc.step)
        # On the abuse path a case is never moved to a choice that means working with the parents.
        if current in esc.from_options and esc.to in {o.id for o in parents.offered(step.options, case["abuse_path"])}:
            found.append((esc, step, current))
    return found


def escalate(store, case: dict, guide: Guide, esc, reason: str) -> list[str]:
    """Change the decision to the heavier option; return the consequences the user must see."""
    require_open(case)
    reason = _user_text(reason, "Begrundelse", max_length=fields.SHORT_MAX * 5)
    step = guide.step(esc.step)
    options = {o.id: o for o in step.options}
    current = wizard.context_for(store, case, guide).chosen(esc.step)[0]
    with store.atomic(case):
        store.add("decisions", case, step.id, {"choice": esc.to, "label": options[esc.to].label, "note": reason,
                                               "decided_on": dates.today().isoformat()})
        store.update_case(case)
        _event(store, case, EventKind.ESCALATED, dates.today(), None, options[current].label, options[esc.to].label, reason)
        store.audit("ændre", case["code"], "eskaler")
    return parents.visible(options[esc.to].consequences, bool(case["abuse_path"]))


# ---------------------------------------------------------------- a newer version of the guide


class GuideChanges(NamedTuple):
    """What moving a case to a newer version of its guide changes for that case."""

    new_steps: list[str]  # titles of steps the case has not met
    removed_answered: list[str]  # titles of answered steps the new version no longer has (kept in the history)
    removed_unanswered: list[str]
    renamed_choices: list[tuple[str, str, str]]  # (decision, old label, new label) of choices the case made
    lost_choices: list[tuple[str, str]]  # (decision, label) of a choice the case made that the new version lacks
    new_documents: list[str]
    removed_documents: list[str]

    def something(self) -> bool:
        return any(self)


def guide_changes(store, case: dict, old: Guide, new: Guide) -> GuideChanges:
    from rettidig_cli.guide.reference import purposes_for

    answered = set(store.answers(case["id"]))
    old_steps, new_steps = {s.id: s for s in old.steps()}, {s.id: s for s in new.steps()}
    renamed, lost = [], []
    for row in store.rows("decisions", case["id"]):
        step = new_steps.get(row["step_id"])
        if step is None:
            continue  # the whole step is gone: said under removed steps
        option = next((o for o in step.options if o.id == row["choice"]), None)
        title = step.title or step.message
        if option is None:
            lost.append((title, row["label"]))
        elif option.label != row["label"]:
            renamed.append((title, row["label"], option.label))
    # On the abuse path only what such a case can come to is named: never a step about the parents.
    shown = (lambda g: parents.reachable_steps(g)) if case["abuse_path"] else (lambda g: g.steps())
    removed = [s for s in shown(old) if s.id not in new_steps]
    old_docs, new_docs = ({p.id: p.title for p in purposes_for(g)} for g in (old, new))
    return GuideChanges(
        new_steps=[s.title or s.message for s in shown(new) if s.id not in old_steps],
        removed_answered=[s.title or s.message for s in removed if s.id in answered],
        removed_unanswered=[s.title or s.message for s in removed if s.id not in answered],
        renamed_choices=list(dict.fromkeys(renamed)), lost_choices=list(dict.fromkeys(lost)),
        new_documents=[t for i, t in new_docs.items() if i not in old_docs],
        removed_documents=[t for i, t in old_docs.items() if i not in new_docs],
    )


def update_guide(store, case: dict, new: Guide) -> None:
    """Move an open case to a newer version of its guide. Nothing the case holds is changed: an
    answer to a step the new version lacks stays in the history."""
    require_open(case)
    with store.atomic(case):
        store.remember_guide(new)
        old_sha = case["guide_sha"]
        store.update_case(case, guide_sha=new.sha)
        _event(store, case, EventKind.GUIDE_UPDATED, dates.today(), None, old_sha[:12], new.sha[:12])
        store.audit("ændre", case["code"], "guide opdateret")


# ---------------------------------------------------------------- closing and reopening


def parse_close_reason(raw) -> str:
    reason = fields.text(raw, "Grunden til at lukke sagen", max_length=fields.SHORT_MAX)
    for listed in followup_rules().close_reasons:
        if listed.casefold() == reason.casefold():
            return listed
    return reason


def still_to_come(meeting: dict, at: dt.datetime) -> bool:
    """A planned meeting after this moment. One earlier today (or today without a time) has taken
    place or should have: it stays, to be registered as held, not cancelled."""
    if meeting["day"] != at.date().isoformat():
        return meeting["day"] > at.date().isoformat()
    return bool(meeting["time"]) and meeting["time"] > at.strftime("%H:%M")


def parse_close_summary(raw) -> str:
    return fields.text(raw, "Opsummeringen", required=False)


def close_case(store, case: dict, reason: str, summary: str = "") -> list[dict]:
    """Close the case; planned meetings after this moment are cancelled (returned, each once). The
    closing summary is the CLOSED event's to_value: what the case came to."""
    require_open(case)
    at = dates.moment()
    cancelled = [m for m in planned_meetings(store, case) if still_to_come(m, at)]
    with store.atomic(case):
        for meeting in cancelled:
            store.change("meetings", case, meeting["id"], {"state": MeetingState.CANCELLED,
                                                           "cancel_reason": "Sagen er lukket"})
            _event(store, case, EventKind.CANCELLED, at.date(), meeting["id"], meeting["day"], reason="Sagen er lukket")
        store.update_case(case, status=CaseStatus.CLOSED, closed_at=now(), closed_reason=reason)
        _event(store, case, EventKind.CLOSED, at.date(), to_value=summary, reason=reason)
        store.audit("luk", case["code"])
    return cancelled


# ---------------------------------------------------------------- the abuse path


def has_underretning(store, case: dict) -> bool:
    return bool(store.rows("underretninger", case["id"]))


def register_suspicion(store, case: dict, underretning: dict | None) -> None:
    """A suspicion that arises after the safety question was answered: the case goes on the abuse
    path, with its underretning when it is given (one transaction). Asked in a terminal, the
    suspicion is saved first, alone, like the wizard's answer: Ctrl-C at the underretning keeps it,
    and the underretning is added later with the same command. The earlier answer stays as given."""
    require_open(case)
    if case["abuse_path"] and (underretning is None or has_underretning(store, case)):
        raise UsageError(f"Sag {case['code']} er allerede registreret med mistanke om vold eller overgreb.")
    with store.atomic(case):
        if not case["abuse_path"]:
            store.update_case(case, abuse_path=1)
            _event(store, case, EventKind.SUSPICION, dates.today())
            store.audit("ændre", case["code"], "mistanke")
        if underretning is not None:
            wizard.add_underretning(store, case, wizard.SAFETY_STEP_ID, underretning)
            store.audit("ændre", case["code"], "underretning")


def parse_naming(raw, case: dict, ctx) -> dict:
    """The child's name for an anonymous case, with the parents' consent (on the abuse path the
    underretning is about the child, and no consent is asked)."""
    require_open(case)
    if not ctx.anonymous:
        raise UsageError(f"Sag {case['code']} er ikke anonym: barnet har allerede navn eller initialer.")
    raw = wizard.mapping(raw, "Navngivningen", ("navn", "givet_af", "dato"))
    day = fields.date(raw.get("dato") or dates.today().isoformat(), "Dato for samtykket")
    return {"navn": fields.text(raw.get("navn"), "Barnets navn eller initialer", max_length=fields.NAME_MAX),
            "givet_af": fields.text(raw.get("givet_af"), "Hvem gav samtykke", required=False,
                                    max_length=fields.SHORT_MAX),
            "dato": day.isoformat()}


def name_anonymous_case(store, case: dict, guide: Guide, value: dict) -> None:
    """The consent and the name in one transaction: never a named case without its consent."""
    with store.atomic(case):
        if case["abuse_path"]:
            reason = "Mistanke om vold eller overgreb: underretningen handler om barnet"
        else:
            store.insert("consents", case, {"step_id": None, "topic": "navn", "answer": "ja",
                                            "given_by": value["givet_af"], "given_on": value["dato"]})
            reason = "Samtykke til at drøfte barnet med navn"
        wizard.name_child(store, case, guide, value["navn"], reason)


def remove_suspicion(store, case: dict, reason: str) -> None:
    """The only way off the abuse path: deliberate, with a reason, kept in the history and the log."""
    if not case["abuse_path"]:
        raise UsageError(f"Sag {case['code']} er ikke registreret med mistanke om vold eller overgreb.")
    reason = _user_text(reason, "Begrundelse", max_length=fields.SHORT_MAX * 5)
    with store.atomic(case):
        store.update_case(case, abuse_path=0)
        _event(store, case, EventKind.SUSPICION_REMOVED, dates.today(), reason=reason)
        store.audit("ændre", case["code"], "mistanke fjernet")


def reopen_case(store, case: dict, reason: str) -> None:
    if case["status"] == CaseStatus.OPEN:
        raise UsageError(f"Sag {case['code']} er allerede åben.")
    reason = _user_text(reason, "Grunden til at genåbne sagen", max_length=fields.SHORT_MAX)
    with store.atomic(case):
        store.update_case(case, status=CaseStatus.OPEN, closed_at=None, closed_reason=None)
        _event(store, case, EventKind.REOPENED, dates.today(), reason=reason)
        store.audit("genåbn", case["code"])


# ---------------------------------------------------------------- the status-meeting walk


def hold_meeting(store, case: dict, guide: Guide, meeting: dict, source) -> None:
    """Walk a status meeting in the order the guide holds it ([[meetings.form]]; by default: who
    took part, the FIT outcome scores, each open agreement, the Børnelineal position, new agreements,
    a short referat, the SRS scores, and the next meeting), saving each part the moment it is given.
    The guide's own notes (e.g. everyone's perspective, the reflection) go into the referat under
    their headings. `source` is the interactive prompts or a validated answers file."""
    day = None
    minutes: list[str] = []
    for part in parts_of(guide, meeting):
        kind = part.part
        if kind.startswith("fit_") and not guide.fit_use or kind == "placering" and not guide.ruler:
            continue
        source.part_intro(part)
        if kind == "deltagere":
            attendance = source.attendance(meeting)
            record_attendance(store, case, meeting, attendance)
            day = attendance["dato"]
        elif kind in ("fit_start", "fit_slut"):
            for score in source.fit_scores("outcome" if kind == "fit_start" else "alliance"):
                record_fit(store, case, score, day, meeting["id"])
        elif kind == "aftaler":
            for agreement in open_agreements(store, case):
                change = source.agreement(agreement)
                if change is not None and (change["status"] != agreement["status"] or change["note"]):
                    change_agreement(store, case, agreement, {**change, "dato": day}, meeting["id"])
        elif kind == "placering":
            position = source.position()
            if position is not None:
                record_position(store, case, guide, position, day)
        elif kind == "nye_aftaler":
            step = step_of_kind(guide, StepKind.AGREEMENTS)
            for item in source.new_agreements():
                wizard.save_item(store, case, "agreements", step.id if step else None, item)
        elif kind in ("note", "referat"):
            text = source.note(part) if kind == "note" else source.minutes()
            if text and text.strip():
                minutes.append(f"{part.title}: {text.strip()}" if kind == "note" else text.strip())
                record_minutes(store, case, meeting, "\n".join(minutes))  # each part saved as it is given
        elif kind == "naeste_moede":
            later = [m for m in planned_meetings(store, case) if is_status_meeting(guide, m) and m["day"] > day]
            suggested = suggested_next_day(store, case, guide, max(dt.date.fromisoformat(day), dates.today()))
            value = source.next_meeting(later[0] if later else None, suggested)
            if value is not None:
                add_meeting(store, case, guide, value)


# A meeting file's keys, by the part of the meeting (MEETING_PARTS) each belongs to.
FILE_PARTS = {"fit": "fit_start", "nye_aftaler": "nye_aftaler", "naeste_moede": "naeste_moede", "noter": "note",
              "placering": "placering", "aftaler": "aftaler", "referat": "referat", "deltagere": "deltagere"}


class MeetingFile:
    """A status meeting from an answers file: every part is checked before anything is saved."""

    FIELDS = ("dato", "deltagere", "foraeldre_deltog", "fravaer_grund", "fit", "aftaler", "placering",
              "nye_aftaler", "referat", "noter", "naeste_moede")

    def __init__(self, raw: dict, store, case: dict, guide: Guide, meeting: dict):
        try:
            raw = wizard.mapping(raw, "Mødefilen", self.FIELDS)
            kept = {part.part for part in parts_of(guide, meeting)} | {"dato", "foraeldre_deltog", "fravaer_grund"}
            left_out = [] if is_status_meeting(guide, meeting) else [k for k in raw if FILE_PARTS.get(k, k) not in kept]
            if left_out:  # never dropped in silence: a status meeting's file given for another meeting
                raise ValueError(f"«{left_out[0]}» hører ikke til et {meeting['kind']}, som holdes med deltagere, "
                                 "aftaler og referat. Er det et statusmøde, så skriv dets nummer: "
                                 f"rettidig møde hold {case['code']} NR --answers FIL")
            self._attendance = parse_attendance(
                {k: raw[k] for k in ("dato", "deltagere", "foraeldre_deltog", "fravaer_grund") if k in raw},
                case, guide, meeting)
            age = fit.child_age(case["age_group"])
            scores = [fit.parse_score(item, age=age) for item in _list(raw.get("fit"), "fit")]
            kinds = {i.id: i.kind for i in fit_rules().instruments}
            self._scores = {"outcome": [s for s in scores if kinds[s["skema"]] != "alliance"],
                            "alliance": [s for s in scores if kinds[s["skema"]] == "alliance"]}
            by_nr = {a["nr"]: a for a in open_agreements(store, case)}
            self._changes = {}
            for item in _list(raw.get("aftaler"), "aftaler"):
                item = wizard.mapping(item, "En aftale", ("nr", "status", "note"))
                agreement = by_nr.get(fields.whole_number(item.get("nr"), "nr", 1, 10_000))
                if agreement is None:
                    raise ValueError(f"aftale nr. {item.get('nr')} er ikke en åben aftale i sagen "
                                     f"(åbne: {', '.join(str(n) for n in by_nr) or 'ingen'}).")
                self._changes[agreement["id"]] = parse_status_change(
                    {"status": item.get("status") or agreement["status"], "note": item.get("note")})
            self._position = (parse_position(raw["placering"], store, case, guide)
                              if raw.get("placering") not in (None, "") else None)
            step = step_of_kind(guide, StepKind.AGREEMENTS) or Step(id="", kind=StepKind.AGREEMENTS, message="", phase_id="")
            ctx = wizard.context_for(store, case, guide)
            self._new = [wizard.parse_agreement(step, item, ctx) for item in _list(raw.get("nye_aftaler"), "nye_aftaler")]
            self._minutes = fields.text(raw.get("referat"), "Referatet", required=False)
            notes = {p.id: p for p in guide.meeting_parts() if p.part == "note"}
            given = raw.get("noter") or {}
            if not isinstance(given, dict) or set(given) - set(notes):
                raise ValueError("noter skal være en tabel med punkterne fra guidens møde: "
                                 f"{', '.join(notes) or 'guiden har ingen'}.")
            self._notes = {key: fields.text(value, notes[key].title, required=False) for key, value in given.items()}
            if raw.get("fit") and not guide.fit_use:
                raise ValueError("guiden bruger ikke FIT: fjern fit fra mødefilen.")
            nxt = raw.get("naeste_moede")
            self._next = None
            if nxt not in (None, False, ""):
                self._next = parse_new_meeting(nxt if isinstance(nxt, dict) else {"dato": nxt}, store, case, guide)
        except ValueError as exc:
            raise UsageError(f"Mødefilen: {exc}") from None

    def attendance(self, meeting):
        return self._attendance

    def fit_scores(self, kind):
        return iter(self._scores[kind])

    def agreement(self, agreement):
        return self._changes.get(agreement["id"])

    def position(self):
        return self._position

    def new_agreements(self):
        return iter(self._new)

    def minutes(self):
        return self._minutes

    def note(self, part):
        return self._notes.get(part.id, "")

    def part_intro(self, part):
        pass

    def next_meeting(self, later, suggested):
        return self._next


def _list(value, name: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{name} skal være en liste ([[{name}]] i TOML).")
    return value
