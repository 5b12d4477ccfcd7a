"""A whole guide as a readable document, for the municipality's approval meeting: the same
document model the case documents use (documents.build), so the Markdown and Word writers lay it
out. Texts marked `confirm = true` are flagged where they stand and listed at the end."""

from __future__ import annotations

import datetime as dt

from rettidig_cli.guide.reader import Guide, Item
from rettidig_cli.guide.reference import purposes_for
from rettidig_cli.views.documents import bullets, clean, paragraph, table

CONFIRM = " [skal bekræftes]"
NOT_ON_ABUSE_PATH = " (ikke ved mistanke om vold eller overgreb)"


def build(guide: Guide, today: dt.date) -> dict:
    confirm: list[str] = []

    def text(item: Item | None, where: str) -> str:
        if item is None:
            return ""
        shown = item.text
        if item.parent_contact:
            shown += (f" (ved mistanke om vold eller overgreb: «{item.abuse_path}»)" if item.abuse_path
                      else NOT_ON_ABUSE_PATH)
        if item.confirm:
            confirm.append(f"{where}: {item.text}")
            shown += CONFIRM
        return shown

    def texts(items, where: str) -> list[str]:
        return [text(i, where) for i in items]

    safety = guide.safety
    sections = [_section("Først: sikkerhedsspørgsmålet", [
        paragraph(safety.question), paragraph(f"Reglen: {safety.rule}"), paragraph(f"Pligten: {safety.duty}"),
        bullets([f"Modtager: {r}" for r in safety.recipients] + [f"Måde: {m}" for m in safety.methods]),
        *([paragraph(f"Kontakt: {safety.contact}")] if safety.contact else []),
    ])]
    for number, phase in enumerate(guide.phases, start=1):
        blocks = []
        if phase.guidance:
            blocks += [paragraph("Vejledning:"), bullets(texts(phase.guidance, f"Fase {number}, vejledning"))]
        if phase.sparring:
            blocks += [paragraph("Sparring hos:"), bullets(texts(phase.sparring, f"Fase {number}, sparring"))]
        rows = []
        for step in phase.steps:
            conditions = [f"kun når {step.when[0]} = {step.when[1]}"] if step.when else []
            conditions += ["kan springes over"] if not step.required else []
            conditions += [NOT_ON_ABUSE_PATH.strip(" ()")] if step.parent_contact else []
            choices = [f"{o.id}: {o.label}" + (f" – {NOT_ON_ABUSE_PATH.strip(' ()')}" if o.parent_contact else "")
                       for o in step.options]
            rows.append([step.id, step.kind, step.message + ("\n" + "\n".join(choices) if choices else ""),
                         "; ".join(conditions)])
        if rows:
            blocks.append(table(["Trin-id", "Slags", "Spørgsmål og valg", "Betingelse"], rows))
        for step in phase.steps:
            for option in step.options:
                if option.consequences:
                    blocks += [paragraph(f"Når «{step.id}» er «{option.label}»:"),
                               bullets(texts(option.consequences, f"{step.id}, {option.id}"))]
        if phase.next_hint:
            blocks.append(paragraph(f"Derefter: {text(phase.next_hint, f'Fase {number}, next_hint')}"))
        sections.append(_section(f"Fase {number}: {phase.title}", blocks))
    if guide.ruler:
        sections.append(_section("Børnelinealen", [table(["Placering", "Farve", "Betydning"],
                                                          [[p.label, p.colour, p.description] for p in guide.ruler])]))
    meetings = guide.meetings
    sections.append(_section(meetings.plural, [bullets([
        f"Rytme: hver {', '.join(str(w) for w in meetings.rhythm_weeks)}. uge (forslag: {meetings.default_rhythm})",
        f"Antal: {meetings.default_count}, kl. {meetings.default_time}",
        "Forældrene deltager altid (aldrig ved mistanke om vold eller overgreb)" if meetings.parents_always
        else "Forældrene deltager, når det aftales"])]))
    if guide.law:
        sections.append(_section("Lovhenvisninger", [bullets([f"{r.ref}: {r.text}" for r in guide.law])]))
    sections.append(_section("Dokumenter", [bullets([p.title for p in purposes_for(guide)])]))
    tools = texts(guide.tools, "Metoder")
    sections.append(_section("Metoder og redskaber", [bullets(tools)]))
    ending = text(guide.completion, "Afslutning")
    if ending:
        sections.append(_section("Når guiden er gennemgået", [paragraph(ending)]))
    sections.append(_section("Tekster, der skal bekræftes", [bullets(confirm)] if confirm else [
        paragraph("Ingen tekster er markeret confirm = true.")]))
    return clean({
        "formaal": "guide", "titel": guide.name, "hoved": f"Guide · {guide.short or guide.name}",
        "undertitel": guide.municipality,
        "indledning": "Hele guiden, som rettidig viser den, til kommunens godkendelse. Tekster markeret "
                      "[skal bekræftes] er ikke godkendt endnu.",
        "felter": [[label, value] for label, value in (
            ("Kommune", guide.municipality), ("Kilde", guide.source), ("Tilbud", ", ".join(guide.settings)),
            ("Aldersgrupper", ", ".join(guide.age_groups)), ("Guide-id", guide.id),
            ("Skal bekræftes", str(len(confirm)))) if value],
        # The source is one of the fields above: not a second time at the foot.
        "afsnit": sections, "kilde": "", "anonym": False, "sag": None, "udskrevet": today.isoformat(),
    })


def _section(heading: str, blocks: list[dict]) -> dict:
    return {"overskrift": heading, "blokke": blocks}
