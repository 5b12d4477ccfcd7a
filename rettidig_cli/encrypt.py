"""Encrypting a plain data file, or changing its key. SQLCipher cannot do either in place, so the
whole file is exported into a new file under the new key, checked table by table, and only then
moved over the old one. Until that last step the old file is untouched."""

from __future__ import annotations

import os
from pathlib import Path

from rettidig_cli import keys
from rettidig_cli.errors import LockedError, StoreError
from rettidig_cli.store import _translate, connect, database_errors


def _counts(conn, schema: str = "main") -> dict[str, int]:
    names = [r[0] for r in conn.execute(f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table'")]
    return {n: conn.execute(f'SELECT count(*) FROM {schema}."{n}"').fetchone()[0] for n in sorted(names)}


def _source(path: Path, key):
    """The old file opened through SQLCipher (which reads plain files too), locked against every
    other window until it is closed."""
    import sqlcipher3

    conn = sqlcipher3.connect(str(path), isolation_level=None, timeout=1)
    conn.execute("PRAGMA cipher_log_level = NONE")
    if key is not None:
        conn.execute(f"PRAGMA key = {key.pragma}")
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute(f"PRAGMA user_version = {version}")  # a write: the exclusive lock is now held
    except database_errors() as exc:
        conn.close()
        if isinstance(_translate(exc, path), LockedError):
            raise LockedError("Datafilen er i brug i et andet rettidig-vindue. Luk det, og prøv igen. "
                              "Intet er ændret.") from None
        raise
    return conn


def rewrap(path: Path, old_key, new_key) -> None:
    """Write the file again under new_key; the sidecar names the new key (and, until the swap is
    done, the old one too)."""
    fresh = path.with_name(path.name + ".ny")
    fresh.unlink(missing_ok=True)  # left over from an attempt that was cut short
    source = _source(path, old_key)
    try:
        try:
            os.close(os.open(fresh, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
            source.execute(f"ATTACH DATABASE ? AS fresh KEY {new_key.pragma}", (str(fresh),))
            source.execute("SELECT sqlcipher_export('fresh')")
            source.execute("DETACH DATABASE fresh")
            check = connect(fresh, new_key)
            try:
                verdict = check.execute("PRAGMA integrity_check").fetchone()[0]
                same = _counts(check) == _counts(source)
                check.execute("PRAGMA journal_mode = WAL")
            finally:
                check.close()
        except database_errors() as exc:
            raise StoreError(f"Den nye, krypterede fil kunne ikke skrives ({exc}). Datafilen er ikke ændret.") from None
        if verdict != "ok" or not same:
            raise StoreError("Den nye, krypterede fil kunne ikke kontrolleres. Datafilen er ikke ændret.")
        keys.write_sidecar(path, new_key, previous=old_key)
        os.replace(fresh, path)
        keys.write_sidecar(path, new_key)
    except BaseException:
        fresh.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        # Belonged to the old file; the new one starts without them.
        if leftover.exists() and leftover.stat().st_size == 0:
            leftover.unlink()


def key_still_used(key_id: str, folders: list[Path]) -> bool:
    """Does a backup still need this keyring entry?"""
    for folder in folders:
        for side in folder.glob(f"*{keys.SIDECAR_SUFFIX}"):
            if key_id in side.read_text(encoding="utf-8", errors="replace"):
                return True
    return False
