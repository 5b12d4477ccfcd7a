"""Rich output of plans and lists. Every piece of user text goes in as a Text object, so
rich never reads '[bold]' or '[/]' typed by a user as markup."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from rettidig_cli.domain import dates, fit
from rettidig_cli.views.model import Plan
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


# A section's border on the screen, by its tone (documents.build(screen=True)).
_TONE_STYLES = {"alarm": "red", "naeste": "green", "": ""}


def document_renderable(doc: dict):
    """A document (documents.build) on the screen: the same sections and blocks the Word and
    Markdown writers put on paper, each section in a panel."""
    head = Text()
    head.append(doc["hoved"], style="bold")
    if doc["undertitel"]:
        head.append(f"  ·  {doc['undertitel']}", style="dim")
    for label, value in doc["felter"]:
        head.append("\n")
        head.append(_field(label, value, "bold cyan" if label == "Tovholder" else ""))
    parts = [Panel(head, border_style="cyan")]
    if doc["indledning"]:
        parts.append(Text(doc["indledning"]))
    for section in doc["afsnit"]:
        tone = section.get("tone", "")
        parts.append(_Section(section["overskrift"], [_screen_block(b, tone) for b in section["blokke"]], tone))
    return Group(*parts)


class _Section:
    """A section in a panel under its heading; on a wide screen a section that is one table is
    the table itself, titled with the heading (a table inside a panel is measured twice)."""

    def __init__(self, heading: str, body: list, tone: str):
        self.heading, self.body, self.tone = heading, body, tone

    def __rich_console__(self, console, options):
        if len(self.body) == 1 and isinstance(self.body[0], _Rows) and options.max_width >= WIDE:
            table = _table(self.body[0].columns, self.body[0].rows)
            table.title, table.title_justify, table.title_style = Text(self.heading), "left", "bold"
            yield table
            return
        yield Panel(Group(*self.body), title=Text(self.heading), title_align="left",
                    border_style=_TONE_STYLES[self.tone])


def _screen_block(b: dict, tone: str):
    kind = b["type"]
    if kind == "afsnit":
        return Text(b["tekst"], style="bold" if tone == "alarm" else "")
    if kind == "punkter":
        return _lines(b["punkter"], "! " if tone == "alarm" else "• ")
    if kind == "nummereret":
        return Text("\n".join(f"{i}. {item}" for i, item in enumerate(b["punkter"], start=1)))
    if kind == "tabel":
        return _Rows(b["kolonner"], b["raekker"])
    if kind == "udfyld":  # a line to write on, on paper; on the screen: not filled in yet
        return Text(f"{b['label']} (ikke udfyldt)" if b["label"] else "(ikke udfyldt)", style="dim")
    if kind == "underskrift":
        return Text(f"Underskrives af: {', '.join(b['parter'])}", style="dim")
    if kind == "kommando":
        return Text.assemble((f"{b['label']}: ", "dim"), (b["kommando"], "bold"))
    if kind == "graf":
        return fit_chart(b["serie"])
    raise ValueError(f"unknown block type {kind}")


# Below this width a table is shown as one card per row: five columns in 80 do not fit.
WIDE = 100
# First columns whose value needs no name on a card.
_DATE_COLUMNS = ("Dato", "Hvornår")


class _Rows:
    """A table of a document, laid out when the width is known: a table on a wide screen, a card
    per row on a narrow one (and in a pipe, which rich takes as 80 columns)."""

    def __init__(self, columns: list[str], rows: list[list[str]]):
        self.columns, self.rows = columns, rows

    def __rich_console__(self, console, options):
        if options.max_width >= WIDE:
            yield _table(self.columns, self.rows, boxed=False)  # inside its section's panel
        else:
            yield _cards(self.columns, self.rows)


def _cards(columns: list[str], rows: list[list[str]]) -> Text:
    """Each row as a short card: its first cell as the title ("Nr. 2", a date), short cells after
    it with their column names, long ones on lines of their own. Nothing is cut."""
    text = Text()
    for n, row in enumerate(rows):
        if n:
            text.append("\n")
        name, value = columns[0], row[0] or "–"
        if name.endswith("."):  # "Nr. 2"
            text.append(f"{name} {value}", style="bold")
        elif name in _DATE_COLUMNS:  # a date says what it is
            text.append(value, style="bold")
        else:
            text.append(f"{name}: ", style="dim")
            text.append(value, style="bold")
        short = [(name, value) for name, value in zip(columns[1:], row[1:]) if value and len(value) <= 24
                 and "\n" not in value]
        for name, value in short:
            text.append(f" · {name}: ", style="dim")
            text.append(value)
        for name, value in zip(columns[1:], row[1:]):
            if value and (name, value) not in short:
                head, _, rest = value.partition("\n")
                text.append(f"\n  {name}: ", style="dim")
                text.append(head)
                if rest:
                    text.append("\n  " + rest.replace("\n", "\n  "), style="dim")
    return text


def _table(columns: list[str], rows: list[list[str]], boxed: bool = True):
    """A table as wide as the screen, boxed under its section's heading or plain inside a panel:
    short columns (dates, numbers, names) keep their width, long ones share the rest; a cell's
    second line (a note, a reason) dimmed."""
    from rich import box
    from rich.table import Table

    table = Table(expand=True, box=box.ROUNDED if boxed else box.SIMPLE_HEAD, show_edge=boxed,
                  border_style="dim", padding=(0, 1), pad_edge=boxed)
    for i, name in enumerate(columns):
        longest = max((len(line) for row in rows for line in [name, *row[i].split("\n")]), default=0)
        # Folded, never cut: a long word is broken, never hidden.
        table.add_column(name, overflow="fold", ratio=min(longest, 60) if longest > 24 else None)
    for row in rows:
        cells = []
        for value in row:
            first, _, rest = value.partition("\n")
            cell = Text(first)
            if rest:
                cell.append("\n" + rest, style="dim")
            cells.append(cell)
        table.add_row(*cells)
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
    """The handleplan on the screen: the handleplan document, as the exports have it."""
    from rettidig_cli.guide.reference import document_rules
    from rettidig_cli.views import documents

    purpose = document_rules().purpose("handleplan")
    console.print(document_renderable(documents.build(plan, purpose, plan.today, screen=True)))


LEVEL_STYLES = {0: "bold red", 1: "bold yellow", 2: "yellow", 3: "magenta", 4: "dim", 5: "dim"}


def print_list(rows: list[dict], console: Console, title: str = "Dine sager – det vigtigste først",
               hidden: list[int] = ()) -> None:
    """The morning view; `hidden` are the urgency levels of the less urgent lines left out,
    counted under the table."""
    if not rows and not hidden:
        console.print(Text("Der er ingen sager, der passer. Opret en ny med: rettidig new"))
        return
    from rich.table import Table

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
    from rich.table import Table

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
