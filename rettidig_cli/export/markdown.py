"""The handleplan as a Markdown document for the status meeting."""

from __future__ import annotations

import datetime as dt
import re

from rettidig_cli import dates

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def md(text: str | None) -> str:
    """User text as literal Markdown: special characters escaped, no raw HTML."""
    return _SPECIAL.sub(r"\\\1", text or "")


def cell(text: str | None) -> str:
    """A table cell: escaped, and line breaks kept inside the row."""
    return md(text).replace("\n", "<br>") or " "


def _day(iso: str | None) -> str:
    return dates.format_date(dt.date.fromisoformat(iso)) if iso else ""


def handleplan(plan: dict) -> str:
    child = plan["barn"]
    out = [
        f"# Handleplan – sag {plan['kode']}",
        "",
        f"*{md(plan['guide']['navn'])}*",
        "",
        f"- **Barn:** {md(child['navn'])} ({md(child['aldersgruppe'])}, {md(child['tilbud'])})",
        "- **Tovholder:** " + (md(plan["tovholder"]["navn"]) + (f" ({md(plan['tovholder']['rolle'])})"
                                if plan["tovholder"]["rolle"] else "") if plan["tovholder"] else "ikke valgt endnu"),
        "- **Fase:** " + ("alle faser er gennemgået" if plan["faerdig"]
                           else f"{plan['fase']['nummer']} af {plan['fase']['antal']}: {md(plan['fase']['titel'])}"),
        f"- **Oprettet:** {_day(plan['oprettet'])}",
        f"- **Udskrevet:** {dates.format_date(dates.today())}",
    ]
    if plan["placering"]:
        out.append(f"- **Børnelinealen:** {md(plan['placering']['label'])} ({_day(plan['placering']['dato'])})")
    if plan["mistanke_om_vold_eller_overgreb"]:
        out += ["", "## Mistanke om vold eller overgreb", "", md(plan["sikkerhedsregel"])]
        for u in plan["underretninger"]:
            out.append(f"- Underretning {_day(u['dato'])} til {md(u['modtager'])} ({md(u['hvordan'])}); "
                       + ("leder informeret." if u["leder_informeret"] else "**leder ikke informeret endnu.**"))
    if plan["forsinket"]:
        out += ["", "## Overskredet", ""] + [f"- {md(x)}" for x in plan["forsinket"]]
    if plan["bekymring"]:
        out += ["", "## Bekymringen", ""] + [md(x) for x in plan["bekymring"]]
    if plan["observationer"]:
        out += ["", "## Observationer", "", "| Dato | Hvad | Metode | Hvem |", "|---|---|---|---|"]
        out += [f"| {_day(o['dato'])} | {cell(o['hvad'])} | {cell(o['metode'])} | {cell(o['hvem'])} |"
                for o in plan["observationer"]]
    if plan["faktorer"]:
        out += ["", "## Trivselstegn og faktorer", ""] + [f"- **{md(f['type'])}:** {md(f['tekst'])}" for f in plan["faktorer"]]
    others = [t for t in plan["tekster"] if t["rolle"] != "concern"]
    if others:
        out += ["", "## Perspektiver og analyse", ""]
        for t in others:
            out += [f"**{md(t['titel'])}**", "", md(t["tekst"]), ""]
    if plan["beslutninger"]:
        out += ["", "## Beslutninger", ""]
        for d in plan["beslutninger"]:
            out.append(f"- **{md(d['titel'])}:** {md(', '.join(d['valg']))}")
            out += [f"  - {md(c)}" for c in d["betydning"]]
    out += ["", "## Aftaler – hvem gør hvad", "", "| Hvad | Hvem | Senest | Status |", "|---|---|---|---|"]
    out += [f"| {cell(a['hvad'])} | {cell(a['hvem'])} | {_day(a['senest'])} | {a['status']} |" for a in plan["aftaler"]]
    if not plan["aftaler"]:
        out.append("| Ingen aftaler endnu | | | |")
    out += ["", "## Statusmøder", "", "| Dato | Tid | Deltagere | Status |", "|---|---|---|---|"]
    for m in plan["statusmoeder"] + plan["andre_moeder"]:
        label = _day(m["dato"]) if m["status_moede"] else f"{md(m['type'])}: {_day(m['dato'])}"
        out.append(f"| {label} | kl. {m['tidspunkt'].replace(':', '.')} | {cell(', '.join(m['deltagere']))} | {m['status']} |")
    if not plan["mistanke_om_vold_eller_overgreb"]:
        out += ["", "## Forældrenes del", ""]
        for t in plan["foraeldre"]["perspektiv"]:
            out += [f"**{md(t['titel'])}:** {md(t['tekst'])}", ""]
        for c in plan["foraeldre"]["samtykker"]:
            out.append(f"- {md(c['titel'])}: {c['svar']}" + (f" – {md(c['navn'])}" if c["navn"] else "")
                       + (f", {_day(c['dato'])}" if c["dato"] else ""))
    nxt = plan["naeste_skridt"]
    out += ["", "## Næste skridt", ""]
    if nxt["fase"]:
        out += [f"**{md(nxt['fase'])}** – {md(nxt['trin'])}", ""] + [f"- {md(g)}" for g in nxt["vejledning"]]
    else:
        out.append(md(nxt["trin"] or ""))
    if plan["sparring"]:
        out += ["", "## Husk, du også kan få sparring hos", ""] + [f"- {md(s)}" for s in plan["sparring"]]
    out += ["", "---", "", f"Kilde: {md(plan['guide']['kilde'])}", ""]
    return "\n".join(out)
