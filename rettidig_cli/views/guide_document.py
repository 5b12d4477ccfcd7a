"""A whole guide as a readable document, for the municipality's approval meeting: the same
document model the case documents use (documents.build), so the Markdown and Word writers lay it
out. Texts marked `confirm = true` are flagged where they stand and listed at the end."""

from __future__ import annotations

import datetime as dt

from rettidig_cli.guide.reader import Guide, Item
from rettidig_cli.guide.reference import purposes_for
from rettidig_cli.views.documents import bullets, clean, paragraph, table
from rettidig_cli.views.plan import part_words

CONFIRM = " [skal bekræftes]"
NOT_ON_ABUSE_PATH = " (ikke ved mistanke om vold eller overgreb)"


def build(guide: Guide, today: dt.date) -> dict:
    marked = {c.text for c in guide.to_confirm}

    def flag(shown: str, original: str) -> str:
        return shown + CONFIRM if original in marked else shown

    def text(item: Item | None) -> str:
        if item is None:
            return ""
        shown = item.text
        if item.parent_contact:
            shown += (f" (ved mistanke om vold eller overgreb: «{item.abuse_path}»)" if item.abuse_path
                      else NOT_ON_ABUSE_PATH)
        if item.when:
            shown = f"{_condition(guide, item.when)}: {shown}"
        return flag(shown, item.text)

    def texts(items) -> list[str]:
        return [text(i) for i in items]

    safety = guide.safety
    sections = [_section("Først: sikkerhedsspørgsmålet", [
        paragraph(flag(safety.question, safety.question)), paragraph(flag(f"Reglen: {safety.rule}", safety.rule)),
        paragraph(flag(f"Pligten: {safety.duty}", safety.duty)),
        bullets([f"Modtager: {r}" for r in texts(safety.recipients)] + [f"Måde: {m}" for m in texts(safety.methods)]
                + [f"Kontakt: {c}" for c in texts(safety.contact)]),
    ])]
    if guide.contact:
        sections.append(_section("Hvis du er i tvivl", [bullets(texts(guide.contact))]))
    for number, phase in enumerate(guide.phases, start=1):
        blocks = []
        if phase.guidance:
            blocks += [paragraph("Vejledning:"), bullets(texts(phase.guidance))]
        if phase.sparring:
            blocks += [paragraph("Sparring hos:"), bullets(texts(phase.sparring))]
        rows = []
        for step in phase.steps:
            conditions = [f"kun når {step.when[0]} = {step.when[1]}"] if step.when else []
            conditions += ["kan springes over"] if not step.required else []
            conditions += ["flere valg på én gang"] if step.multiple else []
            conditions += ["barnet kan drøftes anonymt"] if step.anonymous else []
            conditions += ["et ja giver barnet navn i en anonym sag"] if step.names_child else []
            conditions += [NOT_ON_ABUSE_PATH.strip(" ()")] if step.parent_contact else []
            choices = [flag(f"{o.id}: {o.label}", o.label)
                       + (f" – {NOT_ON_ABUSE_PATH.strip(' ()')}" if o.parent_contact else "") for o in step.options]
            rows.append([step.id, step.kind, flag(step.message, step.message) + ("\n" + "\n".join(choices) if choices else ""),
                         "; ".join(conditions)])
        if rows:
            blocks.append(table(["Trin-id", "Slags", "Spørgsmål og valg", "Betingelse"], rows))
        for step in phase.steps:
            for option in step.options:
                if option.consequences:
                    blocks += [paragraph(f"Når «{step.id}» er «{option.label}»:"),
                               bullets(texts(option.consequences))]
        if phase.next_hint:
            blocks.append(paragraph(f"Derefter: {text(phase.next_hint)}"))
        sections.append(_section(f"Fase {number}: {phase.title}", blocks))
    if guide.ruler:
        sections.append(_section("Børnelinealen", [table(["Placering", "Farve", "Betydning"],
                                                          [[flag(p.label, p.label), p.colour, p.description]
                                                           for p in guide.ruler])]))
    meetings = guide.meetings
    form = [f"{part.title}: {part.message} (i en mødefil: noter.{part.id})" if part.part == "note"
            else part_words(guide, part)
            for part in guide.meeting_parts()
            if (guide.fit_use or not part.part.startswith("fit_")) and (guide.ruler or part.part != "placering")]
    fit_line = ("FIT bruges ikke i guiden" if not guide.fit_use else
                "FIT: " + (text(guide.fit_note) or "skemaerne tilbydes ved hvert møde"))
    sections.append(_section(meetings.plural, [bullets([
        f"Rytme: hver {', '.join(str(w) for w in meetings.rhythm_weeks)}. uge (forslag: {meetings.default_rhythm})",
        f"Antal: {meetings.default_count}, kl. {meetings.default_time}",
        "Forældrene deltager altid (aldrig ved mistanke om vold eller overgreb)" if meetings.parents_always
        else "Forældrene deltager, når det aftales", fit_line]),
        paragraph("Mødets gang:"), bullets([f"{n}. {line}" for n, line in enumerate(form, start=1)]),
        *[block for part in guide.meeting_parts() if part.guidance
          for block in (paragraph(f"Ved «{part_words(guide, part)}»:"),
                        bullets(texts(part.guidance)))]]))
    if guide.law:
        sections.append(_section("Lovhenvisninger", [bullets([flag(f"{r.ref}: {r.text}", f"{r.ref}: {r.text}")
                                                              for r in guide.law])]))
    sections.append(_section("Dokumenter", [bullets([p.title for p in purposes_for(guide)])]))
    tools = texts(guide.tools)
    sections.append(_section("Metoder og redskaber", [bullets(tools)]))
    ending = text(guide.completion)
    if ending:
        sections.append(_section("Når guiden er gennemgået", [paragraph(ending)]))
    confirm = [f"{c.place}: «{c.text}»" + (f" – {c.note}" if c.note else "") for c in guide.to_confirm]
    sections.append(_section("Skal bekræftes af kommunen", [
        paragraph("Disse tekster bygger hverken på kommunens eget materiale eller en kontrolleret kilde. De er "
                  "markeret [skal bekræftes] ovenfor og vises aldrig i en families dokumenter."),
        bullets(confirm)] if confirm else [paragraph("Ingen tekster er markeret confirm = true.")]))
    return clean({
        "formaal": "guide", "titel": guide.name, "hoved": f"Guide · {guide.short or guide.name}",
        "undertitel": guide.municipality,
        "indledning": "Hele guiden, som rettidig viser den, til kommunens godkendelse. Tekster markeret "
                      "[skal bekræftes] er ikke godkendt endnu.",
        "felter": [[label, value] for label, value in (
            ("Kommune", guide.municipality), ("Kilde", guide.source), ("Tilbud", ", ".join(guide.settings)),
            ("Aldersgrupper", "; ".join(f"{setting}: {', '.join(groups)}" for setting, groups in guide.setting_ages)
             or ", ".join(guide.age_groups)), ("Guide-id", guide.id),
            ("Skal bekræftes", str(len(confirm)))) if value],
        # The source is one of the fields above: not a second time at the foot.
        "afsnit": sections, "kilde": "", "anonym": False, "sag": None, "udskrevet": today.isoformat(),
    })


def _condition(guide: Guide, when: tuple[str, str]) -> str:
    """"Når «Barnets bopælskommune» er «Ishøj»" for a text's `when`."""
    try:
        step = guide.step(when[0])
    except KeyError:
        return f"Når {when[0]} = {when[1]}"
    label = next((o.label for o in step.options if o.id == when[1]), when[1])
    return f"Når «{step.title or step.message}» er «{label}»"


def _section(heading: str, blocks: list[dict]) -> dict:
    return {"overskrift": heading, "blokke": blocks}
