"""`rettidig export` and what may leave the tool in the files it writes.

* The anonymous document ("anonym drøftelse"): no names, initials, case code or exact dates in
  Word, Markdown, JSON or CSV; marked words remembered per case; the preview and the question
  before anything is written.
* Hostile text (HTML, Markdown syntax, control characters, escape sequences, bidi overrides,
  formula starts) written straight into the data file, so every exporter meets it.
* CSV formula injection (OWASP), the file names, overwriting, file mode, temporary files.
* Unit tests of rettidig_cli/domain/anonymize.py, export.default_name, export.target and csvfile.safe_cell.

Everything runs through the real entry point (cli.main) via conftest's `cli` fixture. Dates are
computed from today, so nothing depends on the day the tests run."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import stat
import tomllib
import types
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from conftest import (CTRL_C, DOWN, ENTER, EXAMPLES, MONTHS_DA, UP, db_file, execute, query,
                      working_day_on_or_after)
from helpers import assert_no_traceback, flat, ok, plan_json

IKAST_EXAMPLE = EXAMPLES / "ikast-svar.toml"
CPR = "010203-1234"

FORMATS = {"docx": ".docx", "markdown": ".md", "json": ".json", "csv": ".csv", "ics": ".ics"}
PREFIXES = {"handleplan": "handleplan", "k-moede": "anmodning-k-moede", "statusmoede": "statusmoede",
            "anonym": "anonym-droeftelse"}

# ---------------------------------------------------------------- identifying values of the seeded case

CHILD = "Ida Marie Hansen"
PARENTS = "Hanne og Lars Jensen"
TOVHOLDER = "Birgitte Holm"
INSTITUTION = "Solsikken"
# Every word that names someone, and the institution; matched as whole words, any case.
NAMES = ["Ida", "Idas", "Marie", "Hansen", "Hanne", "Lars", "Jensen", "Birgitte", "Holm", "Kasper",
         "Nielsen", "Sofie", "Lund", INSTITUTION]
INITIALS = ["IMH", "I.M.H", "I. M. H"]
# Exact dates as written in the free text.
TEXT_DATES = ["3/12", "14-12-2026", "2026-12-14", "3. december 2026", "4.12"]

CONCERN = (f"Ida græder ved aflevering 3/12. Idas mor Hanne og far Lars siger, at IMH sover uroligt. "
           f"Birgitte så det i {INSTITUTION} 14-12-2026 og igen 2026-12-14, og 3. december 2026 samt d. 4.12. "
           f"I.M.H. er 3-4 år; mødet er kl. 14.00.")
CONCERN_KEPT = ["græder ved aflevering", "sover uroligt", "3-4 år", "kl. 14.00"]


def today() -> dt.date:
    return dt.date.today()


def month_year(iso: str) -> str:
    day = dt.date.fromisoformat(iso[:10])
    return f"{MONTHS_DA[day.month - 1]} {day.year}"


# ---------------------------------------------------------------- running the CLI


def fails(cli, code: int, *args: str, keys: str | None = None):
    result = cli(list(args), keys=keys)
    assert result.code == code, f"exit {result.code}\nout: {result.out}\nerr: {result.err}"
    assert_no_traceback(result)
    return result


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def export_to(cli, code: str, folder: Path, *args: str, keys: str | None = None) -> Path:
    """Export into an empty folder (made here) and return the one file written."""
    folder.mkdir(parents=True, exist_ok=True)
    assert files_in(folder) == []
    ok(cli, "export", code, "--out", str(folder), *args, keys=keys)
    written = files_in(folder)
    assert len(written) == 1, written
    return written[0]


# ---------------------------------------------------------------- the data file


def redaction_terms(home: Path) -> list[str]:
    return [r["term"] for r in query(home, "SELECT term FROM redaction_terms ORDER BY id")]


# ---------------------------------------------------------------- reading what was written


def docx_parts(path: Path) -> dict[str, str]:
    """Every XML part of a Word file, decoded."""
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name).decode("utf-8") for name in z.namelist()
                if name.endswith(".xml") or name.endswith(".rels")}


def docx_text(path: Path) -> str:
    """All text in a Word file: body, tables, headers, footers, core and app properties, every
    XML part. The created/modified stamps are left out (checked on their own)."""
    texts = []
    for name, xml in docx_parts(path).items():
        root = ElementTree.fromstring(xml.encode("utf-8"))
        for element in root.iter():
            if element.tag.endswith("}created") or element.tag.endswith("}modified"):
                continue
            if element.text and element.text.strip():
                texts.append(element.text)
        texts += [v for element in root.iter() for k, v in element.attrib.items() if name.startswith("docProps")]
    return "\n".join(texts)


def docx_core_stamps(path: Path) -> list[str]:
    root = ElementTree.fromstring(docx_parts(path)["docProps/core.xml"].encode("utf-8"))
    return [e.text for e in root.iter() if e.tag.endswith("}created") or e.tag.endswith("}modified")]


def raw_text(path: Path) -> str:
    """The file's text with its own line endings (CSV rows end in CR LF)."""
    return path.read_bytes().decode("utf-8")


def unescape_markdown(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def csv_rows(text: str, separator: str = ";") -> list[list[str]]:
    assert text.startswith("\ufeff"), "CSV without byte-order mark"
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=separator))


def readable(path: Path) -> str:
    """The text a reader of the file sees, whatever the format."""
    if path.suffix == ".docx":
        return docx_text(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        return unescape_markdown(text)
    if path.suffix == ".json":
        return "\n".join(strings(json.loads(text)))
    if path.suffix == ".csv":
        return "\n".join(cell for row in csv_rows(raw_text(path)) for cell in row)
    return text


def strings(value) -> list[str]:
    """Every string (and dict key) in parsed JSON."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings(v)]]
    return []


# ---------------------------------------------------------------- the Ikast case full of names


def identifying_answers() -> dict:
    """The Ikast example with a named child, parents, staff, an institution and exact dates in the
    free text, on the way to a K-møde; every date computed from today."""
    data = tomllib.loads(IKAST_EXAMPLE.read_text(encoding="utf-8"))
    t = today()
    data["barn"]["navn"] = CHILD
    data["bekymring"] = CONCERN
    data["foraeldre-oplevelse"] = "Hanne fortæller, at Ida sover uroligt; Lars er enig."
    data["barnets-perspektiv"] = "Ida siger, at de andre ikke vil lege med hende."
    data["analyse"] = f"IMH trives dårligt i {INSTITUTION}; Birgitte Holm og Kasper ser det samme."
    data["observationer"] = [
        {"dato": (t - dt.timedelta(days=40)).isoformat(), "hvad": "Ida står ved siden af legen; Sofie så det 2/11.",
         "metode": "Systematisk observation i hverdagen", "hvem": "Pædagog Sofie Lund"},
        {"dato": (t - dt.timedelta(days=5)).isoformat(), "hvad": "Græder ved aflevering i 15 minutter.",
         "metode": "Praksisfortælling", "hvem": "Kasper Nielsen"},
    ]
    data["aftaler"] = [
        {"hvad": "Små legegrupper for Ida med Kasper", "hvem": f"Pædagog {TOVHOLDER}",
         "senest": (t + dt.timedelta(days=30)).isoformat()},
        {"hvad": "Sprogvurdering", "hvem": "Kasper Nielsen og Sofie Lund",
         "senest": (t + dt.timedelta(days=60)).isoformat()},
    ]
    data["tovholder"] = {"navn": TOVHOLDER, "rolle": "pædagog"}
    data["statusmoeder"] = {"rytme_uger": 6, "antal": 2, "tidspunkt": "14:00",
                            "start": working_day_on_or_after(t + dt.timedelta(weeks=3)).isoformat(),
                            "deltagere": f"Hanne Jensen (mor), Lars Jensen (far), {TOVHOLDER}, ressourcepædagog"}
    data["underskrift"] = {"svar": "ja", "navn": PARENTS, "dato": (t - dt.timedelta(days=3)).isoformat()}
    data["tvaerfaglig-vej"] = "k-moede"
    data["k-moede-spoergsmaal"] = f"Hvordan støtter vi Ida i {INSTITUTION}?"
    data["k-moede-samtykke"] = {"svar": "ja", "navn": PARENTS, "dato": (t - dt.timedelta(days=2)).isoformat()}
    data["k-moede"] = {"dato": working_day_on_or_after(t + dt.timedelta(days=10)).isoformat(), "tidspunkt": "10:00",
                       "deltagere": f"Hanne Jensen (mor), PPR, {TOVHOLDER}"}
    return data


def make_case(cli, tmp_path: Path, data: dict | None = None) -> str:
    path = tmp_path / f"svar-{len(list(tmp_path.glob('svar-*')))}.json"
    path.write_text(json.dumps(data or identifying_answers(), ensure_ascii=False), encoding="utf-8")
    out = ok(cli, "new", "--guide", "ikast-brande-dagtilbud", "--answers", str(path)).out
    found = re.search(r"Ny sag: (RT-\d{4}-\d{3})", out)
    assert found, out
    return found.group(1)


@pytest.fixture
def named_case(cli, tmp_path) -> str:
    """The case, plus a status note on agreement 1 (through the flags) naming a parent and a date."""
    code = make_case(cli, tmp_path)
    ok(cli, "aftale", "status", code, "1", "--status", "i gang", "--note", "Hanne ringede 4/12, det går bedre")
    return code


def stored_dates(cli, code: str) -> set[str]:
    """Every date the case holds, as ISO."""
    found = {s[:10] for s in strings(plan_json(cli, code)) if re.match(r"^\d{4}-\d{2}-\d{2}", s)}
    assert len(found) >= 5, found
    return found


def date_forms(iso: str) -> list[str]:
    d = dt.date.fromisoformat(iso)
    return [iso, f"{d.day}-{d.month}-{d.year}", f"{d:%d-%m-%Y}", f"{d.day}.{d.month}.{d.year}", f"{d:%d.%m.%Y}",
            f"{d.day}. {MONTHS_DA[d.month - 1]}", f"{d.day}/{d.month}"]


def assert_anonymous(text: str, code: str, dates: set[str]) -> None:
    for name in NAMES:
        assert not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE), f"name {name!r} in {text!r}"
    for initials in INITIALS:
        assert not re.search(rf"(?<!\w){re.escape(initials)}", text), f"initials {initials!r} in {text!r}"
    for written in TEXT_DATES:
        assert written not in text, f"exact date {written!r} in {text!r}"
    for iso in dates:
        for form in date_forms(iso):
            assert not re.search(rf"(?<![\d.]){re.escape(form)}(?!\d)", text), f"date {form!r} ({iso}) in {text!r}"
    assert code not in text


# ================================================================ 1. the anonymous document


@pytest.mark.parametrize("fmt", ["docx", "markdown", "json", "csv"])
def test_anonymous_export_leaves_out_names_initials_code_and_exact_dates(cli, named_case, tmp_path, fmt):
    dates = stored_dates(cli, named_case)
    path = export_to(cli, named_case, tmp_path / "ud", "--til", "anonym", "--ja", "--skjul", INSTITUTION,
                     "--format", fmt)
    assert path.suffix == FORMATS[fmt]
    text = readable(path)
    assert_anonymous(text, named_case, dates)
    plan = plan_json(cli, named_case)
    if fmt == "csv":
        # the agreements: what, month of the deadline, status, the last note
        assert "Sprogvurdering" in text
        assert "legegrupper for barnet med [navn]" in text
        assert "[navn] ringede [dato], det går bedre" in text
        for a in plan["aftaler"]:
            assert month_year(a["senest"]) in text
        return
    for kept in CONCERN_KEPT:
        assert kept in text
    assert "barnets mor [navn] og far [navn]" in text
    assert "[skjult]" in text
    assert "[dato]" in text
    for o in plan["observationer"]:
        assert month_year(o["dato"]) in text
    assert "Anonym tværfaglig drøftelse" in text


def test_anonymous_word_file_properties_hold_no_code_name_or_day(cli, named_case, tmp_path):
    path = export_to(cli, named_case, tmp_path / "ud", "--til", "anonym", "--ja", "--format", "docx")
    core = docx_parts(path)["docProps/core.xml"]
    assert named_case not in core
    assert "Ida" not in core and "Hansen" not in core
    # created/modified say the month only: the first of it, at midnight
    stamps = docx_core_stamps(path)
    assert stamps and all(re.fullmatch(rf"{today():%Y-%m}-01T00:00:00Z?", s) for s in stamps), stamps
    for name, xml in docx_parts(path).items():
        assert named_case not in xml, name


def test_named_documents_do_show_the_names(cli, named_case, tmp_path):
    """The contrast: a handleplan is for the family and names them (so the checks above can fail)."""
    text = readable(export_to(cli, named_case, tmp_path / "ud", "--format", "markdown"))
    assert CHILD in text and TOVHOLDER in text and named_case in text


def test_marked_word_is_remembered_for_the_case(cli, named_case, tmp_path, data_home):
    first = readable(export_to(cli, named_case, tmp_path / "a", "--til", "anonym", "--ja", "--skjul", INSTITUTION,
                               "--format", "json"))
    assert INSTITUTION not in first and "[skjult]" in first
    assert redaction_terms(data_home) == [INSTITUTION]
    second = readable(export_to(cli, named_case, tmp_path / "b", "--til", "anonym", "--ja", "--format", "json"))
    assert INSTITUTION not in second
    assert "Hvordan støtter vi barnet i [skjult]?" in second
    # marking it again, in another case of letters, does not store it twice
    export_to(cli, named_case, tmp_path / "c", "--til", "anonym", "--ja", "--skjul", INSTITUTION.lower(),
              "--format", "json")
    assert redaction_terms(data_home) == [INSTITUTION]
    rows = query(data_home, "SELECT c.code FROM redaction_terms r JOIN cases c ON c.id = r.case_id")
    assert rows == [{"code": named_case}]


def test_marked_words_are_per_case(cli, named_case, tmp_path, data_home):
    ok(cli, "export", named_case, "--til", "anonym", "--ja", "--skjul", INSTITUTION, "--out", str(tmp_path / "a.md"))
    other = make_case(cli, tmp_path)
    text = readable(export_to(cli, other, tmp_path / "b", "--til", "anonym", "--ja", "--format", "markdown"))
    assert INSTITUTION in text  # nobody marked it for this case


def test_several_marked_words_comma_separated(cli, named_case, tmp_path, data_home):
    text = readable(export_to(cli, named_case, tmp_path / "ud", "--til", "anonym", "--ja",
                              "--skjul", f"{INSTITUTION}, Sprogvurdering", "--format", "csv"))
    assert "Sprogvurdering" not in text
    assert sorted(redaction_terms(data_home)) == sorted([INSTITUTION, "Sprogvurdering"])


@pytest.mark.parametrize("purpose", ["handleplan", "k-moede", "statusmoede"])
def test_skjul_only_with_anonymous_purpose(cli, named_case, tmp_path, data_home, purpose):
    folder = tmp_path / "ud"
    folder.mkdir()
    result = fails(cli, 2, "export", named_case, "--til", purpose, "--skjul", INSTITUTION, "--out", str(folder))
    assert "--skjul bruges kun med --til anonym" in flat(result.err)
    assert files_in(folder) == []
    assert redaction_terms(data_home) == []


def test_skjul_refuses_a_cpr_number_without_echoing_it(cli, named_case, tmp_path, data_home):
    folder = tmp_path / "ud"
    folder.mkdir()
    result = fails(cli, 2, "export", named_case, "--til", "anonym", "--ja", "--skjul", CPR, "--out", str(folder))
    assert "CPR" in result.err
    for shown in (CPR, CPR.replace("-", ""), "1234"):
        assert shown not in result.err + result.out
    assert files_in(folder) == []
    assert redaction_terms(data_home) == []
    assert CPR.encode() not in db_file(data_home).read_bytes()


def test_skjul_refuses_a_one_letter_word(cli, named_case, tmp_path):
    folder = tmp_path / "ud"
    folder.mkdir()
    result = fails(cli, 2, "export", named_case, "--til", "anonym", "--ja", "--skjul", "a", "--out", str(folder))
    assert "for kort" in flat(result.err)
    assert files_in(folder) == []


def test_anonymous_purpose_cannot_be_a_calendar(cli, named_case, tmp_path):
    folder = tmp_path / "ud"
    folder.mkdir()
    result = fails(cli, 2, "export", named_case, "--til", "anonym", "--ja", "--format", "ics", "--out", str(folder))
    assert "kalenderfil" in flat(result.err)
    assert files_in(folder) == []


# ================================================================ 2. showing the anonymous document first


def test_anonymous_without_terminal_or_ja_writes_nothing(cli, named_case, tmp_path, monkeypatch):
    folder = tmp_path / "ud"
    folder.mkdir()
    monkeypatch.chdir(folder)
    result = fails(cli, 6, "export", named_case, "--til", "anonym")
    message = flat(result.err)
    assert "skal læses igennem" in message and "Intet er skrevet" in message
    assert "--ja" in message
    assert files_in(folder) == []
    assert "Det her kommer med i filen" not in result.out


def test_interactive_preview_is_shown_before_the_question(cli, named_case, tmp_path):
    folder = tmp_path / "ud"
    folder.mkdir()
    result = ok(cli, "export", named_case, "--til", "anonym", "--format", "markdown", "--out", str(folder), keys=ENTER)
    out = flat(result.out)
    assert "Det her kommer med i filen" in out
    # the preview is the anonymous text itself
    assert "barnet græder ved aflevering" in out
    assert "Ida" not in out.split("Det her kommer med i filen", 1)[1].split("skrevet til", 1)[0]
    assert len(files_in(folder)) == 1


@pytest.mark.parametrize("fmt", ["json", "markdown", "csv"])
def test_interactive_mark_more_words(cli, named_case, tmp_path, data_home, fmt):
    keys = DOWN + ENTER + "Sprogvurdering" + ENTER + ENTER
    folder = tmp_path / "ud"
    folder.mkdir()
    result = ok(cli, "export", named_case, "--til", "anonym", "--format", fmt, "--out", str(folder), keys=keys)
    assert flat(result.out).count("Det her kommer med i filen") == 2  # shown again with the word hidden
    [path] = files_in(folder)
    text = readable(path)
    assert "Sprogvurdering" not in text
    assert "[skjult]" in text
    assert redaction_terms(data_home) == ["Sprogvurdering"]


@pytest.mark.parametrize(("keys", "what"), [(DOWN + DOWN + ENTER, "Afbryd"), (CTRL_C, "Ctrl-C")])
def test_interactive_stop_writes_nothing(cli, named_case, tmp_path, data_home, keys, what):
    folder = tmp_path / "ud"
    folder.mkdir()
    result = cli(["export", named_case, "--til", "anonym", "--out", str(folder)], keys=keys)
    assert result.code == 130, (what, result.code, result.err)
    assert "Intet er skrevet" in flat(result.err)
    assert files_in(folder) == []
    assert not query(data_home, "SELECT * FROM audit_log WHERE action = 'eksport'")


# ================================================================ 3. hostile text in every exporter

CONTROL = "".join(chr(c) for c in range(0x00, 0x09)) + "\x0b" + "\x1b[31mRØD\x1b[0m" + "\x7f" + "\x9b2J"
HOSTILE = ("<script>alert(1)</script> a | b\n# heading\n- item\n---\n1. num\n> citat\n"
           f"kontrol:{CONTROL} \u202eslut")
FORMULA = "=HYPERLINK(\"http://x\")"
BAD_CHAR = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def seed_hostile(home: Path, code: str) -> None:
    """Hostile strings written straight into the data file, where the input checks cannot clean them."""
    case_id = query(home, "SELECT id FROM cases WHERE code = ?", (code,))[0]["id"]
    for step in ("bekymring", "foraeldre-oplevelse", "barnets-perspektiv", "analyse", "k-moede-spoergsmaal"):
        execute(home, "UPDATE answers SET value = ? WHERE case_id = ? AND step_id = ?",
                (json.dumps(f"{FORMULA} {HOSTILE}"), case_id, step))
    execute(home, "UPDATE agreements SET what = ?, who = ? WHERE case_id = ?",
            (f"{FORMULA} {HOSTILE}", f"@SUM(A1) {HOSTILE}", case_id))
    execute(home, "UPDATE observations SET what = ?, observer = ?, method = ? WHERE case_id = ?",
            (f"+cmd {HOSTILE}", f"-2 {HOSTILE}", HOSTILE, case_id))
    execute(home, "UPDATE factors SET text = ? WHERE case_id = ?", (HOSTILE, case_id))
    execute(home, "UPDATE agreement_events SET note = ? WHERE case_id = ?", (HOSTILE, case_id))
    execute(home, "UPDATE meetings SET participants = ? WHERE case_id = ?",
            (json.dumps(["Forældre", HOSTILE]), case_id))


@pytest.fixture
def hostile_case(cli, named_case, data_home) -> str:
    seed_hostile(data_home, named_case)
    return named_case


def check_docx(path: Path, anonymous: bool) -> None:
    import docx

    document = docx.Document(str(path))
    texts = [p.text for p in document.paragraphs]
    texts += [c.text for t in document.tables for row in t.rows for c in row.cells]
    for section in document.sections:
        texts += [p.text for p in section.header.paragraphs + section.footer.paragraphs]
    everything = "\n".join(texts)
    if not anonymous:  # (anonymous: every word of a name field is a name, so «script» is hidden)
        assert "<script>alert(1)</script>" in everything  # shown as typed, never dropped
    assert not BAD_CHAR.search(everything), repr(BAD_CHAR.findall(everything))
    for name, xml in docx_parts(path).items():
        assert "\x1b" not in xml and "\u202e" not in xml, name


def check_markdown(path: Path, anonymous: bool) -> None:
    text = path.read_text(encoding="utf-8")
    if not anonymous:
        assert "\\<script\\>alert(1)\\</script\\>" in text
    assert not re.search(r"(?<!\\)<", text.replace("<br>", "")), "unescaped <"
    assert "a \\| b" in text and "a | b" not in text
    for line in text.splitlines():
        assert not re.match(r"^\s*(# heading|- item|1\. num|> citat)", line), line
    assert text.splitlines().count("---") == (0 if anonymous else 1)  # only the rule before «Kilde»
    # every table row has as many cell borders as its header row
    tables, current = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    assert tables
    for table in tables:
        borders = [len(re.findall(r"(?<!\\)\|", row)) for row in table]
        assert len(set(borders)) == 1, table


def check_json(path: Path, anonymous: bool) -> None:
    text = path.read_text(encoding="utf-8")
    assert not BAD_CHAR.search(text)
    values = strings(json.loads(text))
    assert any("<script>alert(1)</script>" in v for v in values) or anonymous
    for value in values:
        assert not BAD_CHAR.search(value), repr(value)


def check_csv(path: Path, anonymous: bool) -> None:
    text = raw_text(path)
    rows = csv_rows(text)
    assert len(rows) >= 2 and len({len(r) for r in rows}) == 1, rows
    for cell in (c for r in rows for c in r):
        assert not BAD_CHAR.search(cell), repr(cell)
        assert cell[:1] not in ("=", "+", "-", "@"), cell


def check_ics(path: Path, anonymous: bool) -> None:
    from icalendar import Calendar

    raw = path.read_bytes()
    calendar = Calendar.from_ical(raw)
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert events
    for event in events:
        for key in ("summary", "description"):
            value = str(event.get(key, ""))
            assert not BAD_CHAR.search(value), repr(value)
    assert "<script>" in raw.decode("utf-8")


def _combos():
    for purpose in PREFIXES:
        for fmt in FORMATS:
            if not (purpose == "anonym" and fmt == "ics"):  # refused, see above
                yield pytest.param(purpose, fmt, id=f"{purpose}-{fmt}")


@pytest.mark.parametrize(("purpose", "fmt"), list(_combos()))
def test_hostile_text_in_every_purpose_and_format(cli, hostile_case, tmp_path, purpose, fmt):
    folder = tmp_path / "ud"
    folder.mkdir()
    args = ["export", hostile_case, "--til", purpose, "--format", fmt, "--out", str(folder)]
    result = cli(args + (["--ja"] if purpose == "anonym" else []))
    assert result.code == 0, f"exit {result.code}\n{result.err}"
    [path] = files_in(folder)
    assert b"\x1b" not in (b"" if fmt == "docx" else path.read_bytes())
    assert "\u202e".encode() not in (b"" if fmt == "docx" else path.read_bytes())
    check = {"docx": check_docx, "markdown": check_markdown, "json": check_json, "csv": check_csv, "ics": check_ics}
    check[fmt](path, anonymous=purpose == "anonym")
    # the terminal output is clean too
    assert "\x1b" not in result.out + result.err


def test_hostile_text_in_the_interactive_preview(cli, hostile_case, tmp_path):
    """The anonymous preview shows the same cleaned text on the terminal."""
    folder = tmp_path / "ud"
    folder.mkdir()
    for fmt in ("markdown", "csv", "json"):
        result = ok(cli, "export", hostile_case, "--til", "anonym", "--format", fmt,
                    "--out", str(folder / f"x.{fmt}"), keys=ENTER)
        assert "\x1b" not in result.out and "\u202e" not in result.out
        assert not re.search("[\x00-\x08\x0b\x7f\x9b]", result.out)


# ================================================================ 4. CSV and formula injection

FORMULA_STARTS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\uff1d1+1", "\uff0b1", "\uff20x", " =1+1",
                  "  -2"]


def csv_case(cli, tmp_path, home: Path, values: list[str], who: str | None = None) -> str:
    """A case whose agreements are exactly `values` (what, and who unless given)."""
    code = make_case(cli, tmp_path)
    case_id = query(home, "SELECT id FROM cases WHERE code = ?", (code,))[0]["id"]
    execute(home, "DELETE FROM agreement_events WHERE case_id = ?", (case_id,))
    execute(home, "DELETE FROM agreements WHERE case_id = ?", (case_id,))
    for value in values:
        execute(home, "INSERT INTO agreements (case_id, step_id, what, who, due, status, created_at) "
                      "VALUES (?, 'aftaler', ?, ?, ?, 'aftalt', ?)",
                (case_id, value, value if who is None else who, (today() + dt.timedelta(days=20)).isoformat(), dt.datetime.now().isoformat()))
    return code


def assert_all_quoted(text: str, separator: str) -> None:
    """The file is exactly what a writer quoting every cell makes of its own cells."""
    rows = csv_rows(text, separator)
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=separator, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    assert text[1:] == buffer.getvalue()


def test_csv_neutralises_formula_starts(cli, tmp_path, data_home):
    code = csv_case(cli, tmp_path, data_home, FORMULA_STARTS)
    text = raw_text(export_to(cli, code, tmp_path / "ud", "--format", "csv"))
    rows = csv_rows(text)
    assert rows[0] == ["Nr.", "Hvad", "Hvem", "Aftalt", "Senest", "Status", "Seneste bemærkning"]
    assert [(r[1], r[2]) for r in rows[1:]] == [("'" + v, "'" + v) for v in FORMULA_STARTS]
    assert_all_quoted(text, ";")


def test_csv_neutralises_a_leading_carriage_return(cli, tmp_path, data_home):
    code = csv_case(cli, tmp_path, data_home, ["\r=1+1"])
    rows = csv_rows(raw_text(export_to(cli, code, tmp_path / "ud", "--format", "csv")))
    assert rows[1][1].startswith("'")


def test_anonymous_csv_neutralises_formula_starts_too(cli, tmp_path, data_home):
    code = csv_case(cli, tmp_path, data_home, ["=1+1", "@SUM(A1)"], who="Pædagog")
    rows = csv_rows(raw_text(export_to(cli, code, tmp_path / "ud", "--til", "anonym", "--ja", "--format", "csv")))
    assert rows[0] == ["Nr.", "Hvad", "Senest", "Status", "Seneste bemærkning"]
    assert [r[1] for r in rows[1:]] == ["'=1+1", "'@SUM(A1)"]


def test_csv_comma_separator(cli, named_case, tmp_path):
    text = raw_text(export_to(cli, named_case, tmp_path / "ud", "--format", "csv", "--skilletegn", "komma"))
    first = text[1:].split("\r\n", 1)[0]
    assert first == '"Nr.","Hvad","Hvem","Aftalt","Senest","Status","Seneste bemærkning"'
    assert ";" not in first
    assert_all_quoted(text, ",")
    rows = csv_rows(text, ",")
    assert [r[1] for r in rows[1:]] == ["Små legegrupper for Ida med Kasper", "Sprogvurdering"]


def test_csv_semicolon_is_the_default(cli, named_case, tmp_path):
    text = raw_text(export_to(cli, named_case, tmp_path / "ud", "--format", "csv"))
    assert text[1:].startswith('"Nr.";"Hvad";')
    assert_all_quoted(text, ";")


def test_csv_unknown_separator_is_refused(cli, named_case, tmp_path):
    folder = tmp_path / "ud"
    folder.mkdir()
    result = fails(cli, 2, "export", named_case, "--format", "csv", "--skilletegn", "tab", "--out", str(folder))
    assert "semikolon eller komma" in flat(result.err)
    assert files_in(folder) == []


@pytest.mark.parametrize("value", FORMULA_STARTS + ["-", "=", "\uff0d5"])
def test_safe_cell_prefixes_formula_starts(value):
    from rettidig_cli.export.csvfile import safe_cell

    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize(("value", "expected"), [
    ("Sprogvurdering", "Sprogvurdering"), ("3-4 år", "3-4 år"), ("a=b", "a=b"), ("", ""), (None, ""), (7, "7"),
    ("x\x1b[31my", "xy"), ("\u202eabc", "abc"), ("a\x00b", "ab"),
])
def test_safe_cell_leaves_plain_text_and_removes_control_characters(value, expected):
    from rettidig_cli.export.csvfile import safe_cell

    assert safe_cell(value) == expected


@pytest.mark.parametrize("value", ["\x1b[31m=1+1", "\u202e=1+1", "\x00@x"])
def test_safe_cell_checks_the_cleaned_text(value):
    """A hidden character in front of a formula does not hide the formula."""
    from rettidig_cli.export.csvfile import safe_cell

    assert safe_cell(value).startswith("'")


def test_safe_cell_prefixes_carriage_return():
    from rettidig_cli.export.csvfile import safe_cell

    assert safe_cell("\r=1+1").startswith("'")


def test_csv_table_quotes_every_cell_and_has_bom():
    from rettidig_cli.export.csvfile import table

    text = table(["a", "b"], [["1", 'x"y'], ["=2", "z;w"]], ";")
    assert text == '\ufeff"a";"b"\r\n"1";"x""y"\r\n"\'=2";"z;w"\r\n'


# ================================================================ 5. files

NAME_PATTERN = re.compile(r"^(?P<prefix>[a-z0-9-]+)-(?P<code>RT-\d{4}-\d{3})-(?P<day>\d{4}-\d{2}-\d{2})\.(?P<ext>\w+)$")


@pytest.mark.parametrize("purpose", list(PREFIXES))
@pytest.mark.parametrize("fmt", ["docx", "markdown", "json", "csv"])
def test_default_file_name(cli, named_case, tmp_path, monkeypatch, purpose, fmt):
    here = tmp_path / "her"
    here.mkdir()
    monkeypatch.chdir(here)
    ok(cli, "export", named_case, "--til", purpose, "--format", fmt, *(["--ja"] if purpose == "anonym" else []))
    [path] = files_in(here)
    match = NAME_PATTERN.match(path.name)
    assert match, path.name
    assert match["prefix"] == PREFIXES[purpose]
    assert match["code"] == named_case
    assert match["day"] == today().isoformat()
    assert path.suffix == FORMATS[fmt]
    for word in CHILD.split() + ["IMH"]:
        assert word.lower() not in path.name.lower()


def test_format_follows_the_file_name(cli, named_case, tmp_path):
    for name, check in (("plan.md", lambda p: p.read_text(encoding="utf-8").startswith("# Handleplan")),
                        ("plan.json", lambda p: json.loads(p.read_text(encoding="utf-8"))["format"] == "rettidig-sag"),
                        ("plan.ics", lambda p: p.read_bytes().startswith(b"BEGIN:VCALENDAR")),
                        ("plan.docx", lambda p: zipfile.is_zipfile(p))):
        ok(cli, "export", named_case, "--out", str(tmp_path / name))
        assert check(tmp_path / name), name


def test_out_folder_puts_the_file_inside(cli, named_case, tmp_path):
    folder = tmp_path / "mappe"
    path = export_to(cli, named_case, folder, "--format", "markdown")
    assert path.parent == folder
    assert NAME_PATTERN.match(path.name)


@pytest.mark.parametrize(("code", "expected"), [
    ("RT-2026-001", "RT-2026-001"), ("../../evil", "evil"), ("RT-../../evil", "RT-evil"), ("a/b", "a-b"),
    ("/etc/passwd", "etc-passwd"), ("..\\..\\x", "x"), ("", "sag"), ("../..", "sag"), ("RT ÆØÅ 1", "RT-1"),
])
def test_default_name_is_only_letters_digits_and_dashes(code, expected):
    from rettidig_cli.export import default_name

    name = default_name("handleplan", code, "docx", dt.date(2026, 3, 4))
    assert name == f"handleplan-{expected}-2026-03-04.docx"
    assert "/" not in name and "\\" not in name and ".." not in name


def test_default_name_cleans_the_prefix_too():
    from rettidig_cli.export import default_name

    assert default_name("../Anonym Drøftelse", "RT-2026-001", "markdown", dt.date(2026, 1, 2)) \
        == "anonym-dr-ftelse-RT-2026-001-2026-01-02.md"
    assert default_name("", "RT-1", "csv", dt.date(2026, 1, 2)) == "dokument-RT-1-2026-01-02.csv"


def test_target_places_the_default_name(tmp_path, monkeypatch):
    from rettidig_cli.domain.errors import UsageError
    from rettidig_cli.export import target

    folder = tmp_path / "mappe"
    folder.mkdir()
    monkeypatch.chdir(tmp_path)
    assert target(None, "x.docx") == tmp_path / "x.docx"
    assert target(folder, "x.docx") == folder / "x.docx"
    assert target(folder / "eget.md", "x.docx") == folder / "eget.md"  # a file name is used as given
    for outside in ("../x.docx", "sub/../../x.docx", "/etc/x.docx"):
        with pytest.raises(UsageError):
            target(folder, outside)


@pytest.mark.parametrize("bad_code", ["RT-../../evil", "RT-a/b", "RT-..", "RT-/tmp/x"])
def test_case_code_cannot_move_the_file_out_of_the_folder(cli, named_case, tmp_path, data_home, bad_code):
    execute(data_home, "UPDATE cases SET code = ? WHERE code = ?", (bad_code, named_case))
    root = tmp_path / "rod"
    folder = root / "a" / "b" / "ud"
    folder.mkdir(parents=True)
    ok(cli, "export", bad_code, "--format", "markdown", "--out", str(folder))
    written = files_in(root)
    assert len(written) == 1 and written[0].parent == folder, written
    assert re.fullmatch(r"handleplan-[A-Za-z0-9-]+-\d{4}-\d{2}-\d{2}\.md", written[0].name)


def test_case_code_cannot_move_the_file_out_of_the_working_folder(cli, named_case, tmp_path, data_home, monkeypatch):
    execute(data_home, "UPDATE cases SET code = ? WHERE code = ?", ("RT-../../evil", named_case))
    root = tmp_path / "rod"
    here = root / "a" / "b"
    here.mkdir(parents=True)
    monkeypatch.chdir(here)
    ok(cli, "export", "RT-../../evil", "--format", "json")
    written = files_in(root)
    assert [p.parent for p in written] == [here]


def test_existing_file_is_not_overwritten_without_overskriv(cli, named_case, tmp_path):
    path = tmp_path / "plan.md"
    path.write_text("mine egne noter", encoding="utf-8")
    result = fails(cli, 2, "export", named_case, "--out", str(path))
    assert "findes allerede" in flat(result.err)
    assert path.read_text(encoding="utf-8") == "mine egne noter"
    # Not even with --overskriv: rettidig did not write this file.
    result = fails(cli, 2, "export", named_case, "--out", str(path), "--overskriv")
    assert "ikke skrevet af rettidig" in flat(result.err)
    assert path.read_text(encoding="utf-8") == "mine egne noter"
    # Its own export, unchanged, may be replaced; once changed by hand, it may not.
    own = tmp_path / "ny-plan.md"
    ok(cli, "export", named_case, "--out", str(own))
    result = fails(cli, 2, "export", named_case, "--out", str(own))
    assert "findes allerede" in flat(result.err) and "--overskriv" in flat(result.err)
    ok(cli, "export", named_case, "--out", str(own), "--overskriv")
    assert own.read_text(encoding="utf-8").startswith("# Handleplan")
    assert stat.S_IMODE(own.stat().st_mode) == 0o600
    own.write_text(own.read_text(encoding="utf-8") + "\nMin tilføjelse\n", encoding="utf-8")
    fails(cli, 2, "export", named_case, "--out", str(own), "--overskriv")
    assert own.read_text(encoding="utf-8").endswith("Min tilføjelse\n")
    assert sorted(p.name for p in files_in(tmp_path) if "plan" in p.name) == ["ny-plan.md", "plan.md"]


def test_existing_default_name_in_folder_is_not_overwritten(cli, named_case, tmp_path):
    folder = tmp_path / "ud"
    first = export_to(cli, named_case, folder, "--format", "markdown")
    first.write_text("rettet i hånden", encoding="utf-8")
    fails(cli, 2, "export", named_case, "--format", "markdown", "--out", str(folder))
    assert first.read_text(encoding="utf-8") == "rettet i hånden"


@pytest.fixture
def questions(monkeypatch) -> list[str]:
    """The yes/no questions asked (questionary draws them on a dummy output in these tests)."""
    from rettidig_cli.ui import prompts

    asked: list[str] = []
    original = prompts.yes

    def recording(message, default=True):
        asked.append(message)
        return original(message, default=default)

    monkeypatch.setattr(prompts, "yes", recording)
    return asked


def test_interactive_overwrite_question_no_keeps_the_file(cli, named_case, tmp_path, questions):
    path = tmp_path / "plan.md"
    ok(cli, "export", named_case, "--out", str(path), "--format", "markdown")  # rettidig's own export
    before = path.read_text(encoding="utf-8")
    result = fails(cli, 2, "export", named_case, "--out", str(path), keys=ENTER)  # default: Nej
    assert len(questions) == 1 and "findes allerede" in questions[0] and str(path) in questions[0]
    assert "ikke overskrevet" in flat(result.err)
    assert path.read_text(encoding="utf-8") == before


def test_interactive_overwrite_question_yes_replaces(cli, named_case, tmp_path, questions):
    path = tmp_path / "plan.md"
    ok(cli, "export", named_case, "--out", str(path), "--format", "markdown")  # rettidig's own export
    ok(cli, "export", named_case, "--out", str(path), keys=UP + ENTER)
    assert len(questions) == 1
    assert path.read_text(encoding="utf-8").startswith("# Handleplan")


def test_a_file_the_user_made_is_refused_before_any_question(cli, named_case, tmp_path, questions):
    path = tmp_path / "plan.md"
    path.write_text("mine egne noter", encoding="utf-8")
    result = fails(cli, 2, "export", named_case, "--out", str(path), keys=UP + ENTER)
    assert questions == []
    assert "ikke skrevet af rettidig" in flat(result.err)
    assert path.read_text(encoding="utf-8") == "mine egne noter"


def test_interactive_overwrite_question_ctrl_c(cli, named_case, tmp_path):
    path = tmp_path / "plan.md"
    ok(cli, "export", named_case, "--out", str(path), "--format", "markdown")  # rettidig's own export
    before = path.read_text(encoding="utf-8")
    result = fails(cli, 130, "export", named_case, "--out", str(path), keys=CTRL_C)
    assert "Intet er skrevet" in flat(result.err)
    assert path.read_text(encoding="utf-8") == before


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_files_are_private_and_no_temporary_files_remain(cli, named_case, tmp_path, fmt):
    folder = tmp_path / "ud"
    path = export_to(cli, named_case, folder, "--format", fmt)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(folder.glob(".rettidig-*"))


def test_overwritten_file_becomes_private(cli, named_case, tmp_path):
    path = tmp_path / "plan.docx"
    ok(cli, "export", named_case, "--out", str(path))
    os.chmod(path, 0o644)
    ok(cli, "export", named_case, "--out", str(path), "--overskriv")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert zipfile.is_zipfile(path)


def test_rendering_failure_leaves_no_file(cli, named_case, tmp_path, monkeypatch):
    from rettidig_cli.export import word

    def broken(doc):
        raise RuntimeError("render failed")

    monkeypatch.setattr(word, "document", broken)
    folder = tmp_path / "ud"
    folder.mkdir()
    result = fails(cli, 70, "export", named_case, "--format", "docx", "--out", str(folder))
    assert "uventet fejl" in flat(result.err)
    assert files_in(folder) == []
    assert not list(folder.glob(".*"))


@pytest.mark.parametrize("failing", ["fsync", "replace", "chmod"])
def test_writing_failure_removes_the_temporary_file(cli, named_case, tmp_path, monkeypatch, failing):
    import rettidig_cli.export as exporters

    def boom(*args, **kwargs):
        raise OSError("disk full")

    fake = types.SimpleNamespace(fdopen=os.fdopen, fsync=os.fsync, chmod=os.chmod, replace=os.replace)
    setattr(fake, failing, boom)
    monkeypatch.setattr(exporters, "os", fake)
    folder = tmp_path / "ud"
    folder.mkdir()
    result = cli(["export", named_case, "--format", "markdown", "--out", str(folder)])
    assert result.code != 0
    assert_no_traceback(result)
    assert list(folder.iterdir()) == []


def test_missing_output_folder(cli, named_case, tmp_path):
    missing = tmp_path / "findes-ikke"
    result = fails(cli, 2, "export", named_case, "--out", str(missing / "plan.docx"))
    assert "Mappen" in result.err and "findes ikke" in flat(result.err)
    assert not missing.exists()
    assert [p for p in files_in(tmp_path) if "rettidig-home" not in p.parts and not p.name.startswith("svar-")] == []


def test_missing_output_folder_given_with_trailing_slash(cli, named_case, tmp_path):
    missing = tmp_path / "findes-ikke"
    result = cli(["export", named_case, "--out", f"{missing}/"])
    assert result.code == 2
    assert not missing.exists()


def test_out_is_an_existing_folder_for_a_directory_target(tmp_path, data_home):
    from rettidig_cli.domain.errors import UsageError
    from rettidig_cli.export import write_private
    from rettidig_cli.storage.store import Store

    store = Store(data_home / "rettidig.db")
    try:
        with pytest.raises(UsageError):
            write_private(tmp_path, "x", True, store)
        with pytest.raises(UsageError, match="findes ikke"):
            write_private(tmp_path / "nej" / "x.md", "x", False, store)
        path = write_private(tmp_path / "x.md", "æøå", False, store)
        assert path.read_text(encoding="utf-8") == "æøå"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        with pytest.raises(UsageError, match="findes allerede"):
            write_private(path, "y", False, store)
        assert path.read_text(encoding="utf-8") == "æøå"
        write_private(path, "z", True, store)  # its own export, unchanged: may be replaced
        assert path.read_text(encoding="utf-8") == "z"
    finally:
        store.close()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "rettidig-home") == ["x.md"]


# ================================================================ 6. anonymize.py


@pytest.fixture
def words():
    from rettidig_cli.guide.reference import document_rules

    return document_rules().anonymous


def redactor(words, child=CHILD, people=(), marked=(), exact_dates=False):
    from rettidig_cli.domain.anonymize import Redactor

    return Redactor(words, child, list(people), list(marked), exact_dates=exact_dates)


@pytest.mark.parametrize(("text", "expected"), [
    ("Ida græder", "barnet græder"),
    ("Idas mor", "barnets mor"),
    ("Ida's mor", "barnets mor"),
    ("ida og IDA", "barnet og barnet"),
    ("Ida Marie Hansen kom", "barnet kom"),
    ("Ida Marie Hansens mor", "barnets mor"),
    ("Marie leger", "barnet leger"),
    ("IMH leger", "barnet leger"),
    ("I.M.H. leger", "barnet leger"),
    ("I. M. H. leger", "barnet leger"),
    ("I.M.H leger", "barnet leger"),
    ("IH leger", "barnet leger"),
    ("I.H. leger", "barnet leger"),
    ("IMHs mor", "barnets mor"),
    ("Idaho er en stat", "Idaho er en stat"),  # not inside another word
])
def test_redactor_child_name_and_initials(words, text, expected):
    assert redactor(words).text(text) == expected


def test_redactor_people_and_role_words(words):
    r = redactor(words, people=["Pædagog Mette", "Forældre", "Hanne og Lars Jensen", "Hanne Jensen (mor)",
                                "Ressourcepædagog", "PPR"])
    assert r.text("Pædagog Mette talte med Forældre") == "Pædagog [navn] talte med Forældre"
    assert r.text("Hannes og Lars' bekymring") == "[navn] og [navn]' bekymring"
    assert r.text("Jensen ringede til PPR og ressourcepædagogen") == "[navn] ringede til PPR og ressourcepædagogen"
    assert r.text("mor og far") == "mor og far"


@pytest.mark.parametrize("written", ["3/12", "14-12-2026", "2026-12-14", "3. december 2026", "d. 4.12",
                                     "14.12.2026", "14.12.26", "3/12-2026", "den 4.12", "3. dec.", "3 december",
                                     "1. maj 2027", "2026-1-5"])
def test_redactor_replaces_exact_dates(words, written):
    out = redactor(words).text(f"Det skete {written} om morgenen")
    assert out.startswith("Det skete [dato]")
    assert not re.search(r"\d", out), out


@pytest.mark.parametrize("kept", ["kl. 14.00", "3-4 år", "december 2026", "i 15 minutter", "2 år", "uge 50",
                                  "ORS 25", "Pædagog", "Forældre"])
def test_redactor_keeps_what_is_not_a_date_or_name(words, kept):
    assert redactor(words, people=["Pædagog Mette", "Forældre"]).text(f"Set {kept} her") == f"Set {kept} her"


def test_redactor_marked_words(words):
    r = redactor(words, marked=["Solsikken", "Vestergade"])
    assert r.text("I Solsikken og Solsikkens have på vestergade 3") == "I [skjult] og [skjult] have på [skjult] 3"
    assert r.text("Solsikkerne") == "Solsikkerne"  # only words starting with the marked word


def test_redactor_day_is_month_and_year(words):
    r = redactor(words)
    assert r.day("2026-12-14") == "december 2026"
    assert r.day("2027-03-01T10:00:00") == "marts 2027"
    assert r.day(None) == "" and r.day("") == ""
    assert r.anonymous is True


def test_redactor_with_exact_dates_keeps_dates_but_not_names(words):
    r = redactor(words, people=["Hanne Jensen (mor)"], exact_dates=True)
    assert r.text("Ida og Hanne 14-12-2026") == "barnet og [navn] 14-12-2026"
    assert r.day("2026-12-14") == "mandag 14. december 2026"


def test_redactor_handles_empty_and_regex_characters(words):
    r = redactor(words, child="A.B.", people=["C++ Team", "[x] (mor)"], marked=["a.b*"])
    assert r.text(None) == ""
    assert r.text("A.B. kom, AB og A. B. også") == "barnet kom, barnet og barnet også"
    assert r.text("axb og a.b* her") == "axb og [skjult] her"
    assert r.text("C++ Team") == "C++ Team"  # «Team» is a role word, «C» too short to be a name


def test_name_words(words):
    from rettidig_cli.domain.anonymize import name_words

    roles = words.role_words
    assert name_words("Pædagog Mette", roles) == ["Mette"]
    assert name_words("Hanne og Lars Jensen", roles) == ["Hanne", "Lars", "Jensen"]
    assert name_words("Hanne Jensen (mor)", roles) == ["Hanne", "Jensen"]
    assert name_words("Forældre", roles) == []
    assert name_words("Stuens pædagoger", roles) == []
    assert name_words("Anne-Sofie Berg", roles) == ["Anne-Sofie", "Anne", "Sofie", "Berg"]
    assert name_words("A. Berg", roles) == ["Berg"]  # one letter is no name
    assert name_words("", roles) == [] and name_words(None, roles) == []
    assert name_words("Pædagog Mette", frozenset()) == ["Pædagog", "Mette"]


def test_initials():
    from rettidig_cli.domain.anonymize import initials

    found = initials(CHILD)
    for variant in ("IMH", "I.M.H.", "I. M. H.", "I.M.H", "IH", "I.H.", "I. H.", "I.H"):
        assert variant in found
    assert [len(v) for v in found] == sorted((len(v) for v in found), reverse=True)  # longest first
    assert initials("Ida") == [] and initials("") == [] and initials(None) == []
    assert set(initials("A.B.")) == {"AB", "A.B.", "A. B.", "A.B"}
    assert "ØL" in initials("øjvind lund")


def test_plain_keeps_everything():
    from rettidig_cli.domain.anonymize import Plain
    from rettidig_cli.domain.dates import format_iso

    p = Plain()
    assert p.anonymous is False
    assert p.text("Ida 3/12") == "Ida 3/12" and p.text(None) == ""
    assert p.day("2026-12-14") == format_iso("2026-12-14")


@pytest.mark.parametrize("written", ["d. 14-12", "den 14-12"])
def test_redactor_replaces_day_month_with_dash_after_den(words, written):
    assert redactor(words).text(f"Mødet {written} gik godt") == "Mødet [dato] gik godt"


def test_redactor_keeps_a_time_range(words):
    assert redactor(words).text("Mødet er kl. 14.00-15.00") == "Mødet er kl. 14.00-15.00"


def test_redactor_replaces_a_name_in_an_email_address(words):
    out = redactor(words, people=["Pædagog Mette Olsen"]).text("Skriv til mette.olsen@x.dk")
    assert "olsen" not in out.lower() and "mette" not in out.lower()


def test_an_export_into_a_synced_folder_is_warned_about(cli, named_case, tmp_path):
    synced = tmp_path / "OneDrive - Kommune"
    synced.mkdir()
    result = cli(["export", named_case, "--out", str(synced)])
    assert result.code == 0, result.err
    assert "Advarsel: Word-dokumentet ligger i en mappe, der synkroniseres til skyen" in flat(result.err)
    assert "ikke krypteret" in flat(result.err)
    local = cli(["export", named_case, "--out", str(tmp_path), "--format", "markdown"])
    assert "Advarsel" not in local.err
