"""Builds the handleplan of a case as plain data (dicts, lists, ISO dates). No printing here:
render.py, --json and the exporters all read the same structure."""

from __future__ import annotations

import datetime as dt
import json
import os

from rettidig_cli import dates, fit, followup, parents, privacy, wizard
from rettidig_cli.errors import UNREADABLE_VALUE, CaseGuideError, CaseUnreadableError, GuideError
from rettidig_cli.guide import SAFETY_STEP_ID
from rettidig_cli.parents import visible
from rettidig_cli.vocabulary import OPEN_AGREEMENT, CaseStatus, EventKind, MeetingState, StepKind



# What a value rettidig did not write itself can raise while a plan is built from it; database
# errors are not among them (they concern the whole file and are reported as such).


def build(store, case: dict, today: dt.date | None = None) -> dict:
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


def _build(store, case: dict, guide, today: dt.date) -> dict:
    ctx = wizard.context_for(store, case, guide)
    answered = ctx.answered
    cid = case["id"]
    abuse = ctx.abuse_path

    found = wizard.next_step(ctx)
    done = found is None and SAFETY_STEP_ID in answered
    phase = found[0] if found else guide.phases[-1]
    if found:
        next_text = {"fase": phase.title, "trin": found[1].message,
                     "vejledning": visible(phase.guidance, abuse)}
    else:
        next_text = {"fase": None, "trin": parents.shown(guide.completion, abuse) or "", "vejledning": []}

    texts = []
    for step in guide.steps():
        value = answered.get(step.id)
        if step.kind == StepKind.TEXT and value:
            texts.append({"trin": step.id, "titel": step.title or step.message, "rolle": step.role, "tekst": value})

    decisions = []
    decision_rows = store.rows("decisions", cid)
    for step in guide.steps():
        rows = [r for r in decision_rows if r["step_id"] == step.id]
        if rows:
            # A single-choice decision can change later (escalation): the latest counts.
            current = rows if step.multiple else rows[-1:]
            options = {o.id: o for o in step.options}
            decisions.append({
                "trin": step.id, "titel": step.title or step.message,
                "valg": [r["label"] for r in current],
                # A choice that means working with the parents, made before a suspicion: its meaning is not shown.
                "betydning": [c for r in current if not (abuse and options[r["choice"]].parent_contact)
                              for c in visible(options[r["choice"]].consequences, abuse)],
                "dato": rows[-1]["decided_on"],
                "tidligere": [{"valg": r["label"], "dato": r["decided_on"]} for r in rows[:-1]] if not step.multiple else [],
                "begrundelse": current[-1]["note"] or "",
            })

    events = {}
    for e in store.rows("agreement_events", cid):
        events.setdefault(e["agreement_id"], []).append(
            {"dato": e["on_day"], "status": e["status"], "note": e["note"] or "", "moede_id": e["meeting_id"]})
    agreements = [
        {"nr": nr, "hvad": r["what"], "hvem": r["who"], "senest": r["due"], "status": r["status"],
         "aftalt": r["created_at"][:10], "historik": events.get(r["id"], []),
         "overskredet": bool(r["due"] and r["status"] in OPEN_AGREEMENT and dt.date.fromisoformat(r["due"]) < today)}
        for nr, r in enumerate(store.rows("agreements", cid), start=1)
    ]
    changes: dict[int, int] = {}  # how often each meeting was moved or cancelled (calendar SEQUENCE)
    for e in store.rows("case_events", cid):
        if e["meeting_id"] and e["kind"] in (EventKind.MOVED, EventKind.CANCELLED):
            changes[e["meeting_id"]] = changes.get(e["meeting_id"], 0) + 1
    meetings = []
    for nr, r in enumerate(store.rows("meetings", cid), start=1):
        meetings.append({
            "nr": nr, "type": r["kind"], "dato": r["day"], "tidspunkt": r["time"],
            "deltagere": json.loads(r["participants"] or "[]"), "status": r["state"],
            "flyttet_fra": r["moved_from"], "grund": r["moved_reason"] or "",
            "status_moede": followup.is_status_meeting(guide, r),
            "holdt_dato": r["held_on"], "deltog": json.loads(r["attended"]) if r["attended"] else None,
            "foraeldre_deltog": None if r["parents_present"] is None else bool(r["parents_present"]),
            "fravaer_grund": r["parents_absent_reason"] or "", "referat": r["minutes"] or "",
            "aflyst_grund": r["cancel_reason"] or "", "aendringer": changes.get(r["id"], 0),
        })
    # A meeting held early or late sits in the list on the day it was held.
    meetings.sort(key=lambda m: (m["holdt_dato"] or m["dato"], m["tidspunkt"] or "", m["nr"]))
    tovholders = store.rows("tovholders", cid)
    consents = [
        {"emne": r["topic"], "trin": r["step_id"], "svar": r["answer"], "navn": r["given_by"], "dato": r["given_on"],
         "titel": guide.step_title(r["step_id"])}
        for r in store.rows("consents", cid)
    ]
    positions = store.rows("positions", cid)
    ruler = {p.id: p for p in guide.ruler}
    underretninger = [
        {"dato": r["sent_on"], "modtager": r["recipient"], "hvordan": r["method"],
         "leder_informeret": bool(r["leader_informed"]), "note": r["note"] or ""}
        for r in store.rows("underretninger", cid)
    ]

    overdue = []
    closed = case["status"] != CaseStatus.OPEN
    deadline = wizard.observation_deadline(ctx)
    observations = [
        {"dato": r["observed_on"], "hvad": r["what"], "metode": r["method"] or "", "hvem": r["observer"] or ""}
        for r in store.rows("observations", cid, order_by="observed_on, id")
    ]
    obs_steps = [s for s in guide.steps() if s.kind == StepKind.OBSERVATIONS]
    observations_done = all(s.id in answered for s in obs_steps)
    if not closed:
        # The abuse path's duties come before everything ordinary.
        if abuse and not underretninger:
            overdue.append("Der er mistanke om vold eller overgreb, men underretningen er ikke registreret.")
        if abuse and any(not u["leder_informeret"] for u in underretninger):
            overdue.append("Lederen er ikke registreret som informeret om underretningen.")
        if deadline and obs_steps and not observations_done and deadline < today:
            overdue.append(f"Iagttagelserne skulle have ligget klar {dates.format_date(deadline)}.")
        for a in agreements:
            if a["overskredet"]:
                overdue.append(f"Aftale nr. {a['nr']} «{a['hvad']}» skulle være udført senest "
                               f"{dates.format_iso(a['senest'])}.")
        for m in meetings:
            if m["status"] == MeetingState.PLANNED and dt.date.fromisoformat(m["dato"]) < today:
                overdue.append(f"{m['type']} nr. {m['nr']} {dates.format_iso(m['dato'])} "
                               "er ikke registreret som holdt.")

    upcoming = [m for m in meetings if m["status"] == MeetingState.PLANNED and dt.date.fromisoformat(m["dato"]) >= today]
    upcoming_status = [m for m in upcoming if m["status_moede"]]
    latest = positions[-1] if positions else None
    closing = next((e for e in reversed(store.rows("case_events", cid)) if e["kind"] == EventKind.CLOSED), None)
    return privacy.printable_tree({
        "kode": case["code"],
        "status": case["status"],
        "lukket": {"dato": case["closed_at"][:10], "grund": case["closed_reason"] or (closing or {}).get("reason", "")}
        if closed and case["closed_at"] else None,
        "oprettet": case["created_at"][:10],
        "opdateret": (case["updated_at"] or case["created_at"])[:10],
        "guide": {"id": guide.id, "navn": guide.name, "kommune": guide.municipality, "kilde": guide.source},
        "barn": {"navn": case["child_name"], "aldersgruppe": case["age_group"], "tilbud": case["setting"]},
        "mistanke_om_vold_eller_overgreb": abuse,
        "sikkerhedsregel": guide.safety.rule if abuse else None,
        "bekymring": [t["tekst"] for t in texts if t["rolle"] == "concern"],
        "fase": {"id": phase.id, "titel": phase.title, "nummer": guide.phases.index(phase) + 1,
                 "antal": len(guide.phases)},
        "faerdig": done,
        "naeste_skridt": next_text,
        "observationer": observations,
        "iagttagelsesfrist": deadline.isoformat() if deadline else None,
        "iagttagelser_faerdige": observations_done,
        "faktorer": [{"type": followup.factor_label(guide, r["step_id"], r["kind"]), "tekst": r["text"]}
                     for r in store.rows("factors", cid)],
        "tekster": texts,
        "beslutninger": decisions,
        "aftaler": agreements,
        "tovholder": {"navn": tovholders[-1]["name"], "rolle": tovholders[-1]["role"] or ""} if tovholders else None,
        "tovholdere": [{"navn": t["name"], "rolle": t["role"] or "", "siden": t["since"]} for t in tovholders],
        "statusmoeder": [m for m in meetings if m["status_moede"]],
        "andre_moeder": [m for m in meetings if not m["status_moede"]],
        "naeste_moede": upcoming[0] if upcoming else None,
        "naeste_statusmoede": upcoming_status[0] if upcoming_status else None,
        "foraeldre": {
            "perspektiv": [t for t in texts if t["rolle"] == "parents_view"],
            "samtykker": consents,
            "underskrift": next((c for c in reversed(consents) if c["emne"] == "handleplan"), None),
        },
        "barnets_perspektiv": [t["tekst"] for t in texts if t["rolle"] == "child_view"],
        "analyse": [t["tekst"] for t in texts if t["rolle"] == "analysis"],
        "placering": {"id": latest["position"], "label": latest["label"], "dato": latest["noted_on"],
                      "begrundelse": latest["rationale"] or "",
                      "farve": ruler[latest["position"]].colour if latest["position"] in ruler else ""}
        if latest else None,
        "linealen": {
            "trin": [{"id": p.id, "label": p.label, "farve": p.colour} for p in guide.ruler],
            "historik": [{"dato": r["noted_on"], "id": r["position"], "label": r["label"],
                          "farve": ruler[r["position"]].colour if r["position"] in ruler else "",
                          "begrundelse": r["rationale"] or ""} for r in positions],
        },
        "fit": fit.series(store.rows("fit_scores", cid)),
        "underretninger": underretninger,
        "sparring": visible(phase.sparring, abuse),
        "forsinket": overdue,
    })
