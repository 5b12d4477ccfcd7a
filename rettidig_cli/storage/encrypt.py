"""Encrypting a plain data file, or changing its key: a small state machine whose every crash point
leaves a file that opens with a key rettidig can still find.

SQLCipher cannot re-key in place, so the whole file is exported into a new file under the new key,
checked, and moved over the old one. The states, as they lie on the disk:

  OLD       the file under the old key (or plain); the sidecar names the old key.
  SWITCHING the sidecar names the new key AND the old one (skift_fra); the file is still under the
            old key, and rettidig.db.ny is being written under the new one.
  SWAPPED   rettidig.db.ny has been renamed over the file: it is under the new key; the sidecar
            still names both.
  NEW       the sidecar names only the new key.

Whatever state a crash leaves, opening the file tries every key the sidecar names (settle(), on
the next start), and a key is forgotten only once it is certain that no file needs it: the new key
when the file is back under the old one and rettidig.db.ny is gone; the old key when the file is
under the new one and no backup names it."""

from __future__ import annotations

import contextlib
import os
import signal
from dataclasses import dataclass
from pathlib import Path

from rettidig_cli.storage import keys, safefile
from rettidig_cli.domain.errors import LockedError, StoreError
from rettidig_cli.storage.store import BACKUP_FOLDER, SQLITE_HEADER, translate_error, connect, database_errors

OLD, NEW = "old", "new"


def fresh_path(path: Path) -> Path:
    return path.with_name(path.name + ".ny")


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
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute(f"PRAGMA user_version = {version}")  # a write: the exclusive lock is now held
        # SQLite can quietly stay in WAL mode (a disk error while leaving it); the old file would then
        # keep a -wal beside it, which would be taken into the new, encrypted file and break it.
        now_mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    except database_errors() as exc:
        conn.close()
        error = translate_error(exc, path)
        if isinstance(error, LockedError):
            raise LockedError("Datafilen er i brug i et andet rettidig-vindue. Luk det, og prøv igen. "
                              "Intet er ændret.") from None
        raise StoreError(f"Datafilen kunne ikke gøres klar til skiftet: {error.message} Intet er ændret.",
                         hint=error.hint) from None
    if busy or mode.lower() != "delete" or now_mode.lower() != "delete" or _has_content(wal_path(path)):
        conn.close()
        raise StoreError("Datafilen kunne ikke gøres klar til skiftet (disken svarede med en fejl, eller et andet "
                         "vindue bruger den). Intet er ændret.", hint="Prøv igen om lidt. Kør: rettidig doctor")
    return conn


def wal_path(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def _has_content(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except FileNotFoundError:
        return False


def opens_with(path: Path, key) -> bool:
    """Does this key (None: plain) open the file at path right now?"""
    if not path.is_file():
        return False
    with path.open("rb") as handle:
        plain = handle.read(16) == SQLITE_HEADER
    if key is None or plain:
        return key is None and plain
    try:
        conn = connect(path, key)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except database_errors():
        return False
    return True


@contextlib.contextmanager
def _ctrl_c_waits():
    """Ctrl-C during the switch is held back until the file and its sidecar agree again (a few
    hundred milliseconds); the caller is told it came. kill -9 is handled by settle() instead."""
    pressed = []
    if _main_thread():  # only the main thread may set a signal handler
        previous = signal.signal(signal.SIGINT, lambda *_: pressed.append(True))
        try:
            yield pressed
        finally:
            signal.signal(signal.SIGINT, previous)
    else:
        yield pressed


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


@dataclass
class Outcome:
    state: str  # OLD or NEW: which key opens the file now
    interrupted: bool = False  # Ctrl-C came during the switch (and was held back)


def lock_file(path: Path) -> Path:
    return path.with_name(path.name + ".lås")


def switch(path: Path, old_key, new_key) -> Outcome:
    """Move the file from old_key (None: plain) to new_key. The new key must already be where it
    is kept (keyring) or typed (passphrase). On failure the file is left under one of the keys,
    the sidecar names it, and the error says which."""
    fresh = fresh_path(path)
    with _ctrl_c_waits() as pressed, safefile.held(lock_file(path)):
        source = None
        begun = False  # the sidecar names the new key from here on
        try:
            safefile.unlink(fresh, "ny fil")  # left over from an attempt that was cut short
            source = _source(path, old_key)
            begun = True
            keys.write_sidecar(path, new_key, previous=old_key, switching=True)  # -> SWITCHING
            _export(source, fresh, new_key)
            if _has_content(wal_path(path)):  # would be read into the new file as if it were its own
                raise StoreError("Datafilen har en ufærdig logfil (-wal) ved siden af sig.")
            # -> SWAPPED: the one step that changes the key. The old file stays locked until it is
            # no longer the data file, so no other window can write into it in between.
            safefile.replace(fresh, path, "datafil")
        except BaseException as exc:
            if source is not None:
                source.close()
            if not begun:  # nothing names the new key yet: the file is as it was
                if new_key.key_id:
                    keys.forget_keyring_key(new_key.key_id)
                raise
            state = settle_after_failure(path, old_key, new_key)
            raise _explained(exc, state) from None
        source.close()
        try:
            keys.write_sidecar(path, new_key)  # -> NEW
        except BaseException:
            pass  # SWAPPED opens with the new key too; the next start writes the sidecar again
        if old_key is not None and old_key.key_id and not used_by_backups(path, old_key.key_id):
            keys.forget_keyring_key(old_key.key_id)
        for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            # Belonged to the old file; the new one starts without them.
            with contextlib.suppress(OSError):
                if leftover.exists() and leftover.stat().st_size == 0:
                    safefile.unlink(leftover, "rest")
    return Outcome(NEW, interrupted=bool(pressed))


def _export(source, fresh: Path, new_key) -> None:
    safefile.point("opret:ny fil")
    os.close(os.open(fresh, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
    try:
        safefile.point("eksport:ny fil")
        source.execute(f"ATTACH DATABASE ? AS fresh KEY {new_key.pragma}", (str(fresh),))
        # The new file is thrown away unless it checks out, and is flushed to the disk as a whole
        # before it replaces the old one: no journal and no flush per table (which cost ~50 fsyncs).
        source.execute("PRAGMA fresh.synchronous = OFF")
        source.execute("PRAGMA fresh.journal_mode = OFF")
        source.execute("SELECT sqlcipher_export('fresh')")
        source.execute("DETACH DATABASE fresh")
        safefile.point("kontrol:ny fil")
        check = connect(fresh, new_key)
        try:
            verdict = check.execute("PRAGMA integrity_check").fetchone()[0]
            same = _counts(check) == _counts(source)
            check.execute("PRAGMA journal_mode = WAL")
        finally:
            check.close()
    except database_errors() as exc:
        raise StoreError(f"Den nye, krypterede fil kunne ikke skrives ({translate_error(exc, fresh).message})") from None
    if verdict != "ok" or not same:
        raise StoreError("Den nye, krypterede fil kunne ikke kontrolleres.")
    safefile.fsync_file(fresh, "ny fil")


def settle_after_failure(path: Path, old_key, new_key) -> str | None:
    """After an error or Ctrl-C inside switch(): find out which key opens the file, make the
    sidecar say so (if the disk lets us), and forget the new key only if nothing needs it.
    Returns OLD, NEW or None (neither could be confirmed: every key is kept)."""
    with contextlib.suppress(Exception):
        if opens_with(path, new_key):
            with contextlib.suppress(Exception):
                keys.write_sidecar(path, new_key)
            return NEW
        if opens_with(path, old_key):
            fresh = fresh_path(path)
            with contextlib.suppress(Exception):
                safefile.unlink(fresh, "ny fil")
            with contextlib.suppress(Exception):
                if old_key is None:
                    safefile.unlink(keys.sidecar(path), "nøglefil")
                else:
                    keys.write_sidecar(path, old_key)
            if new_key.key_id and not fresh.exists():
                keys.forget_keyring_key(new_key.key_id)
            return OLD
    return None


def _explained(exc: BaseException, state: str | None) -> BaseException:
    """The error as the user should read it: what went wrong, and the truth about the file now."""
    from rettidig_cli.domain.errors import DiskError, Interrupted, RettidigError, disk_error, os_reason

    truth = {OLD: "Nøglen er ikke skiftet: datafilen åbnes stadig som før. Intet er tabt.",
             NEW: "Skiftet nåede at blive gjort færdigt: datafilen åbnes nu med den nye nøgle. Intet er tabt.",
             None: "Datafilen og begge nøgler er bevaret; rettidig prøver dem begge, næste gang filen åbnes."}[state]
    if isinstance(exc, KeyboardInterrupt):
        return Interrupted(f"Afbrudt. {truth}")
    if isinstance(exc, RettidigError):
        return type(exc)(f"{exc.message.rstrip('.')}. {truth}", exc.hint)
    if isinstance(exc, OSError):
        return DiskError(f"Skiftet af nøgle kunne ikke gøres færdigt: {os_reason(exc)}. {truth}",
                         disk_error(exc).hint)
    return exc


def settle(path: Path, info: dict, typed_key) -> str | None:
    """At opening: a switch cut short by kill -9 left a sidecar naming two keys (or, for a plain
    file, a new key). Under the switch lock, and only if no switch is running now, find out which
    key opens the file, make the sidecar say only that, and forget the other key if nothing needs
    it. typed_key is the passphrase key typed at this opening, if any. Returns the message for
    the user, or None if there was nothing to do (another window is switching right now)."""
    with safefile.held(lock_file(path), wait=False) as mine:
        if not mine:
            return None
        info = keys.describe(path)  # read again under the lock: the other window may have finished
        if not keys.switch_in_progress(info):
            return None
        from_method = info.get("skift_fra", keys.KEYRING if info.get("forrige_noegle_id") else keys.NONE)
        new_id, old_id = info.get("noegle_id"), info.get("forrige_noegle_id")
        new_key = keys.keyring_key(new_id) if new_id else (typed_key if info["metode"] == keys.PASSPHRASE else None)
        old_key = keys.keyring_key(old_id) if old_id else (typed_key if from_method == keys.PASSPHRASE else None)
        if info["metode"] == from_method == keys.PASSPHRASE:
            # Old and new are both passphrases: the one typed opens the file; which of them it is
            # cannot be told, and does not matter for the sidecar.
            new_key, old_key = typed_key, None
        if new_key is not None and opens_with(path, new_key):
            landed, now_key, unused = NEW, new_key, old_id
        elif from_method == keys.NONE and opens_with(path, None):
            landed, now_key, unused = OLD, None, new_id
        elif old_key is not None and opens_with(path, old_key):
            landed, now_key, unused = OLD, old_key, new_id
        else:
            return None  # not confirmed: every key is kept, the sidecar still names both
        safefile.unlink(fresh_path(path), "ny fil")  # under the new key; never the data file
        if now_key is None:
            safefile.unlink(keys.sidecar(path), "nøglefil")
        else:
            keys.write_sidecar(path, now_key)
        if unused and unused != (now_key.key_id if now_key else None) and not used_by_backups(path, unused):
            keys.forget_keyring_key(unused)
    if landed == NEW and info["metode"] == from_method == keys.PASSPHRASE:
        return ("Et skift af adgangskode blev afbrudt. Datafilen åbnede med den adgangskode, du skrev, og den "
                "gælder fortsat. Intet er tabt.")
    if landed == NEW:
        return ("Et skift af nøgle blev afbrudt lige før det sidste trin. Det er gjort færdigt nu: datafilen "
                "åbnes med den nye nøgle. Intet er tabt.")
    return ("Et skift af nøgle (eller en kryptering) blev afbrudt. Datafilen åbnes stadig som før, og intet er "
            "tabt. Prøv igen med: rettidig kryptering " + ("til" if now_key is None else "skift"))


def used_by_backups(path: Path, key_id: str) -> bool:
    """Does a backup beside the data file still need this keyring entry? When in doubt (a sidecar
    that cannot be read), yes."""
    for side in (path.parent / BACKUP_FOLDER).glob(f"*{keys.SIDECAR_SUFFIX}*"):
        try:
            if key_id in side.read_text(encoding="utf-8", errors="replace"):
                return True
        except OSError:
            return True
    return False
