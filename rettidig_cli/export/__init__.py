"""Documents made from a handleplan, one module per format, and the safe writing of them."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from rettidig_cli.errors import UsageError

FORMATS = {"markdown": ".md"}


def default_name(case_code: str, fmt: str, today: dt.date) -> str:
    """Never the child's name: the case code and the date are enough to find it again."""
    return f"handleplan-{case_code}-{today.isoformat()}{FORMATS[fmt]}"


def write_private(path: Path, content: str, overwrite: bool) -> Path:
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
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".rettidig-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def render(plan: dict, fmt: str) -> str:
    if fmt == "markdown":
        from rettidig_cli.export import markdown

        return markdown.handleplan(plan)
    raise UsageError(f"Formatet «{fmt}» kendes ikke. Brug et af: {', '.join(FORMATS)}.")
