"""A document (documents.build) as Markdown. Every piece of user text is escaped, so a name, a
'<script>' or a '|' in a note is shown as typed and never becomes markup, HTML or a table cell."""

from __future__ import annotations

import re

from rettidig_cli.ui.output import clean_tree
from rettidig_cli.domain.privacy import printable

# Characters that mean something anywhere in a line (emphasis, code, links, HTML, table cells).
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
# What would start a heading, list, quote or thematic break at the start of a line.
_LINE_START = re.compile(r"^([-+=#>])|^(\d+)([.)])")


def inline(text: str | None) -> str:
    """User text inside a line (a table cell, after a label): special characters escaped."""
    return _SPECIAL.sub(r"\\\1", " ".join((text or "").split("\n")).strip())


def md(text: str | None) -> str:
    """One line of user text as literal Markdown, also where it starts a line."""
    return _LINE_START.sub(lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3),
                           inline(text))


def block(text: str | None) -> str:
    """User text that may span lines: each line escaped, line breaks kept as hard breaks."""
    lines = [md(line) for line in (text or "").split("\n")]
    return "  \n".join(line for line in lines if line) or " "


def cell(text: str | None) -> str:
    """A table cell: escaped, and line breaks kept inside the row."""
    return "<br>".join(inline(line) for line in (text or "").split("\n") if line.strip()) or " "


def _table(columns: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(cell(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    return out + ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]


def _block(b: dict) -> list[str]:
    kind = b["type"]
    if kind == "afsnit":
        return [block(b["tekst"])]
    if kind == "punkter":
        return [f"- {block(x)}" for x in b["punkter"]]
    if kind == "nummereret":
        return [f"{i}. {block(x)}" for i, x in enumerate(b["punkter"], start=1)]
    if kind == "tabel":
        return _table(b["kolonner"], b["raekker"])
    if kind == "udfyld":
        label = [f"**{inline(b['label'])}**", ""] if b["label"] else []
        return label + ["\\_" * 60 + "  " for _ in range(b["linjer"])]
    if kind == "underskrift":
        return _table(["", "Navn", "Dato", "Underskrift"], [[p, "", "", ""] for p in b["parter"]])
    raise ValueError(f"unknown block type {kind}")


def document(doc: dict) -> str:
    # The output boundary for a Markdown file: every text cleaned as it enters the file, and the
    # whole file once more, so nothing added here later can bring an escape or bidi character in.
    doc = clean_tree(doc)
    out = [f"# {md(doc['titel'])}", "", f"*{md(doc['hoved'])}*", ""]
    if doc["undertitel"]:
        out += [md(doc["undertitel"]), ""]
    if doc["indledning"]:
        out += [block(doc["indledning"]), ""]
    out += [f"- **{inline(label)}:** {inline(value)}" for label, value in doc["felter"]]
    for section in doc["afsnit"]:
        out += ["", f"## {md(section['overskrift'])}"]
        for b in section["blokke"]:
            out += [""] + _block(b)
    if doc["kilde"]:
        out += ["", "---", "", f"Kilde: {md(doc['kilde'])}"]
    return printable("\n".join(out) + "\n")
