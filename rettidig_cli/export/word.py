"""A document (documents.build) as a Word file (DOCX) that a leader can print and journalise:
A4, real headings and lists, tables with a repeated header row, page numbers, and the case code
(never the child's name) in the page header and the file's properties. Black and grey only, so
it reads the same when printed in black and white."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor, Twips
from lxml import etree

from rettidig_cli.domain import dates
from rettidig_cli.ui.output import clean_tree

TEXT_WIDTH_CM = 17.0
INK = RGBColor(0, 0, 0)
GREY = RGBColor(0x40, 0x40, 0x40)
HEADER_FILL = "D9D9D9"
LABEL_FILL = "F2F2F2"


def _set(element, tag: str, **attrs) -> None:
    child = OxmlElement(tag)
    for key, value in attrs.items():
        child.set(qn(f"w:{key}"), value)
    element.append(child)


def _field(paragraph, instruction: str) -> None:
    """A Word field such as PAGE or NUMPAGES, updated by Word and LibreOffice when shown."""
    run = paragraph.add_run()
    _set(run._r, "w:fldChar", fldCharType="begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._r.append(instr)
    _set(run._r, "w:fldChar", fldCharType="separate")
    text = OxmlElement("w:t")
    text.text = "1"
    run._r.append(text)
    _set(run._r, "w:fldChar", fldCharType="end")


def _styles(doc) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10.5)
    normal.paragraph_format.space_after = Pt(4)
    _set(normal.element.get_or_add_rPr(), "w:lang", val="da-DK")  # Danish spelling and hyphenation
    for name, size in (("Title", 20), ("Heading 1", 13.5), ("Heading 2", 11.5)):
        style = doc.styles[name]
        style.font.color.rgb = INK
        style.font.size = Pt(size)
        style.font.name = "Calibri"
        style.paragraph_format.keep_with_next = True
    doc.styles["Heading 1"].paragraph_format.space_before = Pt(14)
    # The template's title has a coloured rule under it; a plain black one prints better.
    ppr = doc.styles["Title"].element.get_or_add_pPr()
    for border in ppr.findall(qn("w:pBdr")):
        ppr.remove(border)
    borders = OxmlElement("w:pBdr")
    _set(borders, "w:bottom", val="single", sz="8", space="4", color="000000")
    ppr.append(borders)


def _page(doc, header: str, printed: str) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(1.8)
    top = section.header.paragraphs[0]
    tabs = top.paragraph_format.tab_stops
    # The template's header style has Letter-sized tab stops; clear them and align to A4's margin.
    for inherited in (Twips(4680), Twips(9360)):
        tabs.add_tab_stop(inherited, WD_TAB_ALIGNMENT.CLEAR)
    tabs.add_tab_stop(Cm(TEXT_WIDTH_CM), WD_TAB_ALIGNMENT.RIGHT)
    run = top.add_run(header)
    run.bold = True
    top.add_run(f"\t{printed}").font.color.rgb = GREY
    for r in top.runs:
        r.font.size = Pt(9)
    bottom = section.footer.paragraphs[0]
    bottom.alignment = WD_ALIGN_PARAGRAPH.CENTER
    bottom.add_run("Side ")
    _field(bottom, "PAGE")
    bottom.add_run(" af ")
    _field(bottom, "NUMPAGES")
    for r in bottom.runs:
        r.font.size = Pt(9)


def _widths(columns: list[str], rows: list[list[str]]) -> list[float]:
    """Column widths in cm: each column gets room for its longest word (so 'Nr.' and 'Status' are
    never split), and the rest of the line goes to the columns with the most text. A column left
    empty to be written in by hand counts as one with a fair amount of text."""
    char_cm, padding_cm, write_in_chars = 0.23, 0.35, 25
    minimum, extra = [], []
    for i, name in enumerate(columns):
        cells = [row[i] or "" for row in rows]
        longest = max(len(word) for cell in [name, *cells] for word in (cell.split() or [""]))
        minimum.append(min(longest, 22) * char_cm + padding_cm)
        average = sum(len(cell) for cell in cells) / max(len(cells), 1)
        extra.append((average if any(cells) else write_in_chars) * char_cm)
    spare = TEXT_WIDTH_CM - sum(minimum)
    if spare <= 0:
        return [TEXT_WIDTH_CM * m / sum(minimum) for m in minimum]
    return [m + spare * e / sum(extra) for m, e in zip(minimum, extra)]


# A character XML cannot hold: lxml refuses one when python-docx sets a text, so the rows built
# here as text refuse it too (the cleaning in document() has removed them before we get here).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_RUN_BREAKS = re.compile(r"([\t\r\n])")
_DOCUMENT_PART = "word/document.xml"
_ROWS_PER_CHUNK = 256


def _escape(text: str) -> str:
    """Text as XML character data (xml.sax.saxutils.escape would import urllib, http and ssl)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _marker(number: int) -> str:
    return f"rettidig-rows-{number}"


def _run_xml(value: str | None, bold: bool) -> str:
    """One w:r exactly as python-docx's add_run writes it and lxml serialises it: a tab becomes
    w:tab, a line break w:br, the text between them a w:t (kept with its spaces when it starts or
    ends with one), and a run without content is <w:r/>."""
    parts = ["<w:rPr><w:b/></w:rPr>"] if bold else []
    if value:
        if _NOT_XML.search(value):
            raise ValueError("All strings must be XML compatible: Unicode or ASCII, "
                             "no NULL bytes or control characters")
        for piece in _RUN_BREAKS.split(value):
            if piece == "\t":
                parts.append("<w:tab/>")
            elif piece in ("\r", "\n"):
                parts.append("<w:br/>")
            elif piece:
                space = ' xml:space="preserve"' if len(piece.strip()) < len(piece) else ""
                parts.append(f"<w:t{space}>{_escape(piece)}</w:t>")
    return f"<w:r>{''.join(parts)}</w:r>" if parts else "<w:r/>"


class _Rows:
    """A table's w:tr rows, written as XML text straight into the saved file (see _with_rows):
    python-docx's add_row and cell objects cost about a millisecond a row, and the rows as lxml
    elements several kilobytes each. The text is what python-docx wrote for the same calls."""

    def __init__(self, all_rows: list[list[str]], widths: list[float], header: bool,
                 row_height: float | None, label_fill: str | None):
        self.all_rows, self.header, self.row_height, self.label_fill = all_rows, header, row_height, label_fill
        self.twips = [str(Cm(width).twips) for width in widths]
        self.height = f'<w:trHeight w:val="{Cm(row_height or 0.9).twips}"/>'

    def _row(self, r: int, values: list[str]) -> str:
        if len(values) > len(self.twips):
            raise IndexError("a table row has more cells than the table has columns")
        head = self.header and r == 0
        out = ['<w:tr><w:trPr><w:cantSplit w:val="true"/>']
        if r >= (1 if self.header else 0) and (self.row_height or not any(values)):
            out.append(self.height)  # room to write by hand
        if head:
            # Repeat the header row at the top of each page when a table runs over a page break.
            out.append('<w:tblHeader w:val="true"/>')
        out.append("</w:trPr>")
        for c, value in enumerate(values):
            fill = HEADER_FILL if head else (self.label_fill if c == 0 else None)
            out.append(f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{self.twips[c]}"/>')
            if fill:
                out.append(f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>')
            out.append('</w:tcPr><w:p><w:pPr><w:spacing w:after="0"/></w:pPr>')
            out.append(_run_xml(value, bool(fill)))
            out.append("</w:p></w:tc>")
        for c in range(len(values), len(self.twips)):  # a short row: the rest are empty cells
            out.append(f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{self.twips[c]}"/></w:tcPr><w:p/></w:tc>')
        out.append("</w:tr>")
        return "".join(out)

    def chunks(self):
        """The rows as UTF-8, a few hundred at a time (never the whole table in memory at once)."""
        for start in range(0, len(self.all_rows), _ROWS_PER_CHUNK):
            rows = self.all_rows[start:start + _ROWS_PER_CHUNK]
            yield "".join(self._row(r, values) for r, values in enumerate(rows, start)).encode("utf-8")


def _table(doc, tables: list[_Rows], columns: list[str], rows: list[list[str]], header: bool = True,
           widths=None, row_height: float | None = None, label_fill: str | None = None):
    """A table; with label_fill, the first column is bold on that fill (a form's labels). Its rows
    are added to `tables` and put in the file when it is saved; the table holds a marker till then."""
    table = doc.add_table(rows=0, cols=len(columns))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False
    widths = widths or _widths(columns, rows)
    for c, width in enumerate(widths):  # the grid is what LibreOffice reads, the cells what Word reads
        table.columns[c].width = Cm(width)
    all_rows = ([columns] if header else []) + rows
    # A comment cannot come from a text (lxml writes every < in one as &lt;), so the marker is unique.
    table._tbl.append(etree.Comment(_marker(len(tables))))
    tables.append(_Rows(all_rows, widths, header, row_height, label_fill))
    doc.add_paragraph().paragraph_format.space_after = Pt(2)


def _with_rows(saved: bytes, tables: list[_Rows]) -> bytes:
    """The saved file again, with each table's marker in word/document.xml replaced by its rows;
    the document part is compressed as it is written, the other parts are copied unchanged."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(saved)) as source, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename != _DOCUMENT_PART:
                target.writestr(info, data)
                continue
            with target.open(info, "w") as stream:
                for number, table in enumerate(tables):
                    before, found, data = data.partition(f"<!--{_marker(number)}-->".encode())
                    if not found:
                        raise RuntimeError(f"table {number} is missing from the Word document")
                    stream.write(before)
                    for chunk in table.chunks():
                        stream.write(chunk)
                stream.write(data)
    return out.getvalue()


def _write_in(doc, label: str, lines: int) -> None:
    if label:
        title = doc.add_paragraph()
        title.add_run(label).bold = True
        title.paragraph_format.keep_with_next = True
    for number in range(lines):
        line = doc.add_paragraph()
        line.paragraph_format.space_before = Pt(10)
        line.paragraph_format.keep_with_next = number < lines - 1  # the lines stay on one page
        line.paragraph_format.tab_stops.add_tab_stop(Cm(TEXT_WIDTH_CM), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.LINES)
        line.add_run("\t")


def _block(doc, tables: list[_Rows], b: dict) -> None:
    kind = b["type"]
    if kind == "afsnit":
        doc.add_paragraph(b["tekst"])
    elif kind in ("punkter", "nummereret"):
        style = "List Bullet" if kind == "punkter" else "List Number"
        for item in b["punkter"]:
            doc.add_paragraph(item, style=style)
    elif kind == "tabel":
        _table(doc, tables, b["kolonner"], b["raekker"])
    elif kind == "udfyld":
        _write_in(doc, b["label"], b["linjer"])
    elif kind == "underskrift":
        _table(doc, tables, ["", "Navn", "Dato", "Underskrift"], [[p, "", "", ""] for p in b["parter"]],
               widths=[4.2, 5.0, 2.8, 5.0], row_height=1.3)
    else:
        raise ValueError(f"unknown block type {kind}")


def document(doc_data: dict) -> bytes:
    # The output boundary for a Word file: every text cleaned before python-docx puts it in the
    # XML (which would keep a bidi override or an 8-bit CSI, and refuse a C0 control outright).
    doc_data = clean_tree(doc_data)
    doc = Document()
    tables: list[_Rows] = []
    _styles(doc)
    printed = doc_data["udskrevet"]
    if not doc_data["anonym"]:
        printed = "Udskrevet " + dates.format_iso(printed)
    _page(doc, doc_data["hoved"], printed)
    props = doc.core_properties
    # The file's own properties travel with it: the case code at most, never the child's name.
    props.title = doc_data["hoved"]
    props.subject = doc_data["titel"]
    props.author = props.last_modified_by = "rettidig"
    props.comments = props.keywords = props.category = ""
    props.language = "da-DK"
    stamp = dt.datetime.now().replace(microsecond=0)
    if doc_data["anonym"]:
        stamp = stamp.replace(day=1, hour=0, minute=0, second=0)
    props.created = props.modified = stamp
    props.revision = 1

    doc.add_heading(doc_data["titel"], 0)
    if doc_data["undertitel"]:
        sub = doc.add_paragraph()
        run = sub.add_run(doc_data["undertitel"])
        run.italic = True
        run.font.color.rgb = GREY
    if doc_data["kilde"]:
        source = doc.add_paragraph()
        run = source.add_run(f"Kilde: {doc_data['kilde']}")
        run.font.size = Pt(8.5)
        run.font.color.rgb = GREY
    if doc_data["indledning"]:
        doc.add_paragraph(doc_data["indledning"])
    if doc_data["felter"]:
        _table(doc, tables, ["", ""], [list(f) for f in doc_data["felter"]], header=False, widths=[3.6, 13.4],
               label_fill=LABEL_FILL)
    for section in doc_data["afsnit"]:
        doc.add_heading(section["overskrift"], 1)
        for b in section["blokke"]:
            _block(doc, tables, b)
    buffer = io.BytesIO()
    doc.save(buffer)
    return _with_rows(buffer.getvalue(), tables)
