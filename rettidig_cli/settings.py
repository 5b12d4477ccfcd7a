"""The user's own settings, kept in indstillinger.toml in the data folder: whether new data files
are encrypted, and how long closed cases and the audit log are kept. Defaults come from
data/privacy.toml. The file holds no key and no case data."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from rettidig_cli.errors import UsageError

FILE_NAME = "indstillinger.toml"
ENCRYPTION_CHOICES = ("nøglering", "adgangskode", "ingen")
# Keys a user may find in the file, with what each must be.
_KEYS = {"kryptering": str, "lukkede_sager_maaneder": int, "log_maaneder": int}


def settings_path(home: Path) -> Path:
    return home / FILE_NAME


def load(home: Path) -> dict:
    path = settings_path(home)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        raise UsageError(f"Indstillingsfilen {path} kan ikke læses.",
                         hint="Ret filen, eller slet den for at bruge standardindstillingerne.") from None
    for key, kind in _KEYS.items():
        if key in data and (not isinstance(data[key], kind) or isinstance(data[key], bool)):
            raise UsageError(f"Indstillingsfilen {path}: «{key}» har en ugyldig værdi.")
    if data.get("kryptering", "ingen") not in ENCRYPTION_CHOICES:
        raise UsageError(f"Indstillingsfilen {path}: «kryptering» skal være en af {', '.join(ENCRYPTION_CHOICES)}.")
    return data


def save(home: Path, **changes) -> None:
    """Merge changes into the file, written whole and atomically (0600)."""
    data = {**load(home), **changes}
    lines = ["# rettidigs indstillinger. Filen indeholder ingen nøgle og ingen oplysninger om børn."]
    for key in _KEYS:
        if key in data:
            value = data[key]
            lines.append(f'{key} = "{value}"' if isinstance(value, str) else f"{key} = {value}")
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = settings_path(home)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    os.replace(temporary, path)


def encryption(home: Path) -> str | None:
    """How new data files are made: 'nøglering', 'adgangskode', 'ingen', or None if never chosen."""
    return load(home).get("kryptering")


def retention(home: Path) -> tuple[int, int]:
    """(months a closed case is kept, months an audit-log entry is kept)."""
    from rettidig_cli.reference import privacy_rules

    rules, data = privacy_rules(), load(home)
    return (data.get("lukkede_sager_maaneder", rules.closed_case_months),
            data.get("log_maaneder", rules.audit_months))
