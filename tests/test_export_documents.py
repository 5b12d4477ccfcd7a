"""`rettidig export`: every purpose (handleplan, k-moede, statusmoede, anonym) in every format
(docx, markdown, ics, json, csv), driven through the real entry point (the `cli` fixture).

Each file is read back the way its reader would: Word files with python-docx, calendars with
icalendar, CSV with the csv module, JSON with json. Most cases are made from the example answer
files with the meetings and deadlines moved relative to today, so the tests do not depend on the
day they run; the one test that checks the example's own Danish dates uses the file as it is."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

import docx
import holidays
import pytest
from docx.shared import Cm
from icalendar import Calendar

from conftest import EXAMPLES, MONTHS_DA, ROOT, WEEKDAYS_DA, danish_long, for_abuse_path, raw_connect
from helpers import flat, ok, plan_json

IKAST_EXAMPLE = EXAMPLES / "ikast-svar.toml"
RESEN_EXAMPLE = EXAMPLES / "resen-svar.toml"
EXAMPLE = {"ikast": IKAST_EXAMPLE, "resen": RESEN_EXAMPLE}
DOCUMENT_RULES = tomllib.loads((ROOT / "data" / "documents.toml").read_text(encoding="utf-8"))
STATUSMOEDE = next(p for p in DOCUMENT_RULES["purposes"] if p["id"] == "statusmoede")
# The statusmøde agenda of a guide with the usual meeting (Resen): every part `møde hold` walks.
USUAL_AGENDA = ["Velkommen, og hvem deltager", "Sådan går det lige nu (ORS/CORS ved mødets start)",
                "Opfølgning på aftalerne", "Børnelinealen: er placeringen den samme?",
                "Nye aftaler – hvem gør hvad, og hvornår", "Hvordan var mødet? (SRS/CSRS)", "Næste statusmøde"]
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
CLOSED_DAYS = holidays.Denmark(categories=("public", "optional"), language="da")

SUFFIX = {"docx": "docx", "markdown": "md", "ics": "ics", "json": "json", "csv": "csv"}
AGREEMENT_HEADER_MD = "| Nr. | Hvad | Hvem | Senest | Status |"
CSV_COLUMNS = ["Nr.", "Hvad", "Hvem", "Aftalt", "Senest", "Status", "Seneste bemærkning"]
WRITE_IN_LINE = "\\_" * 60

K_QUESTION = "Skal PPR vurdere sproget?"
K_WISHED = "PPR, sundhedsplejerske"
CHILD = "Ida Marie"  # a child with a real first name, to check it never leaves in headers and calendars


# ---------------------------------------------------------------- dates


def today() -> dt.date:
    return dt.date.today()


def working_day(days_ahead: int) -> dt.date:
    day = today() + dt.timedelta(days=days_ahead)
    while day.weekday() >= 5 or day in CLOSED_DAYS:
        day += dt.timedelta(days=1)
    return day


def meeting_days() -> list[dt.date]:
    """The three status meetings every case here gets: 2, 6 and 10 weeks ahead."""
    return [working_day(days) for days in (14, 42, 70)]


def due_day(index: int) -> dt.date:
    return today() + dt.timedelta(days=30 + 14 * index)


def k_day() -> dt.date:
    return working_day(10)


def summer_day() -> dt.date:
    """A working day in June of a coming year (Danish summer time, UTC+2)."""
    year = today().year + (1 if today() >= dt.date(today().year, 6, 1) else 0)
    day = dt.date(year, 6, 10)
    while day.weekday() >= 5 or day in CLOSED_DAYS:
        day += dt.timedelta(days=1)
    return day


def short(day: dt.date) -> str:
    """How a practitioner types a date: 3-3-2026."""
    return f"{day.day}-{day.month}-{day.year}"


def danish_short(day: dt.date) -> str:
    """A table cell: '3. mar. 2026', 'maj' and 'juni' unabbreviated."""
    month = MONTHS_DA[day.month - 1]
    return f"{day.day}. {month if len(month) <= 4 else month[:3] + '.'} {day.year}"


def danish_day_cells(day: dt.date) -> set[str]:
    """How a meeting's date may be written in a table: in full or with short weekday and month
    ('mandag 7. december 2026' or 'man. 7. dec. 2026')."""
    return {danish_long(day), f"{WEEKDAYS_DA[day.weekday()][:3]}. {danish_short(day)}"}


# ---------------------------------------------------------------- running the CLI


def fails(cli, code: int, *args: str):
    result = cli(list(args))
    assert result.code == code, f"exit {result.code}\nout: {result.out}\nerr: {result.err}"
    assert "Traceback" not in result.err + result.out
    return result


# ---------------------------------------------------------------- cases


def answers(guide: str = "ikast", **changes) -> dict:
    """An example answers file with its meetings and deadlines moved relative to today."""
    data = tomllib.loads(EXAMPLE[guide].read_text(encoding="utf-8"))
    keep = {k: v for k, v in data["statusmoeder"].items() if k in ("tidspunkt", "deltagere")}
    data["statusmoeder"] = {**keep, "datoer": [d.isoformat() for d in meeting_days()]}
    for i, agreement in enumerate(data["aftaler"]):
        if "senest" in agreement:
            agreement["senest"] = due_day(i).isoformat()
    data.update(changes)
    return data


def new_case(cli, tmp_path: Path, data: dict | Path) -> str:
    """A case from an answers dict (written as JSON) or an answers file; Resen's answers have «stikord»."""
    if isinstance(data, Path):
        path, guide = data, "resen" if data == RESEN_EXAMPLE else "ikast"
    else:
        path, guide = tmp_path / f"svar-{len(list(tmp_path.glob('svar-*')))}.json", (
            "resen" if "stikord" in data else "ikast")
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = ok(cli, "new", "--guide", guide, "--answers", str(path)).out
    return out.split("Ny sag: ", 1)[1].split()[0]


def k_moede_answers(with_texts: bool = True, with_meeting: bool = True, with_consent: bool = True) -> dict:
    """Ikast, choosing a K-møde; optionally with the request's question, wished participants,
    the parents' consent and the K-møde itself."""
    extra = {"tvaerfaglig-vej": "k-moede"}
    if with_texts:
        extra |= {"k-moede-spoergsmaal": K_QUESTION, "k-moede-oensket": K_WISHED}
    if with_consent:
        extra["k-moede-samtykke"] = {"svar": "ja", "navn": "Mor", "dato": today().isoformat()}
    if with_meeting:
        extra["k-moede"] = {"dato": k_day().isoformat(), "tidspunkt": "9:30", "deltagere": "Leder, PPR"}
    return answers("ikast", **extra)


def abuse_answers(guide: str = "ikast") -> dict:
    data = answers(guide, sikkerhed={"mistanke": True, "underretning": {
        "dato": today().isoformat(), "modtager": "Familieafdelingen", "hvordan": "Skriftlig underretning",
        "leder_informeret": True}})
    return for_abuse_path(data)


def named_child_answers() -> dict:
    """Ikast with a child called Ida Marie whose name also appears in an agreement and a note."""
    data = answers("ikast")
    data["barn"]["navn"] = CHILD
    data["aftaler"][0]["hvad"] = "Ida leger med to faste kammerater"
    data["statusmoeder"]["deltagere"] = "Mor Hanne, Mette Hansen"
    return data


@pytest.fixture
def ikast(cli, tmp_path) -> str:
    return new_case(cli, tmp_path, answers("ikast"))


@pytest.fixture
def resen(cli, tmp_path) -> str:
    return new_case(cli, tmp_path, answers("resen"))


def hold_meeting(cli, tmp_path: Path, code: str, nr: int, **fields) -> None:
    data = {"dato": today().isoformat(), "foraeldre_deltog": True, **fields}
    path = tmp_path / f"moede-{nr}-{len(list(tmp_path.glob('moede-*')))}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    ok(cli, "møde", "hold", code, str(nr), "--answers", str(path))


def ors(points: list, hvem: str = "Mor") -> dict:
    return {"hvem": hvem, "skema": "ORS", "point": points}


# ---------------------------------------------------------------- exporting


def out_path(tmp_path: Path, til: str, fmt: str) -> Path:
    folder = tmp_path / "ud"
    folder.mkdir(exist_ok=True)
    return folder / f"{til}-{len(list(folder.iterdir()))}.{SUFFIX[fmt]}"


def export(cli, tmp_path: Path, code: str, til: str = "handleplan", fmt: str = "docx", *extra: str) -> Path:
    path = out_path(tmp_path, til, fmt)
    result = ok(cli, "export", code, "--til", til, "--format", fmt, "--out", str(path), *extra)
    assert "er skrevet til" in flat(result.out)
    assert path.is_file()
    return path


def export_fails(cli, tmp_path: Path, code: str, til: str, fmt: str, *extra: str, exit_code: int = 2):
    path = out_path(tmp_path, til, fmt)
    result = fails(cli, exit_code, "export", code, "--til", til, "--format", fmt, "--out", str(path), *extra)
    assert not path.exists()
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".rettidig-")]  # no temp file left
    return result


# ---------------------------------------------------------------- reading Word files


def word(path: Path):
    return docx.Document(str(path))


def styled(doc, style: str) -> list[str]:
    return [p.text for p in doc.paragraphs if p.style.name == style]


def table_rows(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def find_table(doc, *columns: str):
    """The table whose header row starts with these column names."""
    for table in doc.tables:
        if [c.text for c in table.rows[0].cells][:len(columns)] == list(columns):
            return table
    raise AssertionError(f"no table with columns {columns}: {[table_rows(t)[0] for t in doc.tables]}")


def word_sections(doc) -> dict[str, list]:
    """Each Heading 1 with the paragraphs and tables that follow it, in document order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    sections: dict[str, list] = {}
    current = None
    for element in doc.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            p = Paragraph(element, doc)
            if p.style.name == "Heading 1":
                current = sections.setdefault(p.text, [])
            elif current is not None:
                current.append(p)
        elif tag == "tbl" and current is not None:
            current.append(Table(element, doc))
    return sections


def section_text(doc, heading: str) -> str:
    parts = []
    for item in word_sections(doc)[heading]:
        if hasattr(item, "rows"):
            parts += [" | ".join(row) for row in table_rows(item)]
        else:
            parts.append(item.text)
    return "\n".join(parts)


def section_tables(doc, heading: str) -> list:
    return [item for item in word_sections(doc)[heading] if hasattr(item, "rows")]


def word_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    parts += [" | ".join(row) for t in doc.tables for row in table_rows(t)]
    return "\n".join(parts)


# ---------------------------------------------------------------- reading Markdown, calendars, CSV, JSON


def md_sections(text: str) -> dict[str, str]:
    """Each '## ' heading with the text under it (the source line after '---' belongs to none)."""
    sections, current = {}, None
    for line in text.splitlines():
        if line == "---":
            current = None
        elif line.startswith("## "):
            current = line[3:]
            sections[current] = ""
        elif current is not None:
            sections[current] += line + "\n"
    return sections


def events(path: Path) -> list:
    return list(Calendar.from_ical(path.read_bytes()).walk("VEVENT"))


def by_uid(path: Path) -> dict[str, object]:
    return {str(e["UID"]): e for e in events(path)}


def csv_rows(path: Path, delimiter: str = ";") -> list[list[str]]:
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=delimiter))


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- the audit log


def query(home: Path, sql: str, params: tuple = ()) -> list[dict]:
    conn = raw_connect(home / "rettidig.db")
    try:
        return [dict(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()


def last_audit_id(home: Path) -> int:
    return query(home, "SELECT coalesce(max(id), 0) AS n FROM audit_log")[0]["n"]


def exports_since(home: Path, audit_id: int) -> list[tuple]:
    rows = query(home, "SELECT action, case_code, detail FROM audit_log WHERE id > ? AND action = 'eksport' "
                       "ORDER BY id", (audit_id,))
    return [(r["action"], r["case_code"], r["detail"]) for r in rows]


# ================================================================ handleplan as Word


def test_handleplan_docx_structure(cli, tmp_path, ikast):
    ok(cli, "aftale", "status", ikast, "1", "--status", "i gang", "--note", "Kører to gange om ugen")
    doc = word(export(cli, tmp_path, ikast))

    assert styled(doc, "Title") == ["Handleplan"]
    headings = styled(doc, "Heading 1")
    for heading in ("Bekymringen", "Observationer", "Aftaler – hvem gør hvad", "Statusmøder og andre møder",
                    "Forældrenes del", "Næste skridt", "Underskrifter"):
        assert heading in headings
    order = [headings.index(h) for h in ("Bekymringen", "Aftaler – hvem gør hvad", "Underskrifter")]
    assert order == sorted(order)
    assert "Mistanke om vold eller overgreb" not in headings  # only on the abuse path

    agreements = find_table(doc, "Nr.", "Hvad", "Hvem", "Senest", "Status")
    rows = table_rows(agreements)
    assert [r[0] for r in rows[1:]] == ["1", "2"]
    assert rows[1][2] == "Stuens pædagoger" and rows[1][4] == "i gang"
    assert rows[1][1].endswith("i gang – Kører to gange om ugen")  # the agreement's history under its text
    assert rows[2][1] == "Sprogvurdering" and rows[2][4] == "aftalt"
    assert "w:tblHeader" in agreements.rows[0]._tr.xml
    assert "w:tblHeader" not in agreements.rows[1]._tr.xml
    header_runs = [r for c in agreements.rows[0].cells for p in c.paragraphs for r in p.runs]
    assert header_runs and all(r.bold for r in header_runs)
    body_runs = [r for c in agreements.rows[1].cells for p in c.paragraphs for r in p.runs]
    assert not any(r.bold for r in body_runs)


def test_handleplan_docx_tables_all_repeat_their_header_row(cli, tmp_path, ikast):
    doc = word(export(cli, tmp_path, ikast))
    with_header = [t for t in doc.tables if t.rows[0].cells[0].text != "Barn"]  # the fields at the top have none
    assert len(with_header) >= 4
    for table in with_header:
        assert "w:tblHeader" in table.rows[0]._tr.xml


def test_handleplan_docx_page_header_footer_and_properties(cli, tmp_path):
    code = new_case(cli, tmp_path, named_child_answers())
    doc = word(export(cli, tmp_path, code))
    section = doc.sections[0]
    assert abs(section.page_width - Cm(21)) < Cm(0.01)
    assert abs(section.page_height - Cm(29.7)) < Cm(0.01)

    header = "\n".join(p.text for p in section.header.paragraphs)
    assert code in header and "Handleplan" in header
    assert "Ida" not in header and "Marie" not in header
    footer = section.footer._element.xml
    assert "PAGE" in footer and "NUMPAGES" in footer
    assert 'w:fldCharType="begin"' in footer and 'w:fldCharType="end"' in footer

    props = doc.core_properties
    for value in (props.title, props.author, props.comments, props.subject, props.keywords,
                  props.last_modified_by, props.category):
        assert "Ida" not in (value or "")
    assert code in props.title
    # The child's name is in the body (this is the named handleplan), just not in the metadata.
    assert CHILD in word_text(doc)


def test_handleplan_docx_meetings_in_danish_with_signature_table(cli, tmp_path, ikast):
    doc = word(export(cli, tmp_path, ikast))
    first, second, third = meeting_days()
    meetings = table_rows(find_table(doc, "Nr.", "Dato", "Tid", "Møde", "Deltagere", "Status"))
    assert [r[0] for r in meetings[1:]] == ["1", "2", "3"]
    assert all(r[1] in danish_day_cells(d) for r, d in zip(meetings[1:], (first, second, third), strict=True))
    assert all(r[2] == "kl. 14.00" and r[3] == "Statusmøde" and r[5] == "planlagt" for r in meetings[1:])
    assert f"Næste statusmøde: {danish_long(first)} kl. 14.00." in section_text(doc, "Næste skridt")

    (signature,) = section_tables(doc, "Underskrifter")
    rows = table_rows(signature)
    assert rows[0] == ["", "Navn", "Dato", "Underskrift"]
    assert [r[0] for r in rows[1:]] == ["Forælder", "Forælder", "Tovholder"]
    assert all(r[1:] == ["", "", ""] for r in rows[1:])
    assert "Handleplanen er gennemgået med forældrene." in section_text(doc, "Underskrifter")


def test_example_file_as_is_gives_the_example_dates(cli, tmp_path):
    """The unchanged Ikast example: its first meeting is mandag 14. december 2026."""
    code = new_case(cli, tmp_path, IKAST_EXAMPLE)
    doc = word(export(cli, tmp_path, code))
    assert "Næste statusmøde: mandag 14. december 2026 kl. 14.00." in section_text(doc, "Næste skridt")
    meetings = table_rows(find_table(doc, "Nr.", "Dato", "Tid", "Møde", "Deltagere", "Status"))[1:]
    for row, day in zip(meetings, (dt.date(2026, 12, 14), dt.date(2027, 1, 25), dt.date(2027, 3, 8)), strict=True):
        assert row[1] in danish_day_cells(day)
    md = export(cli, tmp_path, code, "handleplan", "markdown").read_text(encoding="utf-8")
    assert "Næste statusmøde: mandag 14. december 2026 kl. 14.00." in md
    assert any(f"| {cell} | kl. 14.00 | Statusmøde |" in md for cell in danish_day_cells(dt.date(2026, 12, 14)))


# ================================================================ handleplan as Markdown


def test_handleplan_markdown_has_the_same_content(cli, tmp_path, ikast):
    ok(cli, "aftale", "status", ikast, "1", "--status", "i gang", "--note", "Kører to gange om ugen")
    text = export(cli, tmp_path, ikast, "handleplan", "markdown").read_text(encoding="utf-8")
    doc = word(export(cli, tmp_path, ikast, "handleplan", "docx"))

    assert text.startswith("# Handleplan\n")
    assert f"*Sag {ikast} · Handleplan*" in text
    assert list(md_sections(text)) == styled(doc, "Heading 1")
    assert AGREEMENT_HEADER_MD in text
    assert "| 2 | Sprogvurdering | Ressourcepædagog |" in text
    assert any(f"| {cell} | kl. 14.00 | Statusmøde |" in text for cell in danish_day_cells(meeting_days()[0]))
    signature = md_sections(text)["Underskrifter"]
    assert "| Forælder |   |   |   |" in signature and "| Tovholder |   |   |   |" in signature
    assert signature.count("| Forælder |") == 2


def test_agreement_note_column_is_left_out_when_no_agreement_has_a_note(cli, tmp_path, ikast):
    text = export(cli, tmp_path, ikast, "handleplan", "markdown").read_text(encoding="utf-8")
    assert "| Nr. | Hvad | Hvem | Senest | Status |\n" in text
    assert "Seneste bemærkning" not in text


# ================================================================ the abuse path


@pytest.mark.parametrize("guide", ["ikast", "resen"])
def test_abuse_path_handleplan_has_no_parent_signature(cli, tmp_path, guide):
    code = new_case(cli, tmp_path, abuse_answers(guide))
    doc = word(export(cli, tmp_path, code))
    headings = styled(doc, "Heading 1")
    assert headings[0] == "Mistanke om vold eller overgreb"
    assert "Familieafdelingen" in section_text(doc, "Mistanke om vold eller overgreb")
    assert "lederen er informeret" in section_text(doc, "Mistanke om vold eller overgreb")
    # The parents' part is left out; only the tovholder signs.
    assert "Forældrenes del" not in headings
    assert "mistanke om vold eller overgreb" in section_text(doc, "Underskrifter")
    signing = [row[0] for t in section_tables(doc, "Underskrifter") for row in table_rows(t)]
    assert "Tovholder" in signing and "Forælder" not in signing
    assert not any(row[0] == "Forælder" for t in doc.tables for row in table_rows(t))
    assert "Handleplanen er gennemgået med forældrene" not in word_text(doc)
    assert "Forældre" not in section_text(doc, "Husk, du også kan få sparring hos").split("\n")

    text = export(cli, tmp_path, code, "handleplan", "markdown").read_text(encoding="utf-8")
    assert "## Mistanke om vold eller overgreb" in text
    assert "## Forældrenes del" not in text
    assert "| Forælder |" not in text


def test_abuse_path_k_moede_request_does_not_involve_the_parents(cli, tmp_path):
    code = new_case(cli, tmp_path, abuse_answers("ikast"))
    doc = word(export(cli, tmp_path, code, "k-moede"))
    headings = styled(doc, "Heading 1")
    assert "Forældrenes syn" not in headings and "Samtykke" not in headings
    assert "Samtykke givet af, dato" not in word_text(doc)
    signing = [row[0] for t in section_tables(doc, "Underskrift") for row in table_rows(t)]
    assert {"Medarbejder", "Ressourcepædagog", "Modtaget af leder"} <= set(signing)


@pytest.mark.parametrize("guide", ["ikast", "resen"])
def test_abuse_path_next_step_does_not_send_the_staff_to_the_parents(cli, tmp_path, guide):
    code = new_case(cli, tmp_path, abuse_answers(guide))
    text = md_sections(export(cli, tmp_path, code, "handleplan", "markdown").read_text(encoding="utf-8"))
    next_step = text["Næste skridt"].lower()
    assert "sammen med forældrene" not in next_step and "med forældrene som aftalt" not in next_step
    assert "kontakt ikke forældrene" in next_step  # it says what not to do instead


# ================================================================ FIT and the Børnelineal


def test_fit_series_and_ruler_positions_appear_in_the_handleplan(cli, tmp_path, resen):
    hold_meeting(cli, tmp_path, resen, 1, fit=[ors([4, 4, 4, 4])])
    hold_meeting(cli, tmp_path, resen, 2, fit=[ors([8, 8, 8, 8])],
                 placering={"placering": "trivsel", "begrundelse": "Legen fungerer igen"})
    ok(cli, "placering", resen, "--placering", "udsat", "--begrundelse", "Sagsbehandler er inddraget")

    doc = word(export(cli, tmp_path, resen))
    fit_table = find_table(doc, "Skema", "Hvem", "Score", "Periode", "Grænse", "Vurdering")
    (row,) = table_rows(fit_table)[1:]
    assert row[0] == "ORS" and row[1] == "Mor"
    assert row[2] == "16 → 32"
    assert row[4] == "25"
    assert "w:tblHeader" in fit_table.rows[0]._tr.xml

    ruler = table_rows(find_table(doc, "Dato", "Placering", "Begrundelse"))
    assert [r[1] for r in ruler[1:]] == ["Bekymringsbarn", "I trivsel", "Udsat barn"]
    assert ruler[-1][2] == "Sagsbehandler er inddraget"
    assert ruler[-1][0] in {danish_short(today()), danish_long(today())}
    assert "Trinene: I trivsel → Bekymringsbarn → Udsat barn." in section_text(doc, "Børnelinealen")
    fields = dict(table_rows(doc.tables[0]))
    assert fields["Børnelinealen"].startswith("Udsat barn")

    text = export(cli, tmp_path, resen, "handleplan", "markdown").read_text(encoding="utf-8")
    assert "| ORS | Mor | 16 → 32 |" in text
    assert "| Udsat barn | Sagsbehandler er inddraget |" in text


def test_handleplan_without_fit_or_ruler_has_no_such_sections(cli, tmp_path, ikast):
    headings = styled(word(export(cli, tmp_path, ikast)), "Heading 1")
    assert "Barnets udvikling målt med FIT" not in headings
    assert "Børnelinealen" not in headings


# ================================================================ K-møde request


K_SECTIONS = ["Bekymringen", "Hvad er observeret, og med hvilke metoder",
              "Trivselstegn, risikofaktorer og beskyttelsesfaktorer", "Hvad er afprøvet", "Forældrenes syn",
              "Barnets perspektiv", "Spørgsmål til K-mødet", "Ønskede deltagere", "Samtykke", "Underskrift"]


def test_k_moede_docx_with_the_request_answers(cli, tmp_path):
    code = new_case(cli, tmp_path, k_moede_answers())
    ok(cli, "aftale", "status", code, "1", "--status", "i gang", "--note", "Virker bedst om formiddagen")
    doc = word(export(cli, tmp_path, code, "k-moede"))

    assert styled(doc, "Title") == ["Anmodning om K-møde"]
    assert styled(doc, "Heading 1") == K_SECTIONS
    assert f"Sag {code} · Anmodning om K-møde" in doc.sections[0].header.paragraphs[0].text
    assert "Trækker sig fra legen" in section_text(doc, "Bekymringen")

    (observations,) = section_tables(doc, "Hvad er observeret, og med hvilke metoder")
    rows = table_rows(observations)
    assert rows[0] == ["Dato", "Hvad", "Metode", "Hvem"]
    assert [r[2] for r in rows[1:]] == ["Systematisk observation i hverdagen", "Praksisfortælling"]

    (tried,) = section_tables(doc, "Hvad er afprøvet")
    rows = table_rows(tried)
    assert rows[0] == ["Hvad", "Hvem", "Aftalt", "Status", "Seneste bemærkning"]
    assert [r[3] for r in rows[1:]] == ["i gang", "aftalt"]
    assert rows[1][4].endswith("Virker bedst om formiddagen")

    assert "Forældrene oplever, at hun sover uroligt." in section_text(doc, "Forældrenes syn")
    assert section_text(doc, "Barnets perspektiv") == "Siger, at de andre ikke vil lege med hende."
    assert section_text(doc, "Spørgsmål til K-mødet") == K_QUESTION
    assert section_text(doc, "Ønskede deltagere") == K_WISHED
    consent = section_text(doc, "Samtykke")
    assert "Samtykke til K-møde: ja, givet af Mor" in consent and danish_long(today()) in consent
    assert "Samtykke er ikke registreret" not in consent

    (signature,) = section_tables(doc, "Underskrift")
    assert [r[0] for r in table_rows(signature)[1:]] == ["Medarbejder", "Ressourcepædagog", "Modtaget af leder"]


def test_k_moede_markdown_with_the_request_answers(cli, tmp_path):
    code = new_case(cli, tmp_path, k_moede_answers())
    text = export(cli, tmp_path, code, "k-moede", "markdown").read_text(encoding="utf-8")
    sections = md_sections(text)
    assert text.startswith("# Anmodning om K-møde\n")
    assert list(sections) == K_SECTIONS
    assert "| Dato | Hvad | Metode | Hvem |" in sections["Hvad er observeret, og med hvilke metoder"]
    assert "| Hvad | Hvem | Aftalt | Status |" in sections["Hvad er afprøvet"]
    assert sections["Spørgsmål til K-mødet"].strip() == K_QUESTION
    assert sections["Ønskede deltagere"].strip() == K_WISHED
    assert "Samtykke til K-møde: ja, givet af Mor" in sections["Samtykke"]
    for heading in ("Spørgsmål til K-mødet", "Ønskede deltagere", "Samtykke"):
        assert WRITE_IN_LINE not in sections[heading]


def test_k_moede_without_the_request_answers_has_write_in_lines(cli, tmp_path, ikast):
    text = export(cli, tmp_path, ikast, "k-moede", "markdown").read_text(encoding="utf-8")
    sections = md_sections(text)
    assert "**Hvad ønsker I drøftet eller afklaret på mødet?**" in sections["Spørgsmål til K-mødet"]
    assert sections["Spørgsmål til K-mødet"].count(WRITE_IN_LINE) == 3
    assert "**Hvem ønsker I med på mødet" in sections["Ønskede deltagere"]
    assert sections["Ønskede deltagere"].count(WRITE_IN_LINE) == 2
    assert "Samtykke er ikke registreret." in sections["Samtykke"]
    assert "**Samtykke givet af, dato**" in sections["Samtykke"]
    assert sections["Samtykke"].count(WRITE_IN_LINE) == 1

    doc = word(export(cli, tmp_path, ikast, "k-moede", "docx"))
    label = next(p for p in word_sections(doc)["Spørgsmål til K-mødet"]
                 if p.text == "Hvad ønsker I drøftet eller afklaret på mødet?")
    assert all(r.bold for r in label.runs)
    lines = [p for p in word_sections(doc)["Spørgsmål til K-mødet"] if p.text == "\t"]
    assert len(lines) == 3
    assert all('w:leader="underscore"' in p._p.xml for p in lines)
    assert any(p.text == "Samtykke givet af, dato" for p in word_sections(doc)["Samtykke"])


def test_k_moede_wished_participants_fall_back_to_the_planned_k_moede(cli, tmp_path):
    code = new_case(cli, tmp_path, k_moede_answers(with_texts=False))
    sections = md_sections(export(cli, tmp_path, code, "k-moede", "markdown").read_text(encoding="utf-8"))
    assert sections["Ønskede deltagere"].strip() == "Leder, PPR"
    assert WRITE_IN_LINE in sections["Spørgsmål til K-mødet"]


# ================================================================ statusmøde


def test_statusmoede_docx_agenda_open_agreements_and_next_meeting(cli, tmp_path, ikast):
    ok(cli, "aftale", "status", ikast, "1", "--status", "udført")
    doc = word(export(cli, tmp_path, ikast, "statusmoede"))
    first, second, _ = meeting_days()

    assert styled(doc, "Title") == ["Statusmøde"]
    assert styled(doc, "Heading 1") == [s["heading"] for s in STATUSMOEDE["sections"] if s["heading"] != "Børnelinealen"]
    # Ikast-Brande's status meeting has no Børnelineal: neither its agenda point nor its section.
    assert styled(doc, "List Number") == USUAL_AGENDA[:3] + USUAL_AGENDA[4:]
    fields = dict(table_rows(doc.tables[0]))
    assert fields["Møde"] == f"Statusmøde nr. 1, {danish_long(first)} kl. 14.00"

    review = table_rows(find_table(doc, "Nr.", "Hvad", "Hvem", "Senest", "Status nu", "Ny status / bemærkning"))
    assert [r[0] for r in review[1:]] == ["2"]  # nr. 1 is done
    assert review[1][1] == "Sprogvurdering" and review[1][5] == ""
    assert "Små legegrupper" not in section_text(doc, "Opfølgning på aftalerne")

    attendance = table_rows(find_table(doc, "Navn", "Til stede"))
    assert [r[0] for r in attendance[1:4]] == ["Forældre", "Mette Hansen", "ressourcepædagog"]
    assert "Der er ingen FIT-målinger endnu." in section_text(doc, "Seneste FIT-målinger")
    assert section_text(doc, "Næste statusmøde") == f"Statusmøde nr. 2, {danish_long(second)} kl. 14.00."


def test_statusmoede_markdown(cli, tmp_path, ikast):
    ok(cli, "aftale", "status", ikast, "2", "--status", "udført")
    text = export(cli, tmp_path, ikast, "statusmoede", "markdown").read_text(encoding="utf-8")
    sections = md_sections(text)
    agenda = USUAL_AGENDA[:3] + USUAL_AGENDA[4:]  # no Børnelineal in Ikast-Brande's guide
    assert [line for line in sections["Dagsorden"].splitlines() if line] == [
        f"{i}. {item}" for i, item in enumerate(agenda, start=1)]
    review = sections["Opfølgning på aftalerne"]
    assert "| Nr. | Hvad | Hvem | Senest | Status nu | Ny status / bemærkning |" in review
    assert "| 1 | Små legegrupper" in review
    assert "Sprogvurdering" not in review
    assert sections["Referat"].count(WRITE_IN_LINE) == 6


def test_statusmoede_shows_latest_fit_and_position(cli, tmp_path, resen):
    hold_meeting(cli, tmp_path, resen, 1, fit=[ors([4, 4, 4, 4]), ors([9, 9, 8, 8], hvem="Far")])
    hold_meeting(cli, tmp_path, resen, 2, fit=[ors([6, 6, 6, 6])])
    ok(cli, "placering", resen, "--placering", "udsat", "--begrundelse", "Sagsbehandler er inddraget")
    doc = word(export(cli, tmp_path, resen, "statusmoede"))  # the next one is nr. 3

    assert dict(table_rows(doc.tables[0]))["Møde"].startswith("Statusmøde nr. 3,")
    fit_table = find_table(doc, "Skema", "Hvem", "Dato", "Score", "Grænse", "Vurdering")
    latest = {r[1]: r for r in table_rows(fit_table)[1:]}
    assert latest["Mor"][3] == "24" and latest["Far"][3] == "34"
    assert latest["Mor"][2] in {danish_short(today()), danish_long(today())}
    position = section_text(doc, "Børnelinealen")
    assert f"Nu: Udsat barn (siden {danish_long(today())}). Sagsbehandler er inddraget" in position
    assert "Ny placering og begrundelse" in position
    # No later status meeting than nr. 3: a line to write the date on.
    assert "Dato og tidspunkt for næste statusmøde" in section_text(doc, "Næste statusmøde")


def test_statusmoede_for_a_chosen_meeting(cli, tmp_path, ikast):
    _, second, third = meeting_days()
    text = export(cli, tmp_path, ikast, "statusmoede", "markdown", "--moede", "2").read_text(encoding="utf-8")
    assert f"- **Møde:** Statusmøde nr. 2, {danish_long(second)} kl. 14.00" in text
    assert md_sections(text)["Næste statusmøde"].strip() == f"Statusmøde nr. 3, {danish_long(third)} kl. 14.00."


def test_statusmoede_for_an_unknown_meeting_is_refused(cli, tmp_path, ikast, data_home):
    before = last_audit_id(data_home)
    for fmt in ("docx", "ics"):
        result = export_fails(cli, tmp_path, ikast, "statusmoede", fmt, "--moede", "99")
        assert "Sagen har intet møde nr. 99" in flat(result.err)
        assert f"rettidig plan {ikast}" in flat(result.err)
    assert exports_since(data_home, before) == []


# ================================================================ JSON


@pytest.mark.both_storages  # the one export round trip run with the encrypted data file too
def test_handleplan_json_holds_the_whole_case(cli, tmp_path, ikast):
    ok(cli, "aftale", "status", ikast, "1", "--status", "i gang", "--note", "Startet")
    data = read_json(export(cli, tmp_path, ikast, "handleplan", "json"))
    assert data["format"] == "rettidig-sag" and data["version"] == 1
    assert data["eksporteret"] == today().isoformat()
    plan = plan_json(cli, ikast)
    assert set(data["sag"]) == set(plan)
    assert data["sag"] == plan
    history = json.loads(ok(cli, "historik", ikast, "--json").out)
    assert data["historik"] == history
    assert any(e["type"] == "Observation" for e in data["historik"])


@pytest.mark.parametrize("til", ["k-moede", "statusmoede"])
def test_document_json_has_the_same_sections_as_the_word_file(cli, tmp_path, til):
    code = new_case(cli, tmp_path, k_moede_answers())
    data = read_json(export(cli, tmp_path, code, til, "json"))
    doc = word(export(cli, tmp_path, code, til, "docx"))
    assert data["format"] == "rettidig-dokument" and data["version"] == 1
    assert "sag" not in data
    document = data["dokument"]
    assert document["formaal"] == til
    assert [document["titel"]] == styled(doc, "Title")
    assert [s["overskrift"] for s in document["afsnit"]] == styled(doc, "Heading 1")
    assert document["hoved"] in doc.sections[0].header.paragraphs[0].text
    assert document["sag"] == code and document["anonym"] is False
    kinds = {b["type"] for s in document["afsnit"] for b in s["blokke"]}
    assert {"afsnit", "tabel"} <= kinds


def test_k_moede_json_blocks_carry_the_request_answers(cli, tmp_path):
    code = new_case(cli, tmp_path, k_moede_answers())
    sections = {s["overskrift"]: s["blokke"] for s in
                read_json(export(cli, tmp_path, code, "k-moede", "json"))["dokument"]["afsnit"]}
    assert sections["Spørgsmål til K-mødet"] == [{"type": "afsnit", "tekst": K_QUESTION}]
    assert sections["Ønskede deltagere"] == [{"type": "afsnit", "tekst": K_WISHED}]
    (observations,) = sections["Hvad er observeret, og med hvilke metoder"]
    assert observations["kolonner"] == ["Dato", "Hvad", "Metode", "Hvem"]


# ================================================================ CSV


def test_handleplan_csv_semicolon_with_bom(cli, tmp_path, ikast):
    ok(cli, "aftale", "status", ikast, "2", "--status", "udført", "--note", "Sprogvurderingen er lavet")
    path = export(cli, tmp_path, ikast, "handleplan", "csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw[3:].decode("utf-8").splitlines()[0] == ";".join(f'"{c}"' for c in CSV_COLUMNS)
    rows = csv_rows(path)
    assert rows[0] == CSV_COLUMNS
    assert [r[0] for r in rows[1:]] == ["1", "2"]  # the handleplan lists every agreement
    first, second = rows[1], rows[2]
    assert first[1] == "Små legegrupper med to faste kammerater tre gange om ugen"
    assert first[2] == "Stuens pædagoger"
    assert first[3] == today().strftime("%d-%m-%Y")
    assert first[4] == due_day(0).strftime("%d-%m-%Y")
    assert (first[5], first[6]) == ("aftalt", "")
    assert (second[5], second[6]) == ("udført", "Sprogvurderingen er lavet")


def test_csv_with_comma(cli, tmp_path, ikast):
    path = export(cli, tmp_path, ikast, "handleplan", "csv", "--skilletegn", "komma")
    assert path.read_text(encoding="utf-8-sig").splitlines()[0] == ",".join(f'"{c}"' for c in CSV_COLUMNS)
    rows = csv_rows(path, ",")
    assert rows[0] == CSV_COLUMNS and len(rows) == 3
    assert all(len(r) == 7 for r in rows)


def test_unknown_separator_is_refused(cli, tmp_path, ikast):
    result = export_fails(cli, tmp_path, ikast, "handleplan", "csv", "--skilletegn", "tab")
    assert "Skilletegnet «tab» kendes ikke" in flat(result.err)


def test_statusmoede_csv_lists_only_open_agreements(cli, tmp_path, ikast):
    ok(cli, "aftale", "ny", ikast, "--hvad", "Tale med PPR", "--hvem", "Leder")
    ok(cli, "aftale", "status", ikast, "1", "--status", "udført")
    ok(cli, "aftale", "status", ikast, "3", "--status", "i gang")
    rows = csv_rows(export(cli, tmp_path, ikast, "statusmoede", "csv"))
    assert rows[0] == CSV_COLUMNS
    assert [(r[0], r[5]) for r in rows[1:]] == [("2", "aftalt"), ("3", "i gang")]
    assert rows[2][4] == ""  # no due date
    k_rows = csv_rows(export(cli, tmp_path, ikast, "k-moede", "csv"))
    assert [r[0] for r in k_rows[1:]] == ["1", "2", "3"]


def test_csv_neutralises_formulas(cli, tmp_path, ikast):
    ok(cli, "aftale", "ny", ikast, "--hvad", "=HYPERLINK(\"http://x\")", "--hvem", "@Leder")
    rows = csv_rows(export(cli, tmp_path, ikast, "handleplan", "csv"))
    assert rows[3][1] == "'=HYPERLINK(\"http://x\")"
    assert rows[3][2] == "'@Leder"


# ================================================================ calendar (ICS)


def test_handleplan_ics_has_every_meeting_and_deadline(cli, tmp_path):
    code = new_case(cli, tmp_path, named_child_answers())
    ok(cli, "aftale", "ny", code, "--hvad", "Tale med PPR", "--hvem", "Leder")  # no due date: no event
    path = export(cli, tmp_path, code, "handleplan", "ics")
    found = by_uid(path)
    assert set(found) == {f"{code}-moede-{n}@rettidig" for n in (1, 2, 3)} | {
        f"{code}-aftale-{n}@rettidig" for n in (1, 2)}

    for n, day in enumerate(meeting_days(), start=1):
        event = found[f"{code}-moede-{n}@rettidig"]
        assert str(event["SUMMARY"]) == f"{code} · Statusmøde nr. {n}"
        assert event["DTSTART"].params["TZID"] == "Europe/Copenhagen"
        start = event.decoded("DTSTART")
        expected = dt.datetime.combine(day, dt.time(14, 0), tzinfo=COPENHAGEN)
        assert start == expected and start.utcoffset() == expected.utcoffset()
        assert (start.hour, start.minute) == (14, 0)
        assert event.decoded("DTEND") - start == dt.timedelta(minutes=60)
        assert str(event["STATUS"]) == "CONFIRMED"
    for n in (1, 2):
        deadline = found[f"{code}-aftale-{n}@rettidig"]
        assert str(deadline["SUMMARY"]) == f"{code} · Frist for aftale nr. {n}"
        assert deadline.decoded("DTSTART") == due_day(n - 1)

    for event in found.values():
        assert str(event["SUMMARY"]).startswith(f"{code} · ")
    text = path.read_bytes().decode("utf-8")
    assert "Ida" not in text and "Marie" not in text and "Hanne" not in text
    assert "barnet leger med to faste kammerater" in str(found[f"{code}-aftale-1@rettidig"]["DESCRIPTION"])


def test_ics_uids_are_stable_across_exports(cli, tmp_path, ikast):
    first = by_uid(export(cli, tmp_path, ikast, "handleplan", "ics"))
    second = by_uid(export(cli, tmp_path, ikast, "handleplan", "ics"))
    assert set(first) == set(second) and len(first) == 5
    for uid, event in first.items():
        assert event.decoded("DTSTART") == second[uid].decoded("DTSTART")
        assert str(event["SUMMARY"]) == str(second[uid]["SUMMARY"])


def test_ics_summer_meeting_keeps_its_local_time(cli, tmp_path, ikast):
    day = summer_day()
    ok(cli, "møde", "ny", ikast, "--dato", short(day), "--tid", "9.30")
    events_ = events(export(cli, tmp_path, ikast, "handleplan", "ics"))
    expected = dt.datetime.combine(day, dt.time(9, 30), tzinfo=COPENHAGEN)
    (event,) = [e for e in events_ if e.decoded("DTSTART") == expected]
    start = event.decoded("DTSTART")
    assert event["DTSTART"].params["TZID"] == "Europe/Copenhagen"
    assert start.utcoffset() == dt.timedelta(hours=2)
    assert start.astimezone(dt.timezone.utc).time() == dt.time(7, 30)


def test_ics_cancelled_and_moved_meetings(cli, tmp_path, ikast):
    ok(cli, "møde", "aflys", ikast, "1", "--ja", "--grund", "Forældrene er bortrejst")
    new_day = working_day(49)
    ok(cli, "møde", "flyt", ikast, "2", "--dato", short(new_day), "--grund", "Ferie", "--ja")
    found = by_uid(export(cli, tmp_path, ikast, "handleplan", "ics"))
    cancelled = found[f"{ikast}-moede-1@rettidig"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) >= 1
    assert "Aflyst: Forældrene er bortrejst" in str(cancelled["DESCRIPTION"])
    assert not cancelled.walk("VALARM")  # no reminder for a cancelled meeting
    moved = found[f"{ikast}-moede-2@rettidig"]
    assert str(moved["STATUS"]) == "CONFIRMED"
    assert moved.decoded("DTSTART").date() == new_day
    assert int(moved["SEQUENCE"]) >= 1
    assert moved.walk("VALARM") and moved.walk("VALARM")[0].decoded("TRIGGER") == dt.timedelta(hours=-24)


def test_ics_sequence_grows_with_every_move(cli, tmp_path, ikast):
    ok(cli, "møde", "flyt", ikast, "2", "--dato", short(working_day(49)), "--ja")
    first = by_uid(export(cli, tmp_path, ikast, "handleplan", "ics"))[f"{ikast}-moede-2@rettidig"]
    ok(cli, "møde", "flyt", ikast, "2", "--dato", short(working_day(56)), "--ja")
    second = by_uid(export(cli, tmp_path, ikast, "handleplan", "ics"))[f"{ikast}-moede-2@rettidig"]
    assert second.decoded("DTSTART").date() == working_day(56)
    assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])


def test_ics_never_holds_a_parents_name_from_an_agreement(cli, tmp_path, ikast):
    ok(cli, "aftale", "ny", ikast, "--hvad", "Cykeltur i weekenden", "--hvem", "Far Jonas",
       "--senest", short(due_day(3)))
    path = export(cli, tmp_path, ikast, "handleplan", "ics")
    description = str(by_uid(path)[f"{ikast}-aftale-3@rettidig"]["DESCRIPTION"])
    assert description.startswith("Cykeltur i weekenden\nHvem: Far")
    assert "Jonas" not in path.read_bytes().decode("utf-8")


def test_statusmoede_ics_has_only_the_chosen_meeting(cli, tmp_path, ikast):
    (event,) = events(export(cli, tmp_path, ikast, "statusmoede", "ics"))
    assert str(event["UID"]) == f"{ikast}-moede-1@rettidig"
    (event,) = events(export(cli, tmp_path, ikast, "statusmoede", "ics", "--moede", "2"))
    assert str(event["UID"]) == f"{ikast}-moede-2@rettidig"
    assert event.decoded("DTSTART") == dt.datetime.combine(meeting_days()[1], dt.time(14), tzinfo=COPENHAGEN)


def test_k_moede_ics_has_the_k_moede(cli, tmp_path):
    code = new_case(cli, tmp_path, k_moede_answers())
    (event,) = events(export(cli, tmp_path, code, "k-moede", "ics"))
    assert str(event["SUMMARY"]) == f"{code} · K-møde"
    assert event.decoded("DTSTART") == dt.datetime.combine(k_day(), dt.time(9, 30), tzinfo=COPENHAGEN)
    assert "Leder, PPR" in str(event["DESCRIPTION"])


def test_k_moede_ics_without_a_k_moede_is_refused(cli, tmp_path, ikast, data_home):
    before = last_audit_id(data_home)
    result = export_fails(cli, tmp_path, ikast, "k-moede", "ics")
    assert "ingen andre møder end statusmøder" in flat(result.err)
    assert exports_since(data_home, before) == []


def test_anonymous_ics_is_refused_and_writes_nothing(cli, tmp_path, ikast, data_home):
    before = last_audit_id(data_home)
    for extra in (["--ja"], []):
        result = export_fails(cli, tmp_path, ikast, "anonym", "ics", *extra)
        message = flat(result.err)
        assert "kan ikke blive en kalenderfil" in message and "præcise datoer" in message
        assert "Brug --format docx eller markdown" in message
    assert exports_since(data_home, before) == []
    assert list((tmp_path / "ud").iterdir()) == []


def test_format_follows_the_file_name(cli, tmp_path, ikast):
    for suffix, check in ((".ics", lambda p: events(p)), (".csv", lambda p: csv_rows(p)),
                          (".json", lambda p: read_json(p)["format"] == "rettidig-sag"),
                          (".md", lambda p: p.read_text(encoding="utf-8").startswith("# Handleplan")),
                          (".txt", lambda p: word(p))):
        path = tmp_path / f"plan{suffix}"
        ok(cli, "export", ikast, "--out", str(path))
        assert check(path)


# ================================================================ anonymous documents


def test_anonymous_export_needs_ja_without_a_terminal(cli, tmp_path, ikast, data_home):
    before = last_audit_id(data_home)
    result = export_fails(cli, tmp_path, ikast, "anonym", "markdown", exit_code=6)
    assert "Intet er skrevet" in flat(result.err)
    assert exports_since(data_home, before) == []


def test_anonymous_document_has_no_names(cli, tmp_path):
    code = new_case(cli, tmp_path, named_child_answers())
    text = export(cli, tmp_path, code, "anonym", "markdown", "--ja").read_text(encoding="utf-8")
    for name in ("Ida", "Marie", "Mette", "Hanne", code):
        assert name not in text
    assert "barnet leger med to faste kammerater" in text
    doc = word(export(cli, tmp_path, code, "anonym", "docx", "--ja"))
    assert code not in doc.sections[0].header.paragraphs[0].text
    assert "Ida" not in word_text(doc) and "Mette" not in word_text(doc)


# ================================================================ the Resen guide and closed cases


def test_resen_handleplan_renders(cli, tmp_path, resen):
    doc = word(export(cli, tmp_path, resen))
    assert styled(doc, "Title") == ["Handleplan"]
    headings = styled(doc, "Heading 1")
    for heading in ("Bekymringen", "Observationer", "Beslutninger", "Aftaler – hvem gør hvad",
                    "Statusmøder og andre møder", "Børnelinealen", "Forældrenes del", "Underskrifter"):
        assert heading in headings
    fields = dict(table_rows(doc.tables[0]))
    assert fields["Tovholder"] == "Ali Demir (pædagog)"
    assert fields["Børnelinealen"].startswith("Bekymringsbarn")
    agreements = table_rows(find_table(doc, "Nr.", "Hvad", "Hvem", "Senest", "Status"))
    assert agreements[1][1] == "Dialogisk læsning i lille gruppe"
    assert agreements[2][1] == "Læse højt hver aften" and agreements[2][3] == ""
    observations = table_rows(find_table(doc, "Dato", "Hvad", "Metode", "Hvem"))
    assert observations[1][2] == "TRAS"
    meetings = table_rows(find_table(doc, "Nr.", "Dato", "Tid", "Møde", "Deltagere", "Status"))
    assert all(r[1] in danish_day_cells(d) for r, d in zip(meetings[1:], meeting_days(), strict=True))
    assert all(r[4].startswith("Forældre") for r in meetings[1:])  # Resen always has the parents there
    assert [r[0] for r in table_rows(section_tables(doc, "Underskrifter")[0])[1:]] == [
        "Forælder", "Forælder", "Tovholder"]

    text = export(cli, tmp_path, resen, "handleplan", "markdown").read_text(encoding="utf-8")
    assert text.startswith("# Handleplan\n")
    assert list(md_sections(text)) == headings
    assert "| 1 | Dialogisk læsning i lille gruppe | Pædagog Ali |" in text
    assert "| Bekymringsbarn |" in md_sections(text)["Børnelinealen"]


@pytest.mark.parametrize("fmt", ["docx", "markdown", "ics", "json", "csv"])
def test_closed_case_still_exports(cli, tmp_path, ikast, fmt):
    ok(cli, "luk", ikast, "--grund", "Barnet er flyttet")
    path = export(cli, tmp_path, ikast, "handleplan", fmt)
    if fmt == "docx":
        doc = word(path)
        fields = dict(table_rows(doc.tables[0]))
        assert fields["Lukket"] == f"{danish_long(today())}: Barnet er flyttet"
        assert section_text(doc, "Næste skridt") == "Sagen er lukket."
    elif fmt == "markdown":
        text = path.read_text(encoding="utf-8")
        assert f"- **Lukket:** {danish_long(today())}: Barnet er flyttet" in text
    elif fmt == "ics":
        meetings = [e for e in events(path) if "-moede-" in str(e["UID"])]
        assert len(meetings) == 3 and all(str(e["STATUS"]) == "CANCELLED" for e in meetings)
    elif fmt == "json":
        assert read_json(path)["sag"]["status"] == "lukket"
    else:
        assert len(csv_rows(path)) == 3


def test_closed_case_statusmoede_document_says_no_meeting_is_planned(cli, tmp_path, ikast):
    ok(cli, "luk", ikast, "--grund", "Barnet er flyttet")
    doc = word(export(cli, tmp_path, ikast, "statusmoede"))
    assert dict(table_rows(doc.tables[0]))["Møde"] == "Intet statusmøde er planlagt – datoen aftales"
    result = export_fails(cli, tmp_path, ikast, "statusmoede", "ics")
    assert "intet planlagt statusmøde" in flat(result.err)


# ================================================================ the audit log


ALL_EXPORTS = [(til, fmt) for til in ("handleplan", "k-moede", "statusmoede") for fmt in SUFFIX] + [
    ("anonym", fmt) for fmt in ("docx", "markdown", "json", "csv")]


@pytest.mark.parametrize("til,fmt", ALL_EXPORTS, ids=[f"{t}-{f}" for t, f in ALL_EXPORTS])
def test_every_export_writes_one_audit_row(cli, tmp_path, data_home, til, fmt):
    code = new_case(cli, tmp_path, k_moede_answers())
    before = last_audit_id(data_home)
    extra = ["--ja"] if til == "anonym" else []
    export(cli, tmp_path, code, til, fmt, *extra)
    assert exports_since(data_home, before) == [("eksport", code, f"{til}/{fmt}")]


def test_audit_detail_uses_the_purpose_id_for_an_alias(cli, tmp_path, ikast, data_home):
    before = last_audit_id(data_home)
    path = tmp_path / "anmodning.md"
    ok(cli, "export", ikast, "--til", "k-møde", "--format", "md", "--out", str(path))
    ok(cli, "export", ikast, "--til", "plan", "--out", str(tmp_path / "plan.docx"))
    assert exports_since(data_home, before) == [("eksport", ikast, "k-moede/markdown"),
                                                ("eksport", ikast, "handleplan/docx")]


def test_refused_overwrite_writes_no_audit_row(cli, tmp_path, ikast, data_home):
    path = export(cli, tmp_path, ikast, "handleplan", "markdown")
    original = path.read_bytes()
    before = last_audit_id(data_home)
    result = fails(cli, 2, "export", ikast, "--format", "markdown", "--out", str(path))
    assert "findes allerede" in flat(result.err)
    assert path.read_bytes() == original
    assert exports_since(data_home, before) == []
    ok(cli, "export", ikast, "--format", "markdown", "--out", str(path), "--overskriv")
    assert exports_since(data_home, before) == [("eksport", ikast, "handleplan/markdown")]


@pytest.mark.parametrize("purpose, fmt", [("anonym", "markdown"), ("anonym", "docx"), ("anonym", "json"),
                                          ("anonym", "csv"), ("handleplan", "ics")])
def test_a_case_stopped_before_the_child_is_named_can_be_exported(cli, tmp_path, purpose, fmt):
    """A case is saved from its first answer: one that stopped at the child's name exports too
    (the anonymous and calendar writers used to fail on the missing name)."""
    path = tmp_path / "svar.json"
    path.write_text(json.dumps({"sikkerhed": False}), encoding="utf-8")
    out = ok(cli, "new", "--guide", "ikast", "--answers", str(path)).out
    code = out.split("Ny sag: ", 1)[1].split()[0]
    args = ["export", code, "--til", purpose, "--format", fmt, "--out", str(tmp_path / f"ud.{fmt}")]
    result = cli(args + (["--ja"] if purpose == "anonym" else []))
    assert result.code == 0, result.err
    assert (tmp_path / f"ud.{fmt}").stat().st_size > 0
