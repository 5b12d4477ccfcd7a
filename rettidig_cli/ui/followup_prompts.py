"""Questions for following a case: the everyday commands when flags are missing, and the
status-meeting walk. Built on the helpers in prompts.py (the only module that imports
questionary). Each question validates with the same functions as the flags, so a wrong
answer is asked again with the reason, and nothing is saved until it is valid."""

from __future__ import annotations

import datetime as dt
import functools

from rettidig_cli.domain import dates, fields, fit
from rettidig_cli.workflow import followup, wizard
from rettidig_cli.guide import parents
from rettidig_cli.guide.reader import Step
from rettidig_cli.ui.prompts import ask_agreement, ask_date, ask_text, fitted_choices, say, select, yes
from rettidig_cli.guide.reference import fit_rules, followup_rules
from rettidig_cli.domain.vocabulary import AgreementStatus

OTHER = "__other__"
NONE = "__none__"
UNCHANGED = "__unchanged__"


_day = dates.format_iso


def _stored_day(meeting: dict) -> dt.date | None:
    """A meeting's stored day as a date to suggest, or None if it is not one that can be taken (not
    a date, or outside the plausible range: written by hand or by an older version)."""
    try:
        return dates.check_plausible(dt.date.fromisoformat(meeting["day"]))
    except (TypeError, ValueError):
        return None


def _until_valid(ask, parse):
    """Ask, parse; on a ValueError say why in red and ask again (ask must ask anew each time)."""
    while True:
        raw = ask()
        try:
            return parse(raw)
        except ValueError as exc:
            say(str(exc), "red")


def choose_agreement(rows: list[dict], message: str = "Hvilken aftale?") -> dict:
    return select(message, [(f"{a['nr']}. {a['what']} ({a['who']}, {a['status']})", a) for a in rows])


def choose_meeting(rows: list[dict], message: str) -> dict:
    return select(message, [(f"{m['nr']}. {m['kind']} {_day(m['day'])} kl. {(m['time'] or '').replace(':', '.')}", m)
                            for m in rows])


def ask_status_change(agreement: dict, during_meeting: bool = False) -> dict | None:
    """New status and a note. In a meeting, 'uændret' with no note keeps the agreement as it is."""
    say(f"Aftale {agreement['nr']}: {agreement['what']} ({agreement['who']}) – nu: {agreement['status']}", "bold")
    choices = [(s.value, s) for s in AgreementStatus]
    if during_meeting:  # most agreements just run on: one Enter keeps them as they are
        choices.insert(0, (f"Uændret ({agreement['status']}), intet at tilføje", UNCHANGED))
    while True:
        status = select("Status:", choices, default=UNCHANGED if during_meeting else agreement["status"])
        if status == UNCHANGED:
            return None
        note = ask_text("Hvad er der sket? (hvorfor)",
                        lambda v: fields.text(v, "Noten", required=status == AgreementStatus.ABANDONED),
                        instruction="(kan springes over)" if status != AgreementStatus.ABANDONED else "(skriv hvorfor aftalen er opgivet)")
        if status != agreement["status"] or note.strip():
            return followup.parse_status_change({"status": status, "note": note})
        if during_meeting:
            return None  # unchanged, nothing to add: the agreement stays as it is
        say("Vælg en anden status, eller skriv hvad der er sket.", "red")


def ask_tovholder(current: str) -> dict:
    if current:
        say(f"Tovholder nu: {current}", "dim")
    name = ask_text("Hvem er den nye tovholder?",
                    lambda v: fields.text(v, "Tovholderens navn", max_length=fields.NAME_MAX), instruction="(navn)")
    role = ask_text("Rolle:", lambda v: fields.text(v, "Rolle", required=False, max_length=fields.NAME_MAX),
                    instruction="(fx pædagog, ressourcepædagog, leder – kan springes over)")
    return {"navn": name, "rolle": role}


def ask_new_meeting(store, case: dict, guide, suggested: dt.date) -> dict:
    rules = guide.meetings
    day = ask_date(f"Dato for {followup.definite(rules.label.lower())}:", suggested, ahead=True,
                   extra=lambda d: followup.meeting_day_problem(d, guide))
    at = ask_text("Klokkeslæt:", lambda v: fields.time(v, "Klokkeslæt"), default=rules.default_time)
    people = ", ".join(followup.default_participants(store, case, guide))
    hint = "(adskil med komma; forældrene deltager altid)" if parents.take_part(guide, case["abuse_path"]) else "(adskil med komma)"
    ctx = wizard.context_for(store, case, guide)
    names = ask_text("Hvem deltager?", lambda v: wizard.meeting_participants(v, ctx), default=people, instruction=hint)
    return followup.parse_new_meeting({"dato": day, "tidspunkt": at, "deltagere": names}, store, case, guide)


def ask_move(meeting: dict, guide) -> dict | None:
    """New date, time and reason; shown in Danish and confirmed before anything is saved."""
    current = _stored_day(meeting)  # None: no suggestion, the new date is typed
    say(f"{meeting['kind']} nr. {meeting['nr']} ligger {_day(meeting['day'])} kl. "
        f"{(meeting['time'] or '').replace(':', '.')}.", "bold")
    while True:
        day = ask_date("Ny dato:", current, extra=lambda d: followup.meeting_day_problem(d, guide), ahead=True)
        at = ask_text("Klokkeslæt:", lambda v: fields.time(v, "Klokkeslæt"),
                      default=meeting["time"] or guide.meetings.default_time)
        reason = ask_text("Hvorfor flyttes mødet?",
                          lambda v: fields.text(v, "Grund", required=False, max_length=fields.SHORT_MAX),
                          instruction="(kan springes over)")
        try:
            value = followup.parse_move({"dato": day, "tidspunkt": at, "grund": reason}, meeting, guide)
        except ValueError as exc:  # the same day and time as now: ask again, or let the user stop
            say(str(exc), "red")
            if not yes("Vil du vælge en anden dag eller et andet tidspunkt?", True):
                return None
            continue
        return value if confirm_move(meeting, value) else None


def confirm_move(meeting: dict, value: dict) -> bool:
    return yes(f"Flyt {followup.definite(meeting['kind'].lower())} fra {_day(meeting['day'])} til {_day(value['dato'])} "
               f"kl. {value['tidspunkt'].replace(':', '.')}?", True)


def ask_position(guide, current_label: str | None, during_meeting: bool = False, parse=None) -> dict | None:
    if current_label:
        say(f"Børnelinealen nu: {current_label}", "dim")
    choices = fitted_choices([(p.label, p.description, p.id) for p in guide.ruler])
    if during_meeting and current_label:
        choices.insert(0, ("Uændret", NONE))
    while True:
        chosen = select("Hvor står barnet på børnelinealen nu?", choices)
        if chosen == NONE:
            return None
        reason = ask_text("Hvorfor? (begrundelse)", lambda v: fields.text(v, "Begrundelse", required=bool(current_label)),
                          instruction="(skriv kort, hvad der har ændret sig)" if current_label else "(kan springes over)")
        try:
            return parse({"placering": chosen, "begrundelse": reason})
        except ValueError as exc:
            say(str(exc), "red")


def ask_close_reason() -> str:
    reasons = followup_rules().close_reasons
    chosen = select("Hvorfor lukkes sagen?", [(r, r) for r in reasons[:-1]] + [(reasons[-1], OTHER)])
    if chosen == OTHER:
        chosen = ask_text("Skriv grunden:", lambda v: fields.text(v, "Grunden", max_length=fields.SHORT_MAX))
    return followup.parse_close_reason(chosen)


def ask_fit_score(kind: str, child_instrument, suggestions: list[str], default_who: str, age: int | None,
                  without_parents: bool) -> dict:
    rules = fit_rules()
    instruments = [i for i in rules.instruments
                   if (i.kind == "alliance") == (kind == "alliance") and fit.fits_age(i, age)]
    who = ask_text("Hvem har udfyldt skemaet?", lambda v: fields.text(v, "Hvem", max_length=fields.NAME_MAX),
                   default=default_who, instruction=f"(fx {', '.join(suggestions)})" if suggestions else None)
    is_child = who.strip().casefold() in ("barnet", "barn")
    default = None
    if is_child and child_instrument is not None:
        default = child_instrument.id if kind != "alliance" else next(
            (i.id for i in instruments if i.min_age == child_instrument.min_age), None)
    chosen = select("Hvilket skema?", [(" – ".join(filter(None, (i.id, parents.shown(i.who, without_parents)))), i.id)
                                       for i in instruments],
                    default=default or instruments[0].id)
    instrument = rules.instrument(chosen)
    if not instrument.scored:
        note = ask_text("Note om barnets engagement:", lambda v: fields.text(v, "Noten"),
                        instruction=f"({instrument.id} gives ingen score)")
        return fit.parse_score({"hvem": who, "skema": chosen, "note": note}, age=age)
    raw = ask_text(f"De {instrument.items} skalaer (0-{instrument.item_max}):",
                   lambda v: fit.parse_score({"hvem": who, "skema": chosen, "point": v}, age=age),
                   instruction="(fx 6,5 7 8 9,5 – mellemrum mellem tallene)")
    value = fit.parse_score({"hvem": who, "skema": chosen, "point": raw}, age=age)
    low = value["total"] < instrument.cutoff
    if low:
        word = "under grænsen – tal om samarbejdet" if kind == "alliance" else "under den kliniske grænse"
    else:
        word = "på grænsen" if value["total"] == instrument.cutoff else "over grænsen"
    say(f"Total: {fit.format_score(value['total'])} af {instrument.total_max} "
        f"(grænse {fit.format_score(instrument.cutoff)}: {word}).", "yellow" if low else "green")
    return value


class InteractiveMeeting:
    """The status-meeting walk as questions in the terminal."""

    def __init__(self, store, case: dict, guide):
        self.store, self.case, self.guide = store, case, guide
        self.parents_present: bool | None = None

    @functools.cached_property
    def ctx(self):
        """The case's answers, read once: a meeting records meetings, scores and agreements, never
        an answer of the guide, so they stay the same while it is held."""
        return wizard.context_for(self.store, self.case, self.guide)

    def attendance(self, meeting):
        guide, case = self.guide, self.case
        planned = _stored_day(meeting) or dates.today()
        default = planned if planned <= dates.today() else dates.today()
        day = ask_date("Hvornår blev mødet holdt?", default,
                       extra=lambda d: "Et møde registreres som holdt samme dag eller bagefter."
                       if d > dates.today() else None)
        people = followup.staff_participants(self.store, case, meeting)
        raw = {"dato": day}
        if followup.parents_always_there(guide, case, meeting):
            present = yes("Deltog forældrene?", True)
            raw["foraeldre_deltog"] = present
            if not present:
                say("Forældrene deltager altid i statusmøderne. Skriv, hvorfor de ikke var med.", "yellow")
                raw["fravaer_grund"] = ask_text("Hvorfor deltog forældrene ikke?",
                                                lambda v: fields.text(v, "Grunden", max_length=fields.SHORT_MAX))
        while True:
            raw["deltagere"] = ask_text("Hvem deltog ellers?" if "foraeldre_deltog" in raw else "Hvem deltog?",
                                        lambda v: parents.without_parents(fields.names(v, "Deltagere"),
                                                                          bool(case["abuse_path"]), wizard.MEETING_ROLE),
                                        default=", ".join(people), instruction="(adskil med komma)")
            try:
                value = followup.parse_attendance(raw, case, guide, meeting)
                self.parents_present = value["foraeldre_deltog"]
                return value
            except ValueError as exc:  # e.g. nobody named while the parents were absent
                say(str(exc), "red")

    def part_intro(self, part):
        """The guide's words for a part of the meeting, as it begins (e.g. the Åben Dialog frame)."""
        shown = self.ctx.shown(part.guidance)
        if shown:
            say("\n".join(f"• {line}" for line in shown), "cyan")

    def note(self, part):
        return ask_text(part.message, lambda v: fields.text(v, part.title, required=False),
                        instruction="(kan springes over: tryk Enter)")

    def fit_scores(self, kind):
        title = "FIT: ORS/CORS i starten af mødet" if kind == "outcome" else "FIT: SRS/CSRS sidst i mødet"
        note = parents.shown(self.guide.fit_note, bool(self.case["abuse_path"]))
        if note and kind == "outcome":
            say(note, "dim")
        if not yes(f"{title} – vil du registrere scores?", kind == "outcome"):
            return
        child = fit.instrument_for_age(self.case["age_group"])
        # Whose form comes next, in the order of data/fit.toml: never a parent on the abuse path
        # or when the parents were not there.
        without_parents = bool(self.case["abuse_path"]) or self.parents_present is False
        suggestions = parents.visible(self.guide.fit_respondents or fit_rules().respondents, without_parents)
        if not without_parents:  # the family's own network can fill in a form too (chosen with the family)
            suggestions += [name for name in self.ctx.network() if name not in suggestions]
        defaults = iter(suggestions)
        while True:
            yield ask_fit_score(kind, child, suggestions, next(defaults, ""), fit.child_age(self.case["age_group"]),
                                without_parents)
            say("Gemt.", "green")
            if not yes("Et skema mere?", False):
                return

    def agreement(self, agreement):
        return ask_status_change(agreement, during_meeting=True)

    def position(self):
        rows = self.store.rows("positions", self.case["id"])
        return ask_position(self.guide, rows[-1]["label"] if rows else None, during_meeting=True,
                            parse=lambda raw: followup.parse_position(raw, self.store, self.case, self.guide))

    def new_agreements(self):
        step = Step(id="", kind="agreements", message="", phase_id="")
        ctx = self.ctx
        last: dict = {}
        while yes("Aftalte I nye skridt (en ny aftale)?" if not last else "En aftale mere?", not last):
            item = _until_valid(lambda: ask_agreement(step, ctx, last), lambda raw: wizard.parse_agreement(step, raw, ctx))
            yield item
            last = item
            say("Gemt.", "green")

    def minutes(self):
        return ask_text("Kort referat (kan springes over):", lambda v: fields.text(v, "Referatet", required=False))

    def next_meeting(self, later, suggested):
        label = self.guide.meetings.label
        if later is not None:
            say(f"Næste {label.lower()} er allerede aftalt: {_day(later['day'])}.", "bold")
            if not yes(f"Vil du aftale et {label.lower()} mere?", False):
                return None
        elif not yes(f"Aftal næste {label.lower()} nu?", True):
            return None
        return ask_new_meeting(self.store, self.case, self.guide, suggested)
