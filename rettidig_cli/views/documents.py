"""Builds the content of a document as plain data, from a handleplan (plan.build).

Which purposes exist and which sections each holds is data (data/documents.toml); this module
has one builder per kind of section. The result is format-neutral: one layout, several writers.
`rettidig plan` draws the handleplan on the screen (ui/render.py), the Markdown and Word writers
put the same blocks on paper, and --format json writes them as they are. Where a screen and a
page differ, the blocks say so: on the screen (screen=True) the next command to run is a block,
FIT is drawn as a chart, and nothing is left to write in by hand.

A block is a dict with a "type":
  afsnit      {"tekst"}                          a paragraph
  punkter     {"punkter": [...]}                 a bulleted list
  nummereret  {"punkter": [...]}                 a numbered list
  tabel       {"kolonner": [...], "raekker": [[...]]}  a table with a header row
  udfyld      {"label", "linjer"}                lines to write on by hand
  underskrift {"parter": [...]}                  signature lines: name, date, signature
  kommando    {"label", "kommando"}              the command that does the next step (screen only)
  graf        {"serie": {...}}                   one FIT series as a chart (screen only; fit.series)

A section may carry a "tone" on the screen: "alarm" (the abuse path, what is overdue) or "naeste"
(the next step).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, NamedTuple

from rettidig_cli.domain import dates, fit, privacy
from rettidig_cli.guide import parents
from rettidig_cli.domain.vocabulary import OPEN_AGREEMENT, MeetingState
from rettidig_cli.views.model import Agreement, Meeting, Plan, cleaned
from rettidig_cli.views.plan import duty_command, overdue_sentence
from rettidig_cli.guide.reference import Purpose, document_rules

if TYPE_CHECKING:
    from rettidig_cli.domain.anonymize import Plain, Redactor


def paragraph(text: str) -> dict:
    return {"type": "afsnit", "tekst": text}


def bullets(items: list[str]) -> dict:
    return {"type": "punkter", "punkter": items}


def table(columns: list[str], rows: list[list[str]]) -> dict:
    return {"type": "tabel", "kolonner": columns, "raekker": rows}


def write_in(label: str, lines: int = 3) -> dict:
    return {"type": "udfyld", "label": label, "linjer": lines}


def command(label: str, text: str) -> dict:
    return {"type": "kommando", "label": label, "kommando": text}


# How the screen marks a section, by its source.
_TONES = {"safety": "alarm", "overdue": "alarm", "next_step": "naeste"}


def _without_empty(block: dict, *optional: str) -> dict:
    """Leave out optional columns that are empty in every row: a printed page has little room."""
    keep = [i for i, name in enumerate(block["kolonner"])
            if name not in optional or any(row[i] for row in block["raekker"])]
    return table([block["kolonner"][i] for i in keep], [[row[i] for i in keep] for row in block["raekker"]])


def clean(value):
    """Every string that reaches a document: control characters and escape sequences removed."""
    return cleaned(value, privacy.printable)


def redactor_for(plan: Plan, purpose: Purpose, marked: list[str] = ()) -> Redactor | Plain:
    from rettidig_cli.domain.anonymize import Plain, Redactor  # its word lists: only when a document is made

    if not purpose.anonymous:
        return Plain()
    return Redactor(document_rules().anonymous, plan.child.name, person_fields(plan), marked)


def calendar_redactor(plan: Plan) -> Redactor:
    """Calendars sync to the cloud: the child's and the parents' names are replaced, dates kept.
    A parent is whoever gave consent, and any name field that mentions mor, far or forældre."""
    from rettidig_cli.domain.anonymize import Redactor

    parent_names = [c.name or "" for c in plan.parents.consents]
    parent_names += [f for f in person_fields(plan) if parents.names_a_parent(f)]
    return Redactor(document_rules().anonymous, plan.child.name, parent_names, exact_dates=True)


def person_fields(plan: Plan) -> list[str]:
    """Every field of a case that holds the name of a person: parents, staff and others."""
    fields = [a.who for a in plan.agreements] + [o.who for o in plan.observations]
    fields += [c.name or "" for c in plan.parents.consents]
    for m in plan.meetings():
        fields += m.participants + (m.attended or [])
    fields += [e.name for e in plan.tovholders]
    fields += [u.recipient for u in plan.underretninger]
    fields += [p["hvem"] for p in plan.fit]
    fields += list(plan.network)  # the family's own network: as personal as the parents' names
    return fields


class ShownSection(NamedTuple):
    """A section of data/documents.toml as one case may see it (see parents.shown)."""

    heading: str
    source: str
    help: str
    topic: str
    parties: tuple[str, ...]
    write_in: str  # data's label for the lines to write on (documents.toml or the guide)


def build(plan: Plan, purpose: Purpose, today: dt.date, redactor=None, meeting: Meeting | None = None,
          screen: bool = False) -> dict:
    """The document for one purpose. `meeting` is the status meeting a statusmøde document is for;
    `screen`: for the terminal rather than a page (see the module's docstring)."""
    r = redactor or redactor_for(plan, purpose)
    builder = _Builder(clean(plan), purpose, today, r, clean(meeting), screen)
    abuse = builder.abuse
    sections = []
    for section in purpose.sections:
        if abuse and section.parent_contact:
            continue  # the parents' part: never on the abuse path
        spec = ShownSection(section.heading, section.source, parents.shown(section.help, abuse) or "", section.topic,
                            tuple(parents.visible(section.parties, abuse)), section.write_in)
        blocks = getattr(builder, spec.source)(spec)
        if blocks:
            sections.append({"overskrift": spec.heading, "blokke": blocks,
                             **({"tone": _TONES.get(spec.source, "")} if screen else {})})
    code = plan.code
    month = r.day(today.isoformat()) if r.anonymous else ""  # an anonymous document knows only the month
    return {
        "formaal": purpose.id,
        "titel": purpose.title,
        "hoved": f"{purpose.title} · {month}" if r.anonymous else f"Sag {code} · {purpose.title}",
        "undertitel": "" if r.anonymous else plan.guide.name,
        "indledning": parents.shown(purpose.intro, abuse) or "",
        "felter": [[label, value] for label, value in builder.meta() if value],
        "afsnit": sections,
        "kilde": "" if r.anonymous else plan.guide.source,
        "anonym": r.anonymous,
        "sag": None if r.anonymous else code,
        "udskrevet": month or today.isoformat(),
    }


class _Builder:
    def __init__(self, plan: Plan, purpose: Purpose, today: dt.date, r, meeting: Meeting | None, screen: bool):
        self.plan, self.purpose, self.today, self.r = plan, purpose, today, r
        self.meeting, self.screen = meeting, screen
        self.abuse = plan.abuse_path

    # ------------------------------------------------------------ helpers

    def t(self, value) -> str:
        return self.r.text(value)

    def day(self, iso) -> str:
        return self.r.day(iso)

    def _titled(self, role: str) -> list[dict]:
        items = self.plan.texts_of(role)
        if len(items) == 1:
            return [paragraph(self.t(items[0].text))]
        return [paragraph(f"{x.title}: {self.t(x.text)}") for x in items]

    def _status(self, a: Agreement) -> str:
        late = " (overskredet)" if a.overdue else ""
        return a.status + late

    def _last_note(self, a: Agreement) -> str:
        note = a.latest_note()
        return f"{self.r.short(note.day)}: {self.t(note.note)}" if note else ""

    def _time(self, m: Meeting) -> str:
        return dates.clock(m.time)

    @staticmethod
    def _compact(iso) -> str:
        """'tir. 3. mar. 2026'; a stored value that is not a date (written by hand) as it is."""
        try:
            return dates.format_compact(dates.from_iso(iso))
        except (TypeError, ValueError):
            return dates.format_iso(iso, short=True)

    # ------------------------------------------------------------ the fields at the top

    def meta(self) -> list[tuple[str, str]]:
        p = self.plan
        child, tov = p.child, p.tovholder
        values = {
            "child": ("Barn", f"{child.shown_name('')} ({child.age_group}, {child.setting})"),
            "tovholder": ("Tovholder", (tov.name + (f" ({tov.role})" if tov.role else "")) if tov else "ikke valgt endnu"),
            "phase": ("Fase", "Alle faser er gennemgået" if p.done
                      else f"{p.phase.number} af {p.phase.count}: {p.phase.title}"),
            "position": ("Børnelinealen", f"{self.t(p.position.label)} ({self.day(p.position.day)})"
                         if p.position else ""),
            "created": ("Oprettet", self.day(p.created)),
            "printed": ("Udskrevet", dates.format_date(self.today)),
            "meeting": ("Møde", self._meeting_title(self.meeting)),
            "age": ("Alder", child.age_group),
            "setting": ("Tilbud", self.t(child.setting)),
            "period": ("Forløb", f"siden {self.day(p.created)}"),
            "printed_month": ("Udskrevet", self.day(self.today.isoformat())),
        }
        shown = [name for name in self.purpose.meta if not (self.screen and name in ("printed", "printed_month"))]
        rows = [values[name] for name in shown]
        if p.closed and not self.r.anonymous:
            rows.append(("Lukket", f"{self.day(p.closed.day)}: {p.closed.reason}"))
        return rows

    def _meeting_title(self, m: Meeting | None) -> str:
        if not m:
            return "Intet statusmøde er planlagt – datoen aftales"
        return f"{m.kind} nr. {m.nr}, {self.day(m.day)} {self._time(m)}".strip()

    # ------------------------------------------------------------ the handleplan

    def safety(self, spec):
        if not self.abuse:
            return []
        blocks = [paragraph(self.plan.safety_rule)]
        if not self.plan.underretninger:
            return blocks + [paragraph("Ingen underretning er registreret – lav den nu.")]
        return blocks + [bullets([
            f"Underretning {self.day(u.day)} til {self.t(u.recipient)} ({self.t(u.method)}); "
            + ("lederen er informeret." if u.leader_informed else "lederen er IKKE informeret endnu.")
            for u in self.plan.underretninger])]

    def underretninger(self, spec):
        """An underretning made at a step of the guide, without a suspicion of violence or abuse
        (on the abuse path the safety section shows them)."""
        if self.abuse or not self.plan.underretninger:
            return []
        return [bullets([f"{self.day(u.day)} til {self.t(u.recipient)} ({self.t(u.method)}); "
                         + ("lederen er informeret." if u.leader_informed else "lederen er ikke informeret endnu.")
                         for u in self.plan.underretninger])]

    def overdue(self, spec):
        duties = self.plan.overdue()
        if self.screen:  # each with the command that does it (a printed plan has no commands)
            blocks = []
            for duty in duties:
                blocks.append(paragraph(self.t(overdue_sentence(duty))))
                how = duty_command(duty, self.plan.code)
                if how:
                    blocks.append(command("Gør det med", how))
            return blocks
        return [bullets([self.t(overdue_sentence(d)) for d in duties])] if duties else []

    def concern(self, spec):
        items = [paragraph(self.t(x)) for x in self.plan.concern]
        return items or ([write_in(spec.help)] if spec.help else [])

    def observations(self, spec):
        p = self.plan
        obs = p.observations
        deadline = ([paragraph(f"Frist for iagttagelser: {self.day(p.observation_deadline)}.")]
                    if p.observation_deadline and not p.observations_done and not p.closed else [])
        if not obs:
            return [paragraph("Der er ikke registreret observationer endnu."), *deadline]
        if self.r.anonymous:
            return [table(["Hvornår", "Hvad", "Metode"],
                          [[self.day(o.day), self.t(o.what), self.t(o.method)] for o in obs])]
        return [table(["Dato", "Hvad", "Metode", "Hvem"],
                      [[dates.format_iso(o.day, short=True), o.what, o.method, o.who] for o in obs]), *deadline]

    def factors(self, spec):
        rows = [[f.kind, self.t(f.text)] for f in self.plan.factors]
        return [table(["Slags", "Hvad"], rows)] if rows else []

    def perspectives(self, spec):
        blocks = []
        for x in self.plan.texts:
            if x.role in ("concern", "parents_view"):
                continue  # the concern has its own section, the parents' view is under "Forældrenes del"
            blocks.append(paragraph(f"{x.title}: {self.t(x.text)}"))
        return blocks

    def decisions(self, spec):
        blocks = []
        for d in self.plan.decisions:
            line = f"{d.title}: {', '.join(d.choices)} ({self.day(d.day)})"
            if d.earlier:
                line += f"; tidligere: {', '.join(x.choice for x in d.earlier)}"
            if d.reason:
                line += f". Begrundelse: {self.t(d.reason)}"
            blocks.append(paragraph(line))
            if d.meaning:
                blocks.append(bullets(d.meaning))
        return blocks

    def agreements(self, spec):
        rows = [[str(a.nr), a.what + self._history(a), a.who, dates.format_iso(a.due, short=True), self._status(a)]
                for a in self.plan.agreements]
        if not rows:
            return [paragraph("Der er ingen aftaler endnu.")]
        return [table(["Nr.", "Hvad", "Hvem", "Senest", "Status"], rows)]

    def _history(self, a: Agreement) -> str:
        """An agreement's changes under its text, one line each: what was done, and when."""
        if not a.history:
            return ""
        steps = [f"{self.r.short(a.agreed)}: aftalt"] + [
            f"{self.r.short(e.day)}: {e.status}" + (f" – {self.t(e.note)}" if e.note else "") for e in a.history]
        return "\n" + "\n".join(steps)

    def meetings(self, spec):
        rows = []
        # One table for the status meetings and the guide's other meetings: in the order they fall.
        for m in sorted(self.plan.meetings(), key=lambda m: (m.held_on or m.day, m.time or "", m.nr)):
            state = m.status
            if m.cancel_reason:
                state += f": {m.cancel_reason}"
            when = self._compact(m.held_on or m.day)  # a meeting is where it was held
            if m.held_on and m.held_on != m.day:
                when += f"\nplanlagt til {dates.format_iso(m.day, short=True)}"
            elif m.moved_from:
                when += f"\nflyttet fra {dates.format_iso(m.moved_from, short=True)}" + (f": {m.reason}" if m.reason else "")
            people = ", ".join(m.people())
            if m.parents_present is False and not self.abuse:
                people += f"\nForældrene deltog ikke: {m.absence_reason}"
            if m.minutes and not self.r.anonymous:
                people += f"\nReferat: {m.minutes}"
            rows.append([str(m.nr), when, self._time(m), m.kind, people, state])
        if not rows:
            return [paragraph("Der er ingen møder planlagt endnu.")]
        return [table(["Nr.", "Dato", "Tid", "Møde", "Deltagere", "Status"], rows)]

    def fit(self, spec):
        rows, warnings = [], []
        for e in self.plan.fit:
            scores = " → ".join(fit.format_score(p["total"]) for p in e["punkter"] if p["total"] is not None)
            notes = [self.t(p["note"]) for p in e["punkter"] if p["note"]]
            rows.append([e["skema"], self.t(e["hvem"]), scores or "; ".join(notes),
                         f"{self.r.short(e['punkter'][0]['dato'])} – {self.r.short(e['punkter'][-1]['dato'])}"
                         if len(e["punkter"]) > 1 else self.r.short(e["punkter"][0]["dato"]),
                         fit.format_score(e["graense"]) if e["graense"] is not None else "",
                         e["vurdering"]])
            warnings += [self.t(w) for w in e["advarsler"]]
        if not rows:
            return []
        if self.screen:
            blocks = [{"type": "graf", "serie": e} for e in self.plan.fit]
        else:
            blocks = [table(["Skema", "Hvem", "Score", "Periode", "Grænse", "Vurdering"], rows)]
        return blocks + ([bullets(warnings)] if warnings else [])

    def ruler(self, spec):
        history = self.plan.ruler.history
        if not history:
            return []
        scale = " → ".join(p.label for p in self.plan.ruler.steps)
        rows = [[self.r.short(h.day), h.label, self.t(h.reason)] for h in history]
        return [paragraph(f"Trinene: {scale}."), table(["Dato", "Placering", "Begrundelse"], rows)]

    def parents(self, spec):
        blocks = [paragraph(f"{x.title}: {x.text}") for x in self.plan.parents.views]
        if self.plan.network and not self.r.anonymous:  # chosen with the family: their part, never on the abuse path
            blocks.append(paragraph(f"Familiens netværk: {', '.join(self.plan.network)}"))
        consents = [f"{c.title}: {c.answer}" + (f" – {c.name}" if c.name else "")
                    + (f", {dates.format_iso(c.day)}" if c.day else "")
                    for c in self.plan.parents.consents]
        return blocks + ([bullets(consents)] if consents else [])

    def next_step(self, spec):
        nxt, code = self.plan.next_step, self.plan.code
        if self.plan.closed:
            if self.screen:
                return [paragraph("Sagen er lukket og står ikke i den daglige oversigt."),
                        command("Genåbn den med", f"rettidig genåbn {code}")]
            return [paragraph("Sagen er lukket.")]
        blocks = [paragraph(f"{nxt.phase}: {nxt.step}" if nxt.phase
                            else (nxt.step or "Følg op på aftalerne på statusmøderne."))]
        if nxt.guidance:
            blocks.append(bullets(nxt.guidance))
        if nxt.phase and self.screen:
            blocks.append(command("Fortsæt med", f"rettidig resume {code}"))
        if self.plan.child.anonymous and self.screen:
            blocks.append(paragraph("Barnet drøftes anonymt. Underretningen handler om et bestemt barn: giv sagen "
                                    "barnets navn." if self.abuse else
                                    "Barnet drøftes anonymt. Når forældrene giver samtykke, giver du sagen barnets navn."))
            blocks.append(command("Giv sagen navn med", f"rettidig navngiv {code}"))
        status = self.plan.next_status_meeting
        if status:
            blocks.append(paragraph(f"Næste {status.kind.lower()}: {dates.format_iso(status.day)} {self._time(status)}."))
            if self.screen:
                blocks.append(command("Hold det med", f"rettidig møde hold {code}"))
        return blocks

    def sparring(self, spec):
        return [bullets(self.plan.sparring)] if self.plan.sparring else []

    def signature(self, spec):
        blocks = [paragraph(spec.help)] if spec.help else []
        lines = [] if self.screen else [{"type": "underskrift", "parter": list(spec.parties)}]  # paper is signed
        if self.abuse:
            blocks.append(paragraph("Der er ingen underskrift fra forældrene: der er mistanke om vold eller overgreb."))
            return blocks + lines if spec.parties else blocks
        signed = self.plan.parents.signature
        if signed and signed.answer == "ja":
            who = f" af {signed.name}" if signed.name else ""
            when = f" {dates.format_iso(signed.day)}" if signed.day else ""
            blocks.append(paragraph(f"Registreret som underskrevet{who}{when}."))
        elif self.screen:
            blocks.append(paragraph("Handleplanen er ikke underskrevet af forældrene endnu."))
        return blocks + lines

    # ------------------------------------------------------------ the closing

    def closing(self, spec):
        """The closing summary (the day and the reason stand in the document's head, «Lukket»)."""
        closed = self.plan.closed
        if closed is None:
            return [paragraph("Sagen er ikke lukket endnu."), write_in(spec.write_in or "Opsummering af forløbet")]
        if closed.summary:
            return [paragraph(self.t(closed.summary))]
        return [write_in(spec.write_in)] if spec.write_in else [paragraph("Der er ikke skrevet en opsummering.")]

    # ------------------------------------------------------------ a request for a meeting

    def tried(self, spec):
        blocks = [paragraph(spec.help)] if spec.help else []
        agreements = self.plan.agreements
        if not agreements:
            return blocks + [write_in(spec.write_in)]
        if self.r.anonymous:
            rows = [[self.t(a.what), a.status, self._last_note(a)] for a in agreements]
            return blocks + [_without_empty(table(["Hvad", "Status", "Seneste bemærkning"], rows), "Seneste bemærkning")]
        rows = [[a.what, a.who, dates.format_iso(a.agreed, short=True), a.status, self._last_note(a)]
                for a in agreements]
        return blocks + [_without_empty(table(["Hvad", "Hvem", "Aftalt", "Status", "Seneste bemærkning"], rows),
                                        "Seneste bemærkning")]

    def parents_view(self, spec):
        return self._titled("parents_view") or [write_in(spec.write_in)]

    def child_view(self, spec):
        return self._titled("child_view") or [write_in(spec.write_in)]

    def analysis(self, spec):
        return self._titled("analysis")

    def meeting_question(self, spec):
        return self._titled("meeting_question") or [write_in(spec.write_in)]

    def question_for_team(self, spec):
        return self.meeting_question(spec)

    def wished_participants(self, spec):
        blocks = self._titled("wished_participants")
        if not blocks:
            # Else whoever is invited to the next meeting that is not a status meeting.
            planned = next((m for m in self.plan.other_meetings if m.status == MeetingState.PLANNED), None)
            if planned and planned.participants:
                blocks = [paragraph(", ".join(planned.participants))]
        return blocks or [write_in(spec.write_in, 2)]

    def consent(self, spec):
        """The parents' consent named by the section's topic (a consent step in the guide)."""
        given = next((c for c in reversed(self.plan.parents.consents) if c.topic == spec.topic), None)
        if given:
            who = f", givet af {given.name}" if given.name else ""
            when = f" {dates.format_iso(given.day)}" if given.day else ""
            return [paragraph(f"{given.title}: {given.answer}{who}{when}.")]
        return [paragraph(f"Samtykke er ikke registreret. {spec.help}".strip()), write_in(spec.write_in, 1)]

    def request_signature(self, spec):
        return [{"type": "underskrift", "parter": list(spec.parties)}]

    # ------------------------------------------------------------ the status meeting

    def agenda(self, spec):
        # A document's own agenda, else the guide's status meeting as `møde hold` walks it.
        agenda = self.purpose.agenda or self.plan.meeting_agenda
        return [{"type": "nummereret", "punkter": list(agenda)}] if agenda else []

    def attendance(self, spec):
        names = self.meeting.participants if self.meeting else []
        rows = [[n, ""] for n in names] + [["", ""] for _ in range(2)]
        return [table(["Navn", "Til stede"], rows)]

    def review(self, spec):
        open_ones = [a for a in self.plan.agreements if a.status in OPEN_AGREEMENT]
        if not open_ones:
            return [paragraph("Der er ingen åbne aftaler.")]
        rows = [[str(a.nr), a.what, a.who, dates.format_iso(a.due, short=True), self._status(a), ""]
                for a in open_ones]
        return [table(["Nr.", "Hvad", "Hvem", "Senest", "Status nu", "Ny status / bemærkning"], rows)]

    def latest_fit(self, spec):
        if not self.plan.fit_used and not self.plan.fit:
            return []  # a guide without FIT
        rows = []
        for e in self.plan.fit:
            last = e["punkter"][-1]
            score = fit.format_score(last["total"]) if last["total"] is not None else self.t(last["note"])
            rows.append([e["skema"], e["hvem"], dates.format_iso(last["dato"], short=True), score,
                         fit.format_score(e["graense"]) if e["graense"] is not None else "", e["vurdering"]])
        if not rows:
            return [paragraph("Der er ingen FIT-målinger endnu.")]
        return [table(["Skema", "Hvem", "Dato", "Score", "Grænse", "Vurdering"], rows)]

    def position_now(self, spec):
        if not self.plan.ruler.steps:
            return []  # a guide without a Børnelineal
        now = self.plan.position
        text = (f"Nu: {now.label} (siden {dates.format_iso(now.day)})"
                + (f". {now.reason}" if now.reason else "") if now
                else "Barnet er ikke placeret på Børnelinealen endnu.")
        return [paragraph(text), write_in(spec.write_in, 2)]

    def new_agreements(self, spec):
        return [table(["Hvad", "Hvem", "Senest"], [["", "", ""] for _ in range(4)])]

    def minutes(self, spec):
        return [write_in(spec.write_in, 6)]

    def next_meeting(self, spec):
        current = self.meeting
        later = [m for m in self.plan.status_meetings if m.status == MeetingState.PLANNED
                 and (current is None or (m.day, m.nr) > (current.day, current.nr))]
        if later:
            return [paragraph(f"{self._meeting_title(later[0])}.")]
        return [write_in(spec.write_in, 1)]
