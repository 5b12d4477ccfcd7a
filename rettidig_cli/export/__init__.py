"""Documents and data files made from a case, one module per format, and the safe writing of them.

The purpose (data/documents.toml) decides the content, the format only the layout: Word and
Markdown lay out the same document (documents.build); JSON, CSV and ICS hold the data the
purpose names."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from rettidig_cli.views import documents
from rettidig_cli.domain.errors import UsageError
from rettidig_cli.views.model import Agreement, Meeting, Plan
from rettidig_cli.views.plan import as_json
from rettidig_cli.domain.vocabulary import OPEN_AGREEMENT, MeetingState

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
    check_name(raw)
    path = Path(raw).expanduser()
    try:
        too_long = any(len(os.fsencode(part)) > 255 for part in path.parts) or len(os.fsencode(str(path))) > 4000
    except UnicodeError:
        raise UsageError("Filnavnet indeholder tegn, der ikke kan bruges i et filnavn.") from None
    if too_long:  # the common limit of file systems (255 bytes a name); said before anything is done
        raise UsageError("Filnavnet er for langt (højst 255 tegn i hvert led, færre med æ, ø og å).",
                         hint="Vælg et kortere navn med --out.")
    if raw.endswith(("/", os.sep)) and not (exists(path) and path.is_dir()):
        raise UsageError(f"Mappen {path} findes ikke.")
    return path


CPR_IN_NAME = ("Filnavnet ser ud til at indeholde et CPR-nummer. rettidig skriver aldrig et CPR-nummer i et "
               "filnavn: et filnavn ses i mapper, søgninger, sikkerhedskopier og logfiler. Intet er skrevet.")


def check_name(path_text: str) -> None:
    """A file or folder name never carries a CPR number: the name is seen far more widely than the
    file's content, and the messages would have to hide it (the file was written under a name the
    user was never shown). Nor a character that the output cleaning would remove. Refused before
    anything is opened or written."""
    from rettidig_cli.domain import privacy

    if privacy.contains_cpr(path_text):
        raise UsageError(CPR_IN_NAME, hint="Vælg et andet navn med --out, fx sagens kode og datoen "
                                           "(det er standardnavnet, hvis du udelader --out).")
    # The same cleaning as every other output: a name it would change holds a control character or
    # an invisible one, such as U+202E, which shows the Markdown file "plan\u202excod.md" as "plandm.docx".
    if privacy.printable(path_text) != path_text:
        raise UsageError("Filnavnet indeholder styretegn, usynlige tegn eller tegn, der ikke kan læses, så det kan "
                         "se ud som et andet navn. Intet er skrevet.", hint="Skriv navnet igen med almindelige tegn.")


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


def exists(path: Path) -> bool:
    """Path.exists(), with an unusable name (too long, a folder that cannot be read) as a usage error."""
    from rettidig_cli.domain.errors import os_reason

    try:
        return path.exists() or path.is_symlink()
    except OSError as exc:
        raise UsageError(f"Filnavnet kan ikke bruges ({os_reason(exc)}). Intet er skrevet.",
                         hint="Vælg et andet navn med --out.") from None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_target(path: Path, store) -> None:
    """An export never lands on rettidig's own files: the data file and everything beside it, or a
    backup (checked by the file itself, so a link or another spelling of the path is caught too)."""
    path = path.expanduser()
    resolved = path.resolve()
    backups = store.backup_folder().resolve()
    if any(_same_file(path, own) or resolved == own.resolve() for own in store.own_files()) \
            or resolved.parent == store.path.parent.resolve() and resolved.name.startswith(store.path.name) \
            or backups in resolved.parents or resolved == backups:
        raise UsageError(f"{path} er en af rettidigs egne filer (datafilen eller en sikkerhedskopi) og kan ikke "
                         "bruges til en eksport. Intet er skrevet.", hint="Vælg et andet navn med --out.")


def check_replaceable(path: Path, store) -> None:
    """Only a file rettidig wrote as an export, unchanged since, may be replaced (--overskriv)."""
    if path.is_symlink() or not path.is_file() or not store.is_own_export(_sha256(path) or ""):
        raise UsageError(f"Filen {path} findes allerede og er ikke skrevet af rettidig som eksport, eller den er "
                         "ændret, siden rettidig skrev den (måske i Word). Så den overskrives ikke, og dine rettelser "
                         "bevares. Intet er skrevet.", hint="Vælg et andet navn med --out.")


def _sha256(path: Path) -> str | None:
    import hashlib

    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def write_private(path: Path, content: str | bytes, overwrite: bool, store) -> Path:
    """Write atomically with mode 0600. An existing file is never replaced unless asked, and even
    then only if rettidig wrote it as an export and nobody has changed it since."""
    import hashlib

    from rettidig_cli.storage import safefile
    from rettidig_cli.domain.errors import disk_error, os_reason

    path = path.expanduser()
    check_target(path, store)
    try:
        if path.is_dir():
            raise UsageError(f"{path} er en mappe. Angiv et filnavn.")
        exists = path.exists() or path.is_symlink()
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir():
            raise UsageError(f"Mappen {folder} findes ikke.")
    except OSError as exc:  # a name too long, a folder that cannot be read
        raise UsageError(f"Filnavnet kan ikke bruges ({os_reason(exc)}). Intet er skrevet.",
                         hint="Vælg et kortere navn eller en anden mappe med --out.") from None
    if exists and not overwrite:
        raise UsageError(f"Filen {path} findes allerede og er ikke overskrevet.",
                         hint="Vælg et andet navn med --out, eller tilføj --overskriv.")
    if exists:
        check_replaceable(path, store)
    data = content.encode("utf-8") if isinstance(content, str) else content
    temporary = folder / f".rettidig-{os.urandom(8).hex()}.tmp"
    pending = store.begin_pending(temporary)
    try:
        safefile.point("åbn:eksport")
        fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as handle:
            safefile.point("skriv:eksport")
            handle.write(data)
            handle.flush()
            safefile.point("fsync:eksport")
            os.fsync(handle.fileno())
        if exists:  # checked above: our own, unchanged export
            safefile.replace(temporary, path, "eksport")
        else:
            safefile.publish_new(temporary, path, "eksport")
    except FileExistsError:
        _discard(temporary)
        store.end_pending(pending)
        raise UsageError(f"Filen {path} blev oprettet af et andet program lige nu og er ikke overskrevet.",
                         hint="Vælg et andet navn med --out.") from None
    except PermissionError:
        _discard(temporary)
        store.end_pending(pending)
        raise UsageError(f"Du har ikke lov til at skrive i mappen {folder}.") from None
    except OSError as exc:
        _discard(temporary)
        store.end_pending(pending)
        raise disk_error(exc, f"Filen {path.name} kunne ikke skrives") from None
    except BaseException:
        _discard(temporary)  # the row stays if this fails too: the next start removes the file
        raise
    store.export_written(hashlib.sha256(data).hexdigest(), pending)
    return path


def _discard(temporary: Path) -> None:
    try:
        temporary.unlink(missing_ok=True)
    except OSError:
        pass


def meeting_for(plan: Plan, number: int | None) -> Meeting | None:
    """The meeting a statusmøde document is for: the one asked for, else the next status meeting."""
    if number is None:
        return plan.next_status_meeting
    for m in plan.meetings():
        if m.nr == number:
            return m
    raise UsageError(f"Sagen har intet møde nr. {number}.", hint=f"Se møderne med: rettidig plan {plan.code}")


def agreement_table(plan: Plan, purpose, redactor) -> tuple[list[str], list[list[str]]]:
    """The agreements as columns and rows for CSV; anonymous without names or exact dates."""
    rows = [a for a in plan.agreements if purpose.csv == "all" or a.status in OPEN_AGREEMENT]

    def note(a: Agreement) -> str:
        latest = a.latest_note()
        return redactor.text(latest.note) if latest else ""

    if redactor.anonymous:
        return (["Nr.", "Hvad", "Senest", "Status", "Seneste bemærkning"],
                [[str(a.nr), redactor.text(a.what), redactor.day(a.due), a.status, note(a)] for a in rows])
    short = lambda iso: dt.date.fromisoformat(iso).strftime("%d-%m-%Y") if iso else ""  # noqa: E731
    return (["Nr.", "Hvad", "Hvem", "Aftalt", "Senest", "Status", "Seneste bemærkning"],
            [[str(a.nr), a.what, a.who, short(a.agreed), short(a.due), a.status, note(a)] for a in rows])


def calendar_items(plan: Plan, purpose, meeting: Meeting | None) -> tuple[list[Meeting], list[Agreement]]:
    """Which meetings and agreement deadlines go into a calendar file for this purpose."""
    everything = plan.meetings()
    if purpose.calendar == "none":
        raise UsageError(f"«{purpose.title}» kan ikke blive en kalenderfil: en kalender har præcise datoer.",
                         hint="Brug --format docx eller markdown.")
    if purpose.calendar == "meeting":
        if meeting is None:
            raise UsageError("Der er intet planlagt statusmøde at lægge i kalenderen.",
                             hint=f"Planlæg et med: rettidig møde ny {plan.code}")
        return [meeting], []
    if purpose.calendar == "other_meetings":
        others = [m for m in plan.other_meetings if m.status != MeetingState.CANCELLED]
        if not others:
            raise UsageError("Sagen har ingen andre møder end statusmøder at lægge i kalenderen.")
        return others, []
    return everything, plan.agreements


def render(plan: Plan, purpose, fmt: str, today: dt.date, redactor, meeting: Meeting | None = None,
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
                    "sag": as_json(plan), "historik": history or []}
        else:
            data = {"format": "rettidig-dokument", "version": JSON_VERSION,
                    "dokument": documents.build(plan, purpose, today, redactor, meeting)}
        from rettidig_cli.ui.output import json_text

        return json_text(data)  # every string (and key) cleaned at the boundary
    if fmt == "csv":
        from rettidig_cli.export import csvfile

        columns, rows = agreement_table(plan, purpose, redactor)  # csvfile.safe_cell cleans each cell
        return csvfile.table(columns, rows, separator)
    if fmt == "ics":
        from rettidig_cli.export import ics
        from rettidig_cli.guide.reference import document_rules

        rules = document_rules()
        meetings, agreements = calendar_items(plan, purpose, meeting)
        stamp = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        # A calendar is named, never anonymous (refused above), but it leaves out the family's names.
        return ics.calendar(plan.code, meetings, agreements, documents.calendar_redactor(plan),
                            rules.meeting_minutes, rules.reminder_hours, stamp)
    raise UsageError(f"Formatet «{fmt}» kendes ikke. Brug et af: {', '.join(FORMATS)}.")
