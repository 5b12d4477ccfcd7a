"""The user's own settings, kept in indstillinger.toml in the data folder: whether new data files
are encrypted, and how long closed cases and the audit log are kept. Defaults come from
data/privacy.toml. The file holds no key and no case data."""

from __future__ import annotations

import tomllib
from pathlib import Path

from rettidig_cli.domain.errors import UsageError

FILE_NAME = "indstillinger.toml"
ENCRYPTION_CHOICES = ("nøglering", "adgangskode", "ingen")
# Keys a user may find in the file, with what each must be.
_KEYS = {"kryptering": str, "lukkede_sager_maaneder": int, "log_maaneder": int}


def settings_path(home: Path) -> Path:
    return home / FILE_NAME


# A settings file is a few lines; anything this big is not one (and is not read whole).
_MAX_BYTES = 100_000
_RETENTION_KEYS = ("lukkede_sager_maaneder", "log_maaneder")


def retention_range() -> tuple[int, int]:
    """The fewest and most months a retention period may be: [settings] in data/limits.toml."""
    from rettidig_cli.guide.reference import limits

    return limits().retention_months


def _refuse(path: Path, problem: str, key: str | None = None) -> UsageError:
    """A Danish message naming the file (and the key), with how to fix it. Exit code 2."""
    fix = f"Ret «{key}» i filen, eller slet linjen" if key else "Ret filen, eller slet den"
    return UsageError(f"Indstillingsfilen {path}{f': «{key}»' if key else ''} {problem}.",
                      hint=f"{fix} for at bruge standardindstillingerne (data/privacy.toml).")


def check_retention(key: str, value, path: Path) -> int:
    """A retention period in whole months within the limits, or a UsageError naming file and key.
    0 or a negative period would make every closed case due for erasure at once."""
    low, high = retention_range()
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        shown = value if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**15 else None
        raise _refuse(path, f"skal være et helt antal måneder fra {low} til {high}"
                            + (f", men er {shown}" if shown is not None else ""), key)
    return value


def load(home: Path) -> dict:
    path = settings_path(home)
    try:
        with path.open("rb") as handle:
            raw = handle.read(_MAX_BYTES + 1)
    except FileNotFoundError:
        return {}
    except OSError:
        raise _refuse(path, "kan ikke læses") from None
    if len(raw) > _MAX_BYTES:
        raise _refuse(path, f"er for stor til at være en indstillingsfil (over {_MAX_BYTES // 1000} kB)")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        raise _refuse(path, "kan ikke læses (den er ikke gyldig TOML)") from None
    except ValueError:  # not a syntax error: an integer of more than 4300 digits
        raise _refuse(path, "har et tal med alt for mange cifre") from None
    for key, kind in _KEYS.items():
        if key in _RETENTION_KEYS and key in data:
            check_retention(key, data[key], path)
        elif key in data and (not isinstance(data[key], kind) or isinstance(data[key], bool)):
            raise _refuse(path, "har en ugyldig værdi", key)
    if data.get("kryptering", "ingen") not in ENCRYPTION_CHOICES:
        raise _refuse(path, f"skal være en af {', '.join(ENCRYPTION_CHOICES)}", "kryptering")
    return data


def save(home: Path, **changes) -> None:
    """Merge changes into the file, written whole and atomically (0600)."""
    path = settings_path(home)
    low, high = retention_range()
    for key in _RETENTION_KEYS:
        if key in changes:  # refused before anything is written: the next command would refuse the file
            try:
                check_retention(key, changes[key], path)
            except UsageError:
                raise UsageError(f"En opbevaringsperiode kan ikke gemmes i {path}: den skal være et helt antal "
                                 f"måneder fra {low} til {high}.", hint="Intet er gemt. Grænserne står i "
                                 "data/limits.toml ([settings]).") from None
    data = {**load(home), **changes}
    lines = ["# rettidigs indstillinger. Filen indeholder ingen nøgle og ingen oplysninger om børn."]
    for key in _KEYS:
        if key in data:
            value = data[key]
            lines.append(f'{key} = "{value}"' if isinstance(value, str) else f"{key} = {value}")
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    from rettidig_cli.storage import safefile

    safefile.write_atomic(path, ("\n".join(lines) + "\n").encode("utf-8"), "indstillinger")


def encryption(home: Path) -> str | None:
    """How new data files are made: 'nøglering', 'adgangskode', 'ingen', or None if never chosen."""
    return load(home).get("kryptering")


def retention(home: Path, warn=None) -> tuple[int, int]:
    """(months a closed case is kept, months an audit-log entry is kept). A bad file is a UsageError
    naming the file and the key (exit 2). Where the periods only serve a reminder (the morning
    overview everyone runs, doctor), the caller gives `warn`: it is told instead, and the defaults
    from data/privacy.toml are used. `oprydning` erases by the periods and never guesses."""
    from rettidig_cli.guide.reference import privacy_rules

    rules = privacy_rules()
    try:
        data = load(home)
    except UsageError as exc:
        if warn is None:
            raise
        warn(f"{exc.message} Indtil den er rettet, regnes der med standardperioderne: lukkede sager "
             f"{rules.closed_case_months} måneder, logposter {rules.audit_months} måneder. {exc.hint}")
        data = {}
    return (data.get("lukkede_sager_maaneder", rules.closed_case_months),
            data.get("log_maaneder", rules.audit_months))
