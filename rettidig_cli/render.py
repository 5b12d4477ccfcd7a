"""Rich output of plans and lists. Every piece of user text goes in as a Text object, so
rich never reads '[bold]' or '[/]' typed by a user as markup."""

from __future__ import annotations

import datetime as dt

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from rettidig_cli import dates

COLOURS = {"green": "green", "yellow": "yellow", "red": "red", "orange": "dark_orange", "blue": "blue"}


def _day(iso: str | None, short: bool = False) -> str:
    if not iso:
        return ""
    day = dt.date.fromisoformat(iso)
    return dates.format_short(day) if short else dates.format_date(day)


def _clock(hhmm: str) -> str:
    return f"kl. {hhmm.replace(':', '.')}" if hhmm else ""


def _lines(items, bullet: str = "• ") -> Text:
    text = Text()
    for i, item in enumerate(items):
        if i:
            text.append("\n")
        text.append(bullet + item)
    return text


def _field(label: str, value: str, style: str = "") -> Text:
    text = Text(f"{label}: ", style="bold")
    text.append(value or "–", style=style)
    return text


def plan_renderable(plan: dict):
    parts = []
    child = plan["barn"]
    head = Text()
    head.append(f"Handleplan {plan['kode']}", style="bold")
    head.append(f"  ·  {plan['guide']['navn']}\n", style="dim")
    head.append(_field("Barn", child["navn"] or ""))
    head.append(f"   ({child['aldersgruppe'] or '?'}, {child['tilbud'] or '?'})\n")
    phase = plan["fase"]
    head.append(_field("Fase", "Alle faser er gennemgået" if plan["faerdig"]
                       else f"{phase['nummer']} af {phase['antal']}: {phase['titel']}"))
    head.append("\n")
    tov = plan["tovholder"]
    head.append(_field("Tovholder", f"{tov['navn']}" + (f" ({tov['rolle']})" if tov and tov["rolle"] else "")
                       if tov else "ikke valgt endnu", "bold cyan"))
    if plan["placering"]:
        pos = plan["placering"]
        head.append("\n")
        head.append(_field("Børnelinealen", f"{pos['label']} ({_day(pos['dato'], True)})",
                           COLOURS.get(pos["farve"], "")))
    parts.append(Panel(head, border_style="cyan"))

    if plan["mistanke_om_vold_eller_overgreb"]:
        body = Text(plan["sikkerhedsregel"] or "", style="bold")
        for u in plan["underretninger"]:
            body.append(f"\nUnderretning {_day(u['dato'])} til {u['modtager']} ({u['hvordan']}). ")
            body.append("Leder informeret." if u["leder_informeret"] else "Leder IKKE informeret endnu.",
                        style="" if u["leder_informeret"] else "bold red")
        if not plan["underretninger"]:
            body.append("\nIngen underretning registreret – lav den nu.", style="bold red")
        parts.append(Panel(body, title=Text("Mistanke om vold eller overgreb"), border_style="red"))

    if plan["forsinket"]:
        parts.append(Panel(_lines(plan["forsinket"], "! "), title=Text("Overskredet"), border_style="red"))

    if plan["bekymring"]:
        parts.append(Panel(_lines(plan["bekymring"], ""), title=Text("Bekymringen"), title_align="left"))

    if plan["observationer"] or plan["iagttagelsesfrist"]:
        table = Table(title=Text("Observationer"), title_justify="left", expand=True)
        table.add_column("Dato", no_wrap=True)
        table.add_column("Hvad", ratio=3)
        table.add_column("Metode", ratio=1)
        table.add_column("Hvem", ratio=1)
        for o in plan["observationer"]:
            table.add_row(Text(_day(o["dato"], True)), Text(o["hvad"]), Text(o["metode"]), Text(o["hvem"]))
        if plan["iagttagelsesfrist"]:
            table.caption = Text(f"Frist for iagttagelser: {_day(plan['iagttagelsesfrist'])}")
        parts.append(table)

    if plan["faktorer"]:
        parts.append(Panel(_lines([f"{f['type']}: {f['tekst']}" for f in plan["faktorer"]]),
                           title=Text("Trivselstegn og faktorer"), title_align="left"))

    # The parents' own words are shown under "Forældrenes del" below.
    others = [t for t in plan["tekster"] if t["rolle"] not in ("concern", "parents_view")
              or plan["mistanke_om_vold_eller_overgreb"]]
    if others:
        body = Text()
        for i, t in enumerate(others):
            if i:
                body.append("\n")
            body.append(f"{t['titel']}: ", style="bold")
            body.append(t["tekst"])
        parts.append(Panel(body, title=Text("Perspektiver og analyse"), title_align="left"))

    if plan["beslutninger"]:
        body = Text()
        for i, d in enumerate(plan["beslutninger"]):
            if i:
                body.append("\n")
            body.append(f"{d['titel']}: ", style="bold")
            body.append(", ".join(d["valg"]))
            for c in d["betydning"]:
                body.append(f"\n   – {c}")
        parts.append(Panel(body, title=Text("Beslutninger"), title_align="left"))

    table = Table(title=Text("Aftaler – hvem gør hvad"), title_justify="left", expand=True)
    table.add_column("Hvad", ratio=3)
    table.add_column("Hvem", ratio=1)
    table.add_column("Senest", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    for a in plan["aftaler"]:
        table.add_row(Text(a["hvad"]), Text(a["hvem"]), Text(_day(a["senest"], True)),
                      Text(a["status"] + (" (overskredet)" if a["overskredet"] else ""),
                           style="bold red" if a["overskredet"] else ""))
    if not plan["aftaler"]:
        table.add_row(Text("Ingen aftaler endnu", style="dim"), "", "", "")
    parts.append(table)

    table = Table(title=Text("Statusmøder"), title_justify="left", expand=True)
    table.add_column("Dato")
    table.add_column("Tid", no_wrap=True)
    table.add_column("Deltagere")
    table.add_column("Status", no_wrap=True)
    for m in plan["statusmoeder"] + plan["andre_moeder"]:
        label = _day(m["dato"]) if m["status_moede"] else f"{m['type']}: {_day(m['dato'])}"
        if m["flyttet_fra"]:
            label += f" (flyttet fra {_day(m['flyttet_fra'], True)}: {m['grund']})"
        table.add_row(Text(label), Text(_clock(m["tidspunkt"])), Text(", ".join(m["deltagere"])), Text(m["status"]))
    if not plan["statusmoeder"] and not plan["andre_moeder"]:
        table.add_row(Text("Ingen møder aftalt endnu", style="dim"), "", "", "")
    parts.append(table)

    if not plan["mistanke_om_vold_eller_overgreb"]:
        parents = plan["foraeldre"]
        body = Text()
        for t in parents["perspektiv"]:
            body.append(f"{t['titel']}: ", style="bold")
            body.append(t["tekst"] + "\n")
        for c in parents["samtykker"]:
            body.append(f"{c['titel']}: ", style="bold")
            body.append(c["svar"] + (f" – {c['navn']}" if c["navn"] else "") + (f", {_day(c['dato'], True)}" if c["dato"] else ""))
            body.append("\n")
        sig = parents["underskrift"]
        if sig is None or sig["svar"] != "ja":
            body.append("Handleplanen er ikke underskrevet af forældrene endnu.", style="yellow")
        parts.append(Panel(body if body.plain.strip() else Text("Intet registreret endnu.", style="dim"),
                           title=Text("Forældrenes del"), title_align="left"))

    nxt = plan["naeste_skridt"]
    body = Text()
    if nxt["fase"]:
        body.append(f"{nxt['fase']}\n", style="bold")
        body.append(nxt["trin"] or "")
        if nxt["vejledning"]:
            body.append("\n")
            body.append(_lines(nxt["vejledning"]))
        body.append(f"\n\nFortsæt med: rettidig resume {plan['kode']}", style="dim")
    else:
        body.append(nxt["trin"] or "Følg op på aftalerne på statusmøderne.")
    parts.append(Panel(body, title=Text("Næste skridt"), title_align="left", border_style="green"))

    if plan["sparring"]:
        parts.append(Panel(Text(" · ".join(plan["sparring"])), title=Text("Husk, du også kan få sparring hos"),
                           title_align="left"))
    return Group(*parts)


def print_plan(plan: dict, console: Console) -> None:
    console.print(plan_renderable(plan))


def print_list(rows: list[dict], console: Console) -> None:
    if not rows:
        console.print(Text("Der er ingen åbne sager. Opret en med: rettidig new"))
        return
    table = Table(title=Text("Åbne sager"), title_justify="left")
    for name in ("Sag", "Barn", "Fase", "Tovholder", "Næste statusmøde", "Skal følges op"):
        table.add_column(name)
    for row in rows:
        warn = list(row["forsinket"])
        if row["mistanke_om_vold_eller_overgreb"]:
            warn.insert(0, "Mistanke om vold/overgreb")
        table.add_row(
            Text(row["kode"], style="bold"), Text(row["barn"]), Text(row["fase"]), Text(row["tovholder"] or "–"),
            Text(_day(row["naeste_statusmoede"]) if row["naeste_statusmoede"] else "–"),
            Text("\n".join(warn) or "–", style="red" if warn else "dim"),
        )
    console.print(table)
