"""Rich output of plans and lists. Every piece of user text goes in as a Text object, so
rich never reads '[bold]' or '[/]' typed by a user as markup."""

from __future__ import annotations


from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from rettidig_cli.domain import dates, fit
from rettidig_cli.views.model import Plan, Ruler
from rettidig_cli.views.plan import overdue_sentence
from rettidig_cli.domain.vocabulary import OPEN_AGREEMENT, AgreementStatus, MeetingState
from rettidig_cli.views.overview import OVERDUE, clip

COLOURS = {"green": "green", "yellow": "yellow", "red": "red", "orange": "dark_orange", "blue": "blue"}


_day = dates.format_iso


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


def plan_renderable(plan: Plan):
    parts = []
    child = plan.child
    head = Text()
    head.append(f"Handleplan {plan.code}", style="bold")
    head.append(f"  ·  {plan.guide.name}\n", style="dim")
    head.append(_field("Barn", child.name or ""))
    head.append(f"   ({child.age_group or '?'}, {child.setting or '?'})\n")
    phase = plan.phase
    head.append(_field("Fase", "Alle faser er gennemgået" if plan.done
                       else f"{phase.number} af {phase.count}: {phase.title}"))
    head.append("\n")
    tov = plan.tovholder
    head.append(_field("Tovholder", tov.name + (f" ({tov.role})" if tov.role else "")
                       if tov else "ikke valgt endnu", "bold cyan"))
    if plan.position:
        pos = plan.position
        head.append("\n")
        head.append(_field("Børnelinealen", f"{pos.label} ({_day(pos.day, True)})", COLOURS.get(pos.colour, "")))
    if plan.closed:
        head.append("\n")
        head.append(_field("Lukket", f"{_day(plan.closed.day)}: {plan.closed.reason}", "bold"))
    parts.append(Panel(head, border_style="dim" if plan.closed else "cyan"))

    if plan.abuse_path:
        body = Text(plan.safety_rule or "", style="bold")
        for u in plan.underretninger:
            body.append(f"\nUnderretning {_day(u.day)} til {u.recipient} ({u.method}). ")
            body.append("Leder informeret." if u.leader_informed else "Leder IKKE informeret endnu.",
                        style="" if u.leader_informed else "bold red")
        if not plan.underretninger:
            body.append("\nIngen underretning registreret – lav den nu.", style="bold red")
        parts.append(Panel(body, title=Text("Mistanke om vold eller overgreb"), border_style="red"))

    overdue = [overdue_sentence(d) for d in plan.overdue()]
    if overdue:
        parts.append(Panel(_lines(overdue, "! "), title=Text("Overskredet"), border_style="red"))

    if plan.concern:
        parts.append(Panel(_lines(plan.concern, ""), title=Text("Bekymringen"), title_align="left"))

    deadline_open = plan.observation_deadline and not plan.observations_done
    if plan.observations or deadline_open:
        table = Table(title=Text("Observationer"), title_justify="left", expand=True)
        table.add_column("Dato", no_wrap=True)
        table.add_column("Hvad", ratio=3)
        table.add_column("Metode", ratio=1)
        table.add_column("Hvem", ratio=1)
        for o in plan.observations:
            table.add_row(Text(_day(o.day, True)), Text(o.what), Text(o.method), Text(o.who))
        if deadline_open and not plan.closed:
            table.caption = Text(f"Frist for iagttagelser: {_day(plan.observation_deadline)}")
        parts.append(table)

    if plan.factors:
        parts.append(Panel(_lines([f"{f.kind}: {f.text}" for f in plan.factors]),
                           title=Text("Trivselstegn og faktorer"), title_align="left"))

    # The parents' own words are shown under "Forældrenes del" below.
    # On the abuse path the parents' part is not shown at all (a suspicion registered later).
    others = [t for t in plan.texts if t.role not in ("concern", "parents_view")]
    if others:
        body = Text()
        for i, t in enumerate(others):
            if i:
                body.append("\n")
            body.append(f"{t.title}: ", style="bold")
            body.append(t.text)
        parts.append(Panel(body, title=Text("Perspektiver og analyse"), title_align="left"))

    if plan.decisions:
        body = Text()
        for i, d in enumerate(plan.decisions):
            if i:
                body.append("\n")
            body.append(f"{d.title}: ", style="bold")
            body.append(", ".join(d.choices))
            for earlier in d.earlier:
                body.append(f"  (før: {earlier.choice}, {_day(earlier.day, True)})", style="dim")
            if d.earlier and d.reason:
                body.append(f"\n   Begrundelse: {d.reason}")
            for c in d.meaning:
                body.append(f"\n   – {c}")
        parts.append(Panel(body, title=Text("Beslutninger"), title_align="left"))

    parts.append(agreements_table(plan))
    parts.append(meetings_table(plan))
    if plan.ruler.history:
        parts.append(ruler_timeline(plan.ruler))
    if plan.fit:
        parts.append(fit_panel(plan.fit))

    if not plan.abuse_path:
        parents = plan.parents
        body = Text()
        for t in parents.views:
            body.append(f"{t.title}: ", style="bold")
            body.append(t.text + "\n")
        for c in parents.consents:
            body.append(f"{c.title}: ", style="bold")
            body.append(c.answer + (f" – {c.name}" if c.name else "") + (f", {_day(c.day, True)}" if c.day else ""))
            body.append("\n")
        sig = parents.signature
        if sig is None or sig.answer != "ja":
            body.append("Handleplanen er ikke underskrevet af forældrene endnu.", style="yellow")
        body.rstrip()
        parts.append(Panel(body if body.plain.strip() else Text("Intet registreret endnu.", style="dim"),
                           title=Text("Forældrenes del"), title_align="left"))

    nxt = plan.next_step
    body = Text()
    code = plan.code
    if plan.closed:
        body.append("Sagen er lukket og står ikke i den daglige oversigt.\n")
        body.append(f"Genåbn den med: rettidig genåbn {code}", style="dim")
    elif nxt.phase:
        body.append(f"{nxt.phase}\n", style="bold")
        body.append(nxt.step or "")
        if nxt.guidance:
            body.append("\n")
            body.append(_lines(nxt.guidance))
        body.append(f"\n\nFortsæt med: rettidig resume {code}", style="dim")
    else:
        body.append(nxt.step or "Følg op på aftalerne på statusmøderne.")
    meeting = plan.next_status_meeting
    if meeting and not plan.closed:
        body.append("\n\nNæste statusmøde: ", style="bold")
        body.append(f"{_day(meeting.day)} {_clock(meeting.time)}")
        body.append(f"\nHold det med: rettidig møde hold {code}", style="dim")
    parts.append(Panel(body, title=Text("Næste skridt"), title_align="left", border_style="green"))

    if plan.sparring:
        parts.append(Panel(Text(" · ".join(plan.sparring)), title=Text("Husk, du også kan få sparring hos"),
                           title_align="left"))
    return Group(*parts)


def agreements_table(plan: Plan) -> Table:
    table = Table(title=Text("Aftaler – hvem gør hvad"), title_justify="left", expand=True)
    table.add_column("Nr.", justify="right", no_wrap=True)
    table.add_column("Hvad", ratio=3)
    table.add_column("Hvem", ratio=1)
    table.add_column("Senest", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    for a in plan.agreements:
        what = Text(a.what)
        if a.history:
            steps = [f"{_day(a.agreed, True)}: aftalt"] + [
                f"{_day(e.day, True)}: {e.status}" + (f" – {e.note}" if e.note else "") for e in a.history]
            what.append("\n" + "\n".join(steps), style="dim")
        closed = a.status not in OPEN_AGREEMENT
        table.add_row(str(a.nr), what, Text(a.who), Text(_day(a.due, True)),
                      Text(a.status + (" (overskredet)" if a.overdue else ""),
                           style="bold red" if a.overdue else ("green" if a.status == AgreementStatus.DONE else
                                                               "dim" if closed else "")))
    if not plan.agreements:
        table.add_row("", Text("Ingen aftaler endnu", style="dim"), "", "", "")
    return table


def meetings_table(plan: Plan) -> Table:
    title = "Statusmøder og andre møder" if plan.other_meetings else "Statusmøder"
    table = Table(title=Text(title), title_justify="left", expand=True)
    table.add_column("Nr.", justify="right", no_wrap=True)
    table.add_column("Dato", ratio=3)
    table.add_column("Tid", no_wrap=True)
    table.add_column("Deltagere", ratio=2)
    table.add_column("Status", no_wrap=True)
    for m in plan.meetings():
        shown = m.held_on or m.day
        label = Text(_day(shown) if m.status_meeting else f"{m.kind}: {_day(shown)}")
        if m.held_on and m.held_on != m.day:
            label.append(f"\nplanlagt til {_day(m.day, True)}", style="dim")
        elif m.moved_from:
            label.append(f"\nflyttet fra {_day(m.moved_from, True)}" + (f": {m.reason}" if m.reason else ""),
                         style="dim")
        people = Text(", ".join(m.people()))
        if m.parents_present is False:
            people.append(f"\nForældrene deltog ikke: {m.absence_reason}", style="yellow")
        if m.minutes:
            people.append(f"\nReferat: {m.minutes}", style="dim")
        state = {MeetingState.HELD: ("holdt", "green"), MeetingState.CANCELLED: ("aflyst", "dim"),
                 MeetingState.PLANNED: ("planlagt", "")}
        word, style = state.get(m.status, (m.status, ""))
        if m.status == MeetingState.CANCELLED and m.cancel_reason:
            word += f"\n({m.cancel_reason})"
        table.add_row(str(m.nr), label, Text(_clock(m.time)), people, Text(word, style=style))
    if not plan.meetings():
        table.add_row("", Text("Ingen møder aftalt endnu", style="dim"), "", "", "")
    return table


def ruler_timeline(ruler: Ruler) -> Table:
    """The Børnelineal positions over time: one column per position, in the guide's order and colours."""
    table = Table(title=Text("Børnelinealen over tid"), title_justify="left", expand=True)
    table.add_column("Dato", no_wrap=True)
    for step in ruler.steps:
        table.add_column(Text(step.label, style=f"bold {COLOURS.get(step.colour, '')}"), justify="center")
    table.add_column("Begrundelse", ratio=2)
    for entry in ruler.history:
        cells = [Text("●", style=f"bold {COLOURS.get(entry.colour, '')}") if step.id == entry.id else Text("")
                 for step in ruler.steps]
        table.add_row(Text(_day(entry.day, True)), *cells, Text(entry.reason))
    return table


def fit_chart(entry: dict, width: int = 40) -> Text:
    data = fit.chart(entry, width)
    text = Text()
    text.append(f"{entry['skema']} – {entry['hvem']}", style="bold")
    if entry["graense"] is not None:
        text.append(f"   grænse {fit.format_score(entry['graense'])} (│)", style="dim")
    if entry["vurdering"]:
        text.append(f"   {entry['vurdering']}")
        if entry["effektstoerrelse"] is not None:
            text.append(f" (effektstørrelse {entry['effektstoerrelse']:.2f})".replace(".", ","), style="dim")
    good = "green"
    low = "red" if entry["type"] == "alliance" else "yellow"
    for r in data["raekker"]:
        text.append(f"\n  {_day(r['dato'], True):>13}  ")
        for column in range(data["bredde"]):
            if column == data["graense_kolonne"]:
                text.append("│", style="bold")
            elif column < r["laengde"]:
                text.append("█", style=low if r["under_graense"] else good)
            else:
                text.append("·", style="dim")
        text.append(f" {fit.format_score(r['total']):>5}", style="bold")
        if r["under_graense"] and entry["type"] == "alliance":
            text.append("  ! alliancen", style="bold red")
    if data["raekker"] and data["akse"]:
        axis = [" "] * (data["bredde"] + 4)
        for column, value in data["akse"]:
            label = str(value)
            start = min(column, len(axis) - len(label))
            axis[start:start + len(label)] = label
        text.append(f"\n  {'':>13}  " + "".join(axis).rstrip(), style="dim")
    for p in entry["punkter"]:
        if p["total"] is None:
            text.append(f"\n  {_day(p['dato'], True):>13}  {p['note']}")
    return text


def fit_panel(series: list[dict]) -> Panel:
    parts = []
    for entry in series:
        parts.append(fit_chart(entry))
    warnings = [w for e in series for w in e["advarsler"]]
    if warnings:
        parts.append(_lines(warnings, "! "))
        parts[-1].stylize("yellow")
    return Panel(Group(*[p for i, p in enumerate(parts) for p in ((Text(""), p) if i else (p,))]),
                 title=Text("FIT – udvikling fra møde til møde"), title_align="left")


def print_plan(plan: Plan, console: Console) -> None:
    console.print(plan_renderable(plan))


LEVEL_STYLES = {0: "bold red", 1: "bold yellow", 2: "yellow", 3: "magenta", 4: "dim", 5: "dim"}


def print_list(rows: list[dict], console: Console, title: str = "Dine sager – det vigtigste først",
               hidden: list[int] = ()) -> None:
    """The morning view; `hidden` are the urgency levels of the less urgent lines left out,
    counted under the table."""
    if not rows and not hidden:
        console.print(Text("Der er ingen sager, der passer. Opret en ny med: rettidig new"))
        return
    table = Table(title=Text(title), title_justify="left", expand=True)
    table.add_column("Sag", no_wrap=True)
    table.add_column("Barn", ratio=1)
    table.add_column("Fase", ratio=1)
    table.add_column("Tovholder", ratio=1)
    table.add_column("Næste statusmøde", no_wrap=True)
    table.add_column("Skal gøres", ratio=2)
    for row in rows:
        todo = list(row["opgaver"])
        if row["mistanke_om_vold_eller_overgreb"]:
            todo.insert(0, "Mistanke om vold/overgreb")
        if row["lukket"]:
            todo = [f"Lukket {_day(row['lukket']['dato'], True)}: {row['lukket']['grund']}"]
        child = Text(row["barn"])
        if row["placering"]:
            child.append(f"\n● {row['placering']}", style=COLOURS.get(row["placering_farve"], ""))
        table.add_row(
            Text(row["kode"], style="bold"), child, Text(clip(row["fase"], 24)), Text(row["tovholder"] or "–"),
            Text(dates.format_compact(dates.from_iso(row["naeste_statusmoede"])) if row["naeste_statusmoede"] else "–"),
            Text("\n".join(todo) or "–", style=LEVEL_STYLES[row["niveau"]]),
        )
    console.print(table)
    if hidden:
        late = hidden.count(OVERDUE)
        more = f"… og {_number(len(hidden))} {'sag' if len(hidden) == 1 else 'sager'} mere"
        more += f" (heraf {_number(late)} med noget overskredet)" if late else ""
        console.print(Text(f"{more} – se dem alle med: rettidig list --alle", style="bold" if late else ""))


def _number(n: int) -> str:
    """10.000 with a Danish thousands separator."""
    return f"{n:,}".replace(",", ".")


def print_history(code: str, entries: list[dict], console: Console) -> None:
    table = Table(title=Text(f"Historik for sag {code} – nyeste nederst"), title_justify="left", expand=True)
    table.add_column("Dato", no_wrap=True)
    table.add_column("Hvad", no_wrap=True)
    table.add_column("", ratio=1)
    previous = None
    for e in entries:
        day = _day(e["dato"]) if e["dato"] != previous else ""
        previous = e["dato"]
        body = Text(e["tekst"])
        if e["detalje"]:
            body.append(f"\n{e['detalje']}", style="dim")
        table.add_row(Text(day), Text(e["type"], style="bold"), body)
    console.print(table)


def consequences_panel(label: str, consequences: list[str], new_steps: list[str], code: str) -> Panel:
    body = _lines(consequences) if consequences else Text("")
    if new_steps:
        body.append("\n\nNye trin i guiden: ", style="bold")
        body.append(", ".join(new_steps))
        body.append(f"\nFortsæt med: rettidig resume {code}")
    return Panel(body, title=Text(f"{label} betyder"), border_style="magenta")
