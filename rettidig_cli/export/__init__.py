"""Documents and data files made from a case, one module per format, and the safe writing of them.

The purpose (data/documents.toml) decides the content, the format only the layout: Word and
Markdown lay out the same document (documents.build); JSON, CSV and ICS hold the data the
purpose names."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from pathlib import Path

from rettidig_cli import documents
from rettidig_cli.errors import UsageError
from rettidig_cli.followup import OPEN_AGREEMENT

FORMATS = {"docx": ".docx", "markdown": ".md", "ics": ".ics", "json": ".json", "csv": ".csv"}
_ALIASES = {"word": "docx", "md": "markdown", "ical": "ics", "kalender": "ics", "ics": "ics"}
_SUFFIXES = {".docx": "docx", ".md": "markdown", ".markdown": "markdown", ".ics": "ics", ".json": "json",
             ".csv": "csv"}
DEFAULT_FORMAT = "docx"
JSON_VERSION = 1


def out_path(raw: str | None) -> Path | None:
    """--out as typed. A trailing slash means a folder, and a folder must exist: 'mappe/' never
    becomes a file called 'mappe'."""
    if raw is None:
        return None
    if not raw.strip():
        raise UsageError("--out er tom. Angiv et filnavn eller en mappe.")
    path = Path(raw).expanduser()
    if raw.endswith(("/", os.sep)) and not path.is_dir():
        raise UsageError(f"Mappen {path} findes ikke.")
    return path


def resolve_format(fmt: str | None, out: Path | None) -> str:
    """The format asked for, else the one the file name ends in, else Word."""
    if fmt:
        key = _ALIASES.get(fmt.strip().lower(), fmt.strip().lower())
        if key not in FORMATS:
            raise UsageError(f"Formatet «{fmt}» kendes ikke. Brug et af: {', '.join(FORMATS)}.")
        return key
    if out is not None and not out.expanduser().is_dir():
        return _SUFFIXES.get(out.suffix.lower(), DEFAULT_FORMAT)
    return DEFAULT_FORMAT


def default_name(prefix: str, case_code: str, fmt: str, today: dt.date) -> str:
    """Never the child's name: the purpose, case code and date are enough to find it again. Only
    letters, digits and dashes, so the name cannot point into another folder."""
    code = re.sub(r"[^A-Za-z0-9]+", "-", case_code).strip("-") or "sag"
    prefix = re.sub(r"[^a-z0-9]+", "-", prefix.lower()).strip("-") or "dokument"
    return f"{prefix}-{code}-{today.isoformat()}{FORMATS[fmt]}"


def target(out: Path | None, name: str) -> Path:
    """--out as a folder gets the default name inside it; as a file name it is used as given."""
    if out is None:
        return Path.cwd() / name
    out = out.expanduser()
    try:
        if out.is_dir():
            path = out / name
            if path.resolve().parent != out.resolve():
                raise UsageError("Filnavnet peger uden for den valgte mappe.")
            return path
    except UnicodeEncodeError:  # a character no file system can hold
        raise UsageError("Filnavnet indeholder tegn, der ikke kan bruges i et filnavn.") from None
    return out


def write_private(path: Path, content: str | bytes, overwrite: bool) -> Path:
    """Write atomically with mode 0600; refuse to replace an existing file unless asked."""
    path = path.expanduser()
    if path.is_dir():
        raise UsageError(f"{path} er en mappe. Angiv et filnavn.")
    if path.exists() and not overwrite:
        raise UsageError(f"Filen {path} findes allerede og er ikke overskrevet.",
                         hint="Vælg et andet navn med --out, eller tilføj --overskriv.")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"Mappen {folder} findes ikke.")
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".rettidig-", suffix=".tmp")
    except PermissionError:
        raise UsageError(f"Du har ikke lov til at skrive i mappen {folder}.") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def meeting_for(plan: dict, number: int | None) -> dict | None:
    """The meeting a statusmøde document is for: the one asked for, else the next status meeting."""
    if number is None:
        return plan["naeste_statusmoede"]
    for m in plan["statusmoeder"] + plan["andre_moeder"]:
        if m["nr"] == number:
            return m
    raise UsageError(f"Sagen har intet møde nr. {number}.", hint=f"Se møderne med: rettidig plan {plan['kode']}")


def agreement_table(plan: dict, purpose, redactor) -> tuple[list[str], list[list[str]]]:
    """The agreements as columns and rows for CSV; anonymous without names or exact dates."""
    rows = [a for a in plan["aftaler"] if purpose.csv == "all" or a["status"] in OPEN_AGREEMENT]

    def note(a):
        latest = documents.latest_note(a)
        return redactor.text(latest["note"]) if latest else ""

    if redactor.anonymous:
        return (["Nr.", "Hvad", "Senest", "Status", "Seneste bemærkning"],
                [[str(a["nr"]), redactor.text(a["hvad"]), redactor.day(a["senest"]), a["status"], note(a)]
                 for a in rows])
    short = lambda iso: dt.date.fromisoformat(iso).strftime("%d-%m-%Y") if iso else ""  # noqa: E731
    return (["Nr.", "Hvad", "Hvem", "Aftalt", "Senest", "Status", "Seneste bemærkning"],
            [[str(a["nr"]), a["hvad"], a["hvem"], short(a["aftalt"]), short(a["senest"]), a["status"], note(a)]
             for a in rows])


def calendar_items(plan: dict, purpose, meeting: dict | None) -> tuple[list[dict], list[dict]]:
    """Which meetings and agreement deadlines go into a calendar file for this purpose."""
    everything = plan["statusmoeder"] + plan["andre_moeder"]
    if purpose.calendar == "none":
        raise UsageError(f"«{purpose.title}» kan ikke blive en kalenderfil: en kalender har præcise datoer.",
                         hint="Brug --format docx eller markdown.")
    if purpose.calendar == "meeting":
        if meeting is None:
            raise UsageError("Der er intet planlagt statusmøde at lægge i kalenderen.",
                             hint=f"Planlæg et med: rettidig møde ny {plan['kode']}")
        return [meeting], []
    if purpose.calendar == "other_meetings":
        others = [m for m in plan["andre_moeder"] if m["status"] != "aflyst"]
        if not others:
            raise UsageError("Sagen har ingen andre møder end statusmøder at lægge i kalenderen.")
        return others, []
    return everything, plan["aftaler"]


def render(plan: dict, purpose, fmt: str, today: dt.date, redactor, meeting: dict | None = None,
           history: list[dict] | None = None, separator: str = ";") -> str | bytes:
    if fmt in ("docx", "markdown"):
        doc = documents.build(plan, purpose, today, redactor, meeting)
        if fmt == "markdown":
            from rettidig_cli.export import markdown

            return markdown.document(doc)
        from rettidig_cli.export import word

        return word.document(doc)
    if fmt == "json":
        if purpose.json == "case":
            data = {"format": "rettidig-sag", "version": JSON_VERSION, "eksporteret": today.isoformat(),
                    "sag": plan, "historik": history or []}
        else:
            data = {"format": "rettidig-dokument", "version": JSON_VERSION,
                    "dokument": documents.build(plan, purpose, today, redactor, meeting)}
        return json.dumps(documents.clean(data), ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        from rettidig_cli.export import csvfile

        columns, rows = agreement_table(plan, purpose, redactor)  # csvfile.safe_cell cleans each cell
        return csvfile.table(columns, rows, separator)
    if fmt == "ics":
        from rettidig_cli.export import ics
        from rettidig_cli.reference import document_rules

        rules = document_rules()
        meetings, agreements = calendar_items(plan, purpose, meeting)
        stamp = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        # A calendar is named, never anonymous (refused above), but it leaves out the family's names.
        return ics.calendar(plan["kode"], meetings, agreements, documents.calendar_redactor(plan),
                            rules.meeting_minutes, rules.reminder_hours, stamp)
    raise UsageError(f"Formatet «{fmt}» kendes ikke. Brug et af: {', '.join(FORMATS)}.")
