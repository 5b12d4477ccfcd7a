"""Encryption keys for the data file (SQLCipher).

A key is either a passphrase the user types each time, or a random 256-bit key kept in the
operating system's keyring. It is never read from the command line or an environment variable,
and never written to a file: the small file beside the database (rettidig.db.kryptering) says only
*how* to find the key. sqlcipher3 and keyring are imported only when a file is encrypted."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from rettidig_cli.domain.errors import StoreError

KEYRING = "nøglering"
PASSPHRASE = "adgangskode"
METHODS = (KEYRING, PASSPHRASE)
SIDECAR_SUFFIX = ".kryptering"

LOST_KEY_WARNING = (
    "Vigtigt: Mister du {what}, kan datafilen ikke åbnes igen – heller ikke af rettidig eller IT. "
    "Nye sikkerhedskopier bruger samme nøgle."
)

# Keyring backends that keep secrets in a readable file, or keep nothing at all.
_UNSAFE_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")


@dataclass(frozen=True)
class Key:
    method: str
    pragma: str  # the literal given to PRAGMA key; never printed or logged
    key_id: str | None = None  # the keyring entry's name (not secret)

    def __repr__(self) -> str:  # a traceback or debug print must never show the key
        return f"Key(method={self.method!r}, key_id={self.key_id!r})"


def from_passphrase(text: str) -> Key:
    return Key(PASSPHRASE, "'" + text.replace("'", "''") + "'")


def from_hex(hex_key: str, key_id: str) -> Key:
    if len(hex_key) != 64 or any(c not in "0123456789abcdef" for c in hex_key):
        raise StoreError("Nøglen i computerens nøglering har en ukendt form. Datafilen er ikke ændret.")
    return Key(KEYRING, f"\"x'{hex_key}'\"", key_id)


def check_new_passphrase(text: str) -> str:
    """Raise ValueError (Danish) for a passphrase that is too weak or cannot be used."""
    from rettidig_cli.guide.reference import privacy_rules

    minimum = privacy_rules().passphrase_min_length
    if len(text) < minimum:
        raise ValueError(f"Adgangskoden skal være mindst {minimum} tegn – gerne en sætning, du kan huske.")
    if "\x00" in text or text != text.strip():
        raise ValueError("Adgangskoden må ikke begynde eller slutte med mellemrum.")
    return text


# ------------------------------------------------------------------ the file beside the database


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def describe(path: Path) -> dict | None:
    """What the sidecar says (method, key ids, and a key switch cut short), or None for a plain
    data file."""
    try:
        data = tomllib.loads(sidecar(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        raise StoreError(f"Filen {sidecar(path)} kan ikke læses, så datafilen kan ikke låses op.") from None
    if data.get("metode") not in METHODS or data.get("skift_fra", NONE) not in (*METHODS, NONE):
        raise StoreError(f"Filen {sidecar(path)} nævner ingen kendt krypteringsmetode.")
    return data


NONE = "ingen"  # skift_fra: the file was not encrypted before the switch


def switch_in_progress(info: dict | None) -> bool:
    """A key switch was begun and not finished: the file opens with the old key or the new one."""
    return bool(info) and ("skift_fra" in info or "forrige_noegle_id" in info)


def may_need_passphrase(info: dict) -> bool:
    return info["metode"] == PASSPHRASE or info.get("skift_fra") == PASSPHRASE


def write_sidecar(path: Path, key: Key, previous: Key | None = None, switching: bool = False) -> None:
    """The sidecar names the key's method (and keyring id). While a switch is under way
    (switching=True) it also names the key before it (previous; None = not encrypted), because
    until the new file is in place only the old key opens it."""
    lines = ["# rettidig: datafilen ved siden af er krypteret. Denne fil indeholder IKKE nøglen.",
             f'metode = "{key.method}"']
    if key.key_id:
        lines.append(f'noegle_id = "{key.key_id}"')
    if switching or previous is not None:
        lines.append("# Et skift af nøgle er i gang (eller blev afbrudt): den forrige nøgle kan stadig være den rigtige.")
        lines.append(f'skift_fra = "{previous.method if previous is not None else NONE}"')
        if previous is not None and previous.key_id:
            lines.append(f'forrige_noegle_id = "{previous.key_id}"')
    from rettidig_cli.storage import safefile

    safefile.write_atomic(sidecar(path), ("\n".join(lines) + "\n").encode("utf-8"), "nøglefil")


# ------------------------------------------------------------------ the keyring


def _backend_name(backend) -> str:
    return f"{type(backend).__module__}.{type(backend).__name__}"


def unsafe_reason(backend) -> str | None:
    """Why a keyring backend may not hold the key, or None if it may."""
    children = getattr(backend, "backends", None)
    for candidate in (children if children is not None else [backend]):
        name = _backend_name(candidate)
        if name.startswith(_UNSAFE_MODULES) or "plaintext" in name.lower():
            return name
    if children == []:
        return _backend_name(backend)
    return None


def keyring_backend():
    try:
        import keyring
        backend = keyring.get_keyring()
    except Exception:  # a broken keyring configuration is the same as none
        backend = None
    reason = unsafe_reason(backend) if backend is not None else "ingen"
    if reason:
        raise StoreError(
            "Der er ingen sikker nøglering på denne computer, så nøglen kan ikke gemmes der.",
            hint=f"Brug en adgangskode i stedet: rettidig kryptering til --adgangskode (til IT: {reason}).",
        )
    return backend


def new_keyring_key() -> Key:
    from rettidig_cli.guide.reference import privacy_rules

    backend = keyring_backend()
    import secrets  # with hmac and hashlib, ~3 ms at every start; only a new key needs it
    import uuid

    key_id = f"datafil-{uuid.uuid4()}"
    hex_key = secrets.token_hex(32)
    try:
        backend.set_password(privacy_rules().keyring_service, key_id, hex_key)
    except Exception as exc:
        raise StoreError(f"Nøglen kunne ikke gemmes i computerens nøglering ({exc.__class__.__name__}). "
                         "Intet er krypteret.") from None
    return from_hex(hex_key, key_id)


def keyring_key(key_id: str) -> Key | None:
    from rettidig_cli.guide.reference import privacy_rules

    try:
        hex_key = keyring_backend().get_password(privacy_rules().keyring_service, key_id)
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(f"Computerens nøglering svarede ikke ({exc.__class__.__name__}).",
                         hint="Log ind på computeren igen, eller lås nøgleringen op, og prøv igen.") from None
    return from_hex(hex_key, key_id) if hex_key else None


def forget_keyring_key(key_id: str) -> None:
    from rettidig_cli.guide.reference import privacy_rules

    try:
        keyring_backend().delete_password(privacy_rules().keyring_service, key_id)
    except Exception:  # already gone: nothing to forget
        pass


def stored_keys(info: dict) -> list[Key]:
    """The keyring keys that may open a file: the current one, then the one before a switch that
    was cut short. A key no longer in the keyring is left out."""
    found = []
    for field in ("noegle_id", "forrige_noegle_id"):
        if info.get(field):
            key = keyring_key(info[field])
            if key is not None:
                found.append(key)
    return found
