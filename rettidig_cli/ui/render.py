"""Rich output of plans and lists. Every piece of user text goes in as a Text object, so
rich never reads '[bold]' or '[/]' typed by a user as markup."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from rettidig_cli.domain import dates, fit
from rettidig_cli.views.model import Plan
from rettidig_cli.views.overview import OVERDUE, shown_tasks

COLOURS = {"green": "green", "yellow": "yellow", "red": "red", "orange": "dark_orange", "blue": "blue"}


_day = dates.format_iso


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
    counted under it. A table where every column fits with its words whole, else (an 80-column
    terminal, a pipe) a block per case: nothing is ever cut."""
    if not rows and not hidden:
        console.print(Text("Der er ingen sager, der passer. Opret en ny med: rettidig new"))
        return
    cells = [_list_cells(row) for row in rows]
    widths = _list_widths(cells, console.width) if console.width >= WIDE else None
    console.print(_list_table(title, cells, rows, widths) if widths else _list_blocks(title, rows))
    if hidden:
        late = hidden.count(OVERDUE)
        more = f"… og {_number(len(hidden))} {'sag' if len(hidden) == 1 else 'sager'} mere"
        more += f" (heraf {_number(late)} med noget overskredet)" if late else ""
        console.print(Text(f"{more} – se dem alle med: rettidig list --alle", style="bold" if late else ""))


_LIST_COLUMNS = ("Sag", "Barn", "Fase", "Tovholder", "Næste statusmøde", "Skal gøres")
_LIST_ONE_LINE = (0, 4)  # columns never wrapped: the code and the date
_LIST_SHORT = (1, 2, 3)  # the child, the phase and the tovholder: given room first, up to _LIST_SHORT_ROOM
_LIST_SHORT_ROOM = 24
_TODO = 5
_TODO_MIN = 30  # narrower, and "Skal gøres" wraps a few words a line: then the blocks are better
_BULLET = "• "


def _list_cells(row: dict) -> list[str]:
    """A case's line of the table as plain text, to measure (a "Skal gøres" item with its bullet)."""
    child = row["barn"] + (f"\n● {row['placering']}" if row["placering"] else "")
    return [row["kode"], child, row["fase"], row["tovholder"] or "–", _compact(row["naeste_statusmoede"]),
            "\n".join(_BULLET + item for item in shown_tasks(row)) or "–"]


def _compact(iso: str | None) -> str:
    return dates.format_compact(dates.from_iso(iso)) if iso else "–"


def _list_widths(cells: list[list[str]], width: int) -> list[int] | None:
    """Each column's width, when the table fits in `width` with no word broken or cut and "Skal
    gøres" at least _TODO_MIN wide; None when it does not."""
    from rich.cells import cell_len

    columns = list(zip(_LIST_COLUMNS, *cells))
    # The widest line of each column, and its longest word ("● Bekymringsbarn" is one: the dot is
    # not left alone on a line; a bullet stays with its first word).
    natural = [max(cell_len(line) for value in column for line in value.split("\n")) for column in columns]
    words = [max(cell_len(word) for value in column
                 for word in value.replace("● ", "●_").replace(_BULLET, "•_").split()) for column in columns]
    # A task's command stands on its own line, whole (_with_command): it is the column's longest word.
    commands = [cell_len(_BULLET + "rettidig " + line.partition(_COMMAND_AFTER)[2])
                for value in columns[_TODO][1:] for line in value.split("\n") if _COMMAND_AFTER in line]
    words[_TODO] = max([words[_TODO], *commands])
    need = [natural[i] if i in _LIST_ONE_LINE else words[i] for i in range(len(columns))]
    need[_TODO] = max(words[_TODO], min(natural[_TODO], _TODO_MIN))
    room = width - (len(columns) + 1) - 2 * len(columns)  # the borders and a space either side of each cell
    if sum(need) > room:
        return None
    widths, spare = list(need), room - sum(need)
    # The room left: to the names and the phase (a column at a time) up to _LIST_SHORT_ROOM, then
    # to "Skal gøres" up to its longest line, then to the names and the phase again; what is left
    # makes "Skal gøres" as wide as the screen, as the other tables are.
    for grown, limit in ((_LIST_SHORT, _LIST_SHORT_ROOM), ((_TODO,), None), (_LIST_SHORT, None)):
        targets = {i: natural[i] if limit is None else min(natural[i], limit) for i in grown}
        while spare and any(widths[i] < targets[i] for i in grown):
            for i in grown:
                if spare and widths[i] < targets[i]:
                    widths[i], spare = widths[i] + 1, spare - 1
    widths[_TODO] += spare
    return widths


def _list_table(title: str, cells: list[list[str]], rows: list[dict], widths: list[int]):
    from rich.table import Table

    table = Table(title=Text(title), title_justify="left")
    for name, width in zip(_LIST_COLUMNS, widths):
        table.add_column(name, width=width, overflow="fold", no_wrap=name in ("Sag", "Næste statusmøde"))
    for row, line in zip(rows, cells):
        child = Text(row["barn"])
        if row["placering"]:
            child.append(f"\n● {row['placering']}", style=COLOURS.get(row["placering_farve"], ""))
        table.add_row(Text(line[0], style="bold"), child, *(Text(value) for value in line[2:5]),
                      _bullets(shown_tasks(row), LEVEL_STYLES[row["niveau"]]))
    return table


def _bullets(items: list[str], style: str):
    """Items one under the other, each with a bullet and its lines indented under its first word;
    "–" when there are none."""
    if not items:
        return Text("–", style=style)
    from rich.table import Table

    grid = Table.grid()
    grid.add_column(width=len(_BULLET), no_wrap=True)
    grid.add_column(overflow="fold")
    for item in items:
        grid.add_row(Text(_BULLET, style=style), _with_command(item, style))
    return grid


_COMMAND_AFTER = ": rettidig "


def _with_command(item: str, style: str) -> Text:
    """A task that ends with the command doing it: the command on a line of its own, so that it is
    never broken where the screen ends and can be copied whole."""
    text, sep, command = item.partition(_COMMAND_AFTER)
    if not sep:
        return Text(item, style=style)
    return Text.assemble((text + ":", style), "\n", ("rettidig " + command, "bold"))


def _list_blocks(title: str, rows: list[dict]):
    """The morning view on a narrow screen: a block per case, every word on the screen.

    RT-2026-001  C.D. · Børnehave · Bekymringsbarn
    Fase: 4/5 Handling og opfølgning  ·  Tovholder: Ali Demir
    Næste statusmøde: torsdag 10. december 2026
      • Statusmøde næste uge: torsdag 10. december 2026
    """
    parts = [Text(title, style="bold")]
    for row in rows:
        head = Text()
        head.append(row["kode"], style="bold")
        head.append("  ")
        head.append(row["barn"], style="bold")
        for fact in (row.get("aldersgruppe"), row["tilbud"]):
            if fact:
                head.append(f" · {fact}")
        if row["placering"]:
            head.append(" · ")
            head.append(f"● {row['placering']}", style=COLOURS.get(row["placering_farve"], ""))
        facts = Text.assemble(("Fase: ", "dim"), row["fase"], ("  ·  Tovholder: ", "dim"), row["tovholder"] or "–")
        meeting = row["naeste_statusmoede"]
        facts.append("\nNæste statusmøde: ", style="dim")
        facts.append(_day(meeting) if meeting else "–")
        todo = shown_tasks(row)
        style = LEVEL_STYLES[row["niveau"]]
        parts += [Text(""), head, facts,
                  _marked(todo, style) if todo else Text("Intet at gøre lige nu.", style="dim")]
    return Group(*parts)


class _Hanging:
    """Rows of a lead ("  • ", a kind of entry) and a text, the text's further lines indented under
    its first word; no line is padded with spaces to the width of the screen (as a table's are)."""

    def __init__(self, rows: list[tuple[Text, Text]]):
        self.rows = rows
        self.indent = max((lead.cell_len for lead, _ in rows), default=0)

    def __rich_console__(self, console, options):
        for lead, body in self.rows:
            lines = body.wrap(console, max(1, options.max_width - self.indent), overflow="fold")
            for n, line in enumerate(lines):
                line.rstrip()
                first = lead.copy() if n == 0 else Text("")
                first.pad_right(self.indent - first.cell_len)
                yield first + line


def _marked(items: list[str], style: str) -> _Hanging:
    return _Hanging([(Text("  " + _BULLET, style=style), _with_command(item, style)) for item in items])


def _number(n: int) -> str:
    """10.000 with a Danish thousands separator."""
    return f"{n:,}".replace(",", ".")


def print_history(code: str, entries: list[dict], console: Console) -> None:
    """The timeline: a table on a wide screen; on a narrow one each day a heading with its entries
    under it, so the text has the whole width."""
    title = Text(f"Historik for sag {code} – nyeste nederst")
    if console.width >= WIDE:
        console.print(_history_table(title, entries))
        return
    title.stylize("bold")
    parts = [title, Text("")]
    kind_width = max((len(e["type"]) for e in entries), default=0)  # a few fixed words (history.py)
    days: list[tuple[str, list[dict]]] = []
    for e in entries:
        if not days or days[-1][0] != e["dato"]:
            days.append((e["dato"], []))
        days[-1][1].append(e)
    for day, day_entries in days:
        parts.append(Text(_day(day), style="bold cyan"))
        parts.append(_Hanging([(Text(f"  {e['type']:<{kind_width}}  ", style="bold"), _history_text(e))
                               for e in day_entries]))
    console.print(Group(*parts))


def _history_text(e: dict) -> Text:
    body = Text(e["tekst"])
    if e["detalje"]:
        body.append(f"\n{e['detalje']}", style="dim")
    return body


def _history_table(title: Text, entries: list[dict]):
    from rich.table import Table

    table = Table(title=title, title_justify="left", expand=True)
    table.add_column("Dato", no_wrap=True)
    table.add_column("Hvad", no_wrap=True)
    table.add_column("", ratio=1, overflow="fold")
    previous = None
    for e in entries:
        day = _day(e["dato"]) if e["dato"] != previous else ""
        previous = e["dato"]
        table.add_row(Text(day), Text(e["type"], style="bold"), _history_text(e))
    return table


def consequences_panel(label: str, consequences: list[str], new_steps: list[str], code: str) -> Panel:
    body = _lines(consequences) if consequences else Text("")
    if new_steps:
        body.append("\n\nNye trin i guiden: ", style="bold")
        body.append(", ".join(new_steps))
        body.append(f"\nFortsæt med: rettidig resume {code}")
    return Panel(body, title=Text(f"{label} betyder"), border_style="magenta")
