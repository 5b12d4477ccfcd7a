"""Builds the content of an exported document as plain data, from a handleplan (plan.build).

Which purposes exist and which sections each holds is data (data/documents.toml); this module
has one builder per kind of section. The result is format-neutral: the Markdown and Word
writers lay out the same blocks, and --format json writes them as they are.

A block is a dict with a "type":
  afsnit      {"tekst"}                          a paragraph
  punkter     {"punkter": [...]}                 a bulleted list
  nummereret  {"punkter": [...]}                 a numbered list
  tabel       {"kolonner": [...], "raekker": [[...]]}  a table with a header row
  udfyld      {"label", "linjer"}                lines to write on by hand
  underskrift {"parter": [...]}                  signature lines: name, date, signature
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rettidig_cli import dates, fit, parents, privacy
from rettidig_cli.vocabulary import OPEN_AGREEMENT, MeetingState
from rettidig_cli.anonymize import Plain, Redactor
from rettidig_cli.reference import Purpose, document_rules



def paragraph(text: str) -> dict:
    return {"type": "afsnit", "tekst": text}


def bullets(items: list[str]) -> dict:
    return {"type": "punkter", "punkter": items}


def table(columns: list[str], rows: list[list[str]]) -> dict:
    return {"type": "tabel", "kolonner": columns, "raekker": rows}


def write_in(label: str, lines: int = 3) -> dict:
    return {"type": "udfyld", "label": label, "linjer": lines}


def _without_empty(block: dict, *optional: str) -> dict:
    """Leave out optional columns that are empty in every row: a printed page has little room."""
    keep = [i for i, name in enumerate(block["kolonner"])
            if name not in optional or any(row[i] for row in block["raekker"])]
    return table([block["kolonner"][i] for i in keep], [[row[i] for i in keep] for row in block["raekker"]])


def latest_note(agreement: dict) -> dict | None:
    """The agreement's most recent change that came with a note, if any."""
    return next((e for e in reversed(agreement["historik"]) if e["note"]), None)


def clean(value):
    """Every string that reaches a document: control characters and escape sequences removed."""
    if isinstance(value, str):
        return privacy.printable(value)
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    return value


def redactor_for(plan: dict, purpose: Purpose, marked: list[str] = ()) -> Redactor | Plain:
    if not purpose.anonymous:
        return Plain()
    return Redactor(document_rules().anonymous, plan["barn"]["navn"], person_fields(plan), marked)


def calendar_redactor(plan: dict) -> Redactor:
    """Calendars sync to the cloud: the child's and the parents' names are replaced, dates kept.
    A parent is whoever gave consent, and any name field that mentions mor, far or forældre."""
    parent_names = [c["navn"] or "" for c in plan["foraeldre"]["samtykker"]]
    parent_names += [f for f in person_fields(plan) if parents.names_a_parent(f)]
    return Redactor(document_rules().anonymous, plan["barn"]["navn"], parent_names, exact_dates=True)


def person_fields(plan: dict) -> list[str]:
    """Every field of a case that holds the name of a person: parents, staff and others."""
    fields = [a["hvem"] for a in plan["aftaler"]] + [o["hvem"] for o in plan["observationer"]]
    fields += [c["navn"] or "" for c in plan["foraeldre"]["samtykker"]]
    for m in plan["statusmoeder"] + plan["andre_moeder"]:
        fields += m["deltagere"] + (m["deltog"] or [])
    fields += [e["navn"] for e in plan["tovholdere"]]
    fields += [u["modtager"] for u in plan["underretninger"]]
    fields += [p["hvem"] for p in plan["fit"]]
    return fields


@dataclass(frozen=True)
class ShownSection:
    """A section of data/documents.toml as one case may see it (see parents.shown)."""

    heading: str
    source: str
    help: str
    topic: str
    parties: tuple[str, ...]


def build(plan: dict, purpose: Purpose, today: dt.date, redactor=None, meeting: dict | None = None) -> dict:
    """The document for one purpose. `meeting` is the status meeting a statusmøde document is for."""
    r = redactor or redactor_for(plan, purpose)
    builder = _Builder(clean(plan), purpose, today, r, clean(meeting))
    abuse = builder.abuse
    sections = []
    for section in purpose.sections:
        if abuse and section.parent_contact:
            continue  # the parents' part: never on the abuse path
        spec = ShownSection(section.heading, section.source, parents.shown(section.help, abuse) or "", section.topic,
                            tuple(parents.visible(section.parties, abuse)))
        blocks = getattr(builder, spec.source)(spec)
        if blocks:
            sections.append({"overskrift": spec.heading, "blokke": blocks})
    code = plan["kode"]
    month = r.day(today.isoformat()) if r.anonymous else ""  # an anonymous document knows only the month
    return {
        "formaal": purpose.id,
        "titel": purpose.title,
        "hoved": f"{purpose.title} · {month}" if r.anonymous else f"Sag {code} · {purpose.title}",
        "undertitel": "" if r.anonymous else plan["guide"]["navn"],
        "indledning": parents.shown(purpose.intro, abuse) or "",
        "felter": [[label, value] for label, value in builder.meta() if value],
        "afsnit": sections,
        "kilde": "" if r.anonymous else plan["guide"]["kilde"],
        "anonym": r.anonymous,
        "sag": None if r.anonymous else code,
        "udskrevet": month or today.isoformat(),
    }


class _Builder:
    def __init__(self, plan: dict, purpose: Purpose, today: dt.date, r, meeting: dict | None):
        self.plan, self.purpose, self.today, self.r = plan, purpose, today, r
        self.meeting = meeting
        self.abuse = plan["mistanke_om_vold_eller_overgreb"]

    # ------------------------------------------------------------ helpers

    def t(self, value) -> str:
        return self.r.text(value)

    def day(self, iso) -> str:
        return self.r.day(iso)

    def texts(self, role: str) -> list[dict]:
        return [x for x in self.plan["tekster"] if x["rolle"] == role]

    def _titled(self, role: str) -> list[dict]:
        items = self.texts(role)
        if len(items) == 1:
            return [paragraph(self.t(items[0]["tekst"]))]
        return [paragraph(f"{x['titel']}: {self.t(x['tekst'])}") for x in items]

    def _status(self, a: dict) -> str:
        late = " (overskredet)" if a["overskredet"] else ""
        return a["status"] + late

    def _last_note(self, a: dict) -> str:
        note = latest_note(a)
        return f"{self.r.short(note['dato'])}: {self.t(note['note'])}" if note else ""

    def _time(self, m: dict) -> str:
        return f"kl. {m['tidspunkt'].replace(':', '.')}" if m["tidspunkt"] else ""

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
        child, tov = p["barn"], p["tovholder"]
        values = {
            "child": ("Barn", f"{child['navn']} ({child['aldersgruppe']}, {child['tilbud']})"),
            "tovholder": ("Tovholder", (tov["navn"] + (f" ({tov['rolle']})" if tov["rolle"] else ""))
                          if tov else "ikke valgt endnu"),
            "phase": ("Fase", "alle faser er gennemgået" if p["faerdig"]
                      else f"{p['fase']['nummer']} af {p['fase']['antal']}: {p['fase']['titel']}"),
            "position": ("Børnelinealen", f"{self.t(p['placering']['label'])} ({self.day(p['placering']['dato'])})"
                         if p["placering"] else ""),
            "created": ("Oprettet", self.day(p["oprettet"])),
            "printed": ("Udskrevet", dates.format_date(self.today)),
            "meeting": ("Møde", self._meeting_title(self.meeting)),
            "age": ("Alder", child["aldersgruppe"]),
            "setting": ("Tilbud", self.t(child["tilbud"])),
            "period": ("Forløb", f"siden {self.day(p['oprettet'])}"),
            "printed_month": ("Udskrevet", self.day(self.today.isoformat())),
        }
        rows = [values[name] for name in self.purpose.meta]
        if p["lukket"] and not self.r.anonymous:
            rows.append(("Lukket", f"{self.day(p['lukket']['dato'])}: {p['lukket']['grund']}"))
        return rows

    def _meeting_title(self, m: dict | None) -> str:
        if not m:
            return "Intet statusmøde er planlagt – datoen aftales"
        return f"{m['type']} nr. {m['nr']}, {self.day(m['dato'])} {self._time(m)}".strip()

    # ------------------------------------------------------------ the handleplan

    def safety(self, spec):
        if not self.abuse:
            return []
        blocks = [paragraph(self.plan["sikkerhedsregel"])]
        blocks += [bullets([
            f"Underretning {self.day(u['dato'])} til {self.t(u['modtager'])} ({self.t(u['hvordan'])}); "
            + ("lederen er informeret." if u["leder_informeret"] else "lederen er IKKE informeret endnu.")
            for u in self.plan["underretninger"]])] if self.plan["underretninger"] else []
        return blocks

    def overdue(self, spec):
        return [bullets([self.t(x) for x in self.plan["forsinket"]])] if self.plan["forsinket"] else []

    def concern(self, spec):
        items = [paragraph(self.t(x)) for x in self.plan["bekymring"]]
        return items or ([write_in(spec.help)] if spec.help else [])

    def observations(self, spec):
        obs = self.plan["observationer"]
        if not obs:
            return [paragraph("Der er ikke registreret observationer endnu.")]
        if self.r.anonymous:
            return [table(["Hvornår", "Hvad", "Metode"],
                          [[self.day(o["dato"]), self.t(o["hvad"]), self.t(o["metode"])] for o in obs])]
        return [table(["Dato", "Hvad", "Metode", "Hvem"],
                      [[dates.format_iso(o["dato"], short=True), o["hvad"], o["metode"], o["hvem"]] for o in obs])]

    def factors(self, spec):
        rows = [[f["type"], self.t(f["tekst"])] for f in self.plan["faktorer"]]
        return [table(["Slags", "Hvad"], rows)] if rows else []

    def perspectives(self, spec):
        blocks = []
        for x in self.plan["tekster"]:
            if x["rolle"] in ("concern", "parents_view"):
                continue  # the concern has its own section, the parents' view is under "Forældrenes del"
            blocks.append(paragraph(f"{x['titel']}: {self.t(x['tekst'])}"))
        return blocks

    def decisions(self, spec):
        blocks = []
        for d in self.plan["beslutninger"]:
            line = f"{d['titel']}: {', '.join(d['valg'])} ({self.day(d['dato'])})"
            if d["tidligere"]:
                line += f"; tidligere: {', '.join(x['valg'] for x in d['tidligere'])}"
            if d["begrundelse"]:
                line += f". Begrundelse: {self.t(d['begrundelse'])}"
            blocks.append(paragraph(line))
            if d["betydning"]:
                blocks.append(bullets(d["betydning"]))
        return blocks

    def agreements(self, spec):
        rows = [[str(a["nr"]), a["hvad"], a["hvem"], dates.format_iso(a["senest"], short=True), self._status(a),
                 self._last_note(a)] for a in self.plan["aftaler"]]
        if not rows:
            return [paragraph("Der er ingen aftaler endnu.")]
        return [_without_empty(table(["Nr.", "Hvad", "Hvem", "Senest", "Status", "Seneste bemærkning"], rows),
                               "Seneste bemærkning")]

    def meetings(self, spec):
        rows = []
        for m in self.plan["statusmoeder"] + self.plan["andre_moeder"]:
            kind = m["type"]
            state = m["status"]
            if m["holdt_dato"] and m["holdt_dato"] != m["dato"]:
                state += f" ({dates.format_iso(m['holdt_dato'], short=True)})"
            if m["aflyst_grund"]:
                state += f": {m['aflyst_grund']}"
            who = ", ".join(m["deltog"] if m["deltog"] is not None else m["deltagere"])
            rows.append([self._compact(m["dato"]), self._time(m), kind, who, state])
        if not rows:
            return [paragraph("Der er ingen møder planlagt endnu.")]
        return [table(["Dato", "Tid", "Møde", "Deltagere", "Status"], rows)]

    def fit(self, spec):
        rows, warnings = [], []
        for e in self.plan["fit"]:
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
        blocks = [table(["Skema", "Hvem", "Score", "Periode", "Grænse", "Vurdering"], rows)]
        return blocks + ([bullets(warnings)] if warnings else [])

    def ruler(self, spec):
        history = self.plan["linealen"]["historik"]
        if not history:
            return []
        scale = " → ".join(p["label"] for p in self.plan["linealen"]["trin"])
        rows = [[self.r.short(h["dato"]), h["label"], self.t(h["begrundelse"])] for h in history]
        return [paragraph(f"Trinene: {scale}."), table(["Dato", "Placering", "Begrundelse"], rows)]

    def parents(self, spec):
        blocks = [paragraph(f"{x['titel']}: {x['tekst']}") for x in self.plan["foraeldre"]["perspektiv"]]
        consents = [f"{c['titel']}: {c['svar']}" + (f" – {c['navn']}" if c["navn"] else "")
                    + (f", {dates.format_iso(c['dato'])}" if c["dato"] else "")
                    for c in self.plan["foraeldre"]["samtykker"]]
        return blocks + ([bullets(consents)] if consents else [])

    def next_step(self, spec):
        nxt = self.plan["naeste_skridt"]
        if self.plan["lukket"]:
            return [paragraph("Sagen er lukket.")]
        blocks = [paragraph(f"{nxt['fase']}: {nxt['trin']}" if nxt["fase"] else (nxt["trin"] or ""))]
        if nxt["vejledning"]:
            blocks.append(bullets(nxt["vejledning"]))
        status = self.plan["naeste_statusmoede"]
        if status:
            blocks.append(paragraph(f"Næste statusmøde: {dates.format_iso(status['dato'])} {self._time(status)}."))
        return blocks

    def sparring(self, spec):
        return [bullets(self.plan["sparring"])] if self.plan["sparring"] else []

    def signature(self, spec):
        blocks = [paragraph(spec.help)] if spec.help else []
        if self.abuse:
            blocks.append(paragraph("Der er ingen underskrift fra forældrene: der er mistanke om vold eller overgreb."))
            return blocks + [{"type": "underskrift", "parter": list(spec.parties)}] if spec.parties else blocks
        signed = self.plan["foraeldre"]["underskrift"]
        if signed and signed["svar"] == "ja":
            who = f" af {signed['navn']}" if signed["navn"] else ""
            when = f" {dates.format_iso(signed['dato'])}" if signed["dato"] else ""
            blocks.append(paragraph(f"Registreret som underskrevet{who}{when}."))
        return blocks + [{"type": "underskrift", "parter": list(spec.parties)}]

    # ------------------------------------------------------------ a request for a meeting

    def tried(self, spec):
        blocks = [paragraph(spec.help)] if spec.help else []
        agreements = self.plan["aftaler"]
        if not agreements:
            return blocks + [write_in("Hvad er afprøvet?")]
        if self.r.anonymous:
            rows = [[self.t(a["hvad"]), a["status"], self._last_note(a)] for a in agreements]
            return blocks + [_without_empty(table(["Hvad", "Status", "Seneste bemærkning"], rows), "Seneste bemærkning")]
        rows = [[a["hvad"], a["hvem"], dates.format_iso(a["aftalt"], short=True), a["status"], self._last_note(a)]
                for a in agreements]
        return blocks + [_without_empty(table(["Hvad", "Hvem", "Aftalt", "Status", "Seneste bemærkning"], rows),
                                        "Seneste bemærkning")]

    def parents_view(self, spec):
        return self._titled("parents_view") or [write_in("Hvordan oplever forældrene barnet og bekymringen?")]

    def child_view(self, spec):
        return self._titled("child_view") or [write_in("Hvad siger og viser barnet selv?")]

    def analysis(self, spec):
        return self._titled("analysis")

    def meeting_question(self, spec):
        return self._titled("meeting_question") or [write_in(spec.help or "Spørgsmål til mødet")]

    def question_for_team(self, spec):
        return self.meeting_question(spec)

    def wished_participants(self, spec):
        blocks = self._titled("wished_participants")
        if not blocks:
            # Else whoever is invited to the next meeting that is not a status meeting.
            planned = next((m for m in self.plan["andre_moeder"] if m["status"] == MeetingState.PLANNED), None)
            if planned and planned["deltagere"]:
                blocks = [paragraph(", ".join(planned["deltagere"]))]
        return blocks or [write_in("Hvem ønsker I med på mødet (fx PPR, sundhedsplejerske, socialfaglig medarbejder)?", 2)]

    def consent(self, spec):
        """The parents' consent named by the section's topic (a consent step in the guide)."""
        given = next((c for c in reversed(self.plan["foraeldre"]["samtykker"]) if c["emne"] == spec.topic), None)
        if given:
            who = f", givet af {given['navn']}" if given["navn"] else ""
            when = f" {dates.format_iso(given['dato'])}" if given["dato"] else ""
            return [paragraph(f"{given['titel']}: {given['svar']}{who}{when}.")]
        return [paragraph(f"Samtykke er ikke registreret. {spec.help}".strip()), write_in("Samtykke givet af, dato", 1)]

    def request_signature(self, spec):
        return [{"type": "underskrift", "parter": list(spec.parties)}]

    # ------------------------------------------------------------ the status meeting

    def agenda(self, spec):
        return [{"type": "nummereret", "punkter": list(self.purpose.agenda)}] if self.purpose.agenda else []

    def attendance(self, spec):
        names = self.meeting["deltagere"] if self.meeting else []
        rows = [[n, ""] for n in names] + [["", ""] for _ in range(2)]
        return [table(["Navn", "Til stede"], rows)]

    def review(self, spec):
        open_ones = [a for a in self.plan["aftaler"] if a["status"] in OPEN_AGREEMENT]
        if not open_ones:
            return [paragraph("Der er ingen åbne aftaler.")]
        rows = [[str(a["nr"]), a["hvad"], a["hvem"], dates.format_iso(a["senest"], short=True), self._status(a), ""]
                for a in open_ones]
        return [table(["Nr.", "Hvad", "Hvem", "Senest", "Status nu", "Ny status / bemærkning"], rows)]

    def latest_fit(self, spec):
        rows = []
        for e in self.plan["fit"]:
            last = e["punkter"][-1]
            score = fit.format_score(last["total"]) if last["total"] is not None else self.t(last["note"])
            rows.append([e["skema"], e["hvem"], dates.format_iso(last["dato"], short=True), score,
                         fit.format_score(e["graense"]) if e["graense"] is not None else "", e["vurdering"]])
        if not rows:
            return [paragraph("Der er ingen FIT-målinger endnu.")]
        return [table(["Skema", "Hvem", "Dato", "Score", "Grænse", "Vurdering"], rows)]

    def position_now(self, spec):
        now = self.plan["placering"]
        text = (f"Nu: {now['label']} (siden {dates.format_iso(now['dato'])})"
                + (f". {now['begrundelse']}" if now["begrundelse"] else "") if now
                else "Barnet er ikke placeret på Børnelinealen endnu.")
        return [paragraph(text), write_in("Ny placering og begrundelse", 2)]

    def new_agreements(self, spec):
        return [table(["Hvad", "Hvem", "Senest"], [["", "", ""] for _ in range(4)])]

    def minutes(self, spec):
        return [write_in("", 6)]

    def next_meeting(self, spec):
        current = self.meeting
        later = [m for m in self.plan["statusmoeder"] if m["status"] == MeetingState.PLANNED
                 and (current is None or (m["dato"], m["nr"]) > (current["dato"], current["nr"]))]
        if later:
            return [paragraph(f"{self._meeting_title(later[0])}.")]
        return [write_in("Dato og tidspunkt for næste statusmøde", 1)]
