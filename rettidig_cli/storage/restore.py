"""`rettidig gendan`: put a backup back as the data file, and check backups for doctor.

The backup is first copied into the data folder under a temporary name and checked there (its
key, integrity_check, a rettidig file, not from a newer rettidig); the backup itself is never
written to. Then the swap, ordered so that a crash (kill -9) at any point leaves either the old
or the restored file at the data path, each with a sidecar that opens it, and never no file:

1. the current file is locked against every other window (if it opens at all), its WAL moved
   into it and the file switched to a rollback journal, so it stands alone;
2. a marker file beside it says that a restore is under way (doctor reports one left behind);
3. the current file gets a second name (a hard link, or a copy where links are not possible)
   in sikkerhedskopier/gemt-ved-gendannelse/, with a copy of its sidecar: it is kept, never
   deleted, and the data path still holds it;
4. any -wal, -shm or -journal left at the data path is moved beside that kept file: a stale WAL
   beside the restored file would be merged into it on the next open;
5. the sidecar is made to open both the old and the restored file where one sidecar can (a plain
   file ignores a sidecar; two keyring keys can both be named; passphrases share one sidecar);
6. the checked copy is renamed over the data path (os.replace: atomic, the path is never empty);
7. the sidecar is made to name only the restored file's key (or removed, for a plain file);
8. the restored file is opened as usual and the audit log gets a row "gendan";
9. the marker is removed.

Only where the old and the restored file use different methods (keyring and passphrase) is there
a moment, between steps 6 and 7, where a crash leaves a sidecar that does not open the file at
the path; the marker is then still there, doctor says so, and `rettidig gendan` run again
finishes the job. The file is never replaced by a new, empty one."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from rettidig_cli.storage import keys, safefile
from rettidig_cli.domain.errors import LockedError, NoTerminalError, StoreError
from rettidig_cli.storage.store import BACKUP_FOLDER, SQLITE_HEADER, Store, translate_error, connect, database_errors

ASIDE_FOLDER = "gemt-ved-gendannelse"
COPY_SUFFIX = ".gendannes"  # the checked copy of the backup, in the data folder
MARKER_SUFFIX = ".gendannelse"  # a restore is under way (left behind: it was interrupted)
EXTRAS = ("-wal", "-shm", "-journal")

# The steps of the swap, in order. Each passes the fault point "gendan:<step>" (safefile.point)
# right after it is done, where the tests crash the process to see what a crash leaves.
STEPS = ("kopi-kontrolleret", "låst", "markør", "nøglefil-gemt", "gammel-gemt", "ekstra-flyttet",
         "nøglefil-før", "byttet", "nøglefil-efter", "låst-op", "logget", "færdig")


def _step(name: str) -> None:
    safefile.point(f"gendan:{name}")


def copy_path(path: Path) -> Path:
    return path.with_name(path.name + COPY_SUFFIX)


def marker_path(path: Path) -> Path:
    return path.with_name(path.name + MARKER_SUFFIX)


def aside_folder(path: Path) -> Path:
    return path.parent / BACKUP_FOLDER / ASIDE_FOLDER


def _copy_bytes(source: Path, target: Path) -> None:
    """A byte copy into a new private file, synced."""
    fd = os.open(target, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, source.open("rb") as inp:
        shutil.copyfileobj(inp, out, 1 << 20)
        out.flush()
        os.fsync(out.fileno())


# ------------------------------------------------------------------ reading a backup


def open_readonly(path: Path, key):
    """A connection that only reads and leaves no -wal or -shm behind (immutable)."""
    uri = path.resolve().as_uri() + "?immutable=1"
    if key is None:
        return sqlite3.connect(uri, uri=True, isolation_level=None)
    import sqlcipher3

    conn = sqlcipher3.connect(uri, uri=True, isolation_level=None)
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = {key.pragma}")
    return conn


def _opens(conn) -> bool:
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except database_errors():
        return False


def _content(conn) -> tuple[str, str | None]:
    """('current' | 'pending' | 'newer' | 'foreign', the newest audit time). Raises a database
    error for a damaged file."""
    from rettidig_cli.storage.store import applied_migrations, schema_state

    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"_sqlite_migrations", "cases", "audit_log"} <= tables:
        return "foreign", None
    if not applied_migrations(conn):
        return "foreign", None
    newest = conn.execute("SELECT max(at) FROM audit_log").fetchone()[0]
    return schema_state(conn), newest


def _checked(conn, pragma: str) -> tuple[list[str], str, str | None]:
    """(the check's verdict, what the file is (see _content), its newest audit time); a file too
    damaged to be checked has the error as its verdict."""
    try:
        verdict = [r[0] for r in conn.execute(f"PRAGMA {pragma}")]
        state, newest = _content(conn) if verdict == ["ok"] else ("", None)
    except database_errors() as exc:
        return [str(exc)], "", None
    return verdict, state, newest


def inspect_backup(path: Path, known_key=None) -> tuple[str, str]:
    """For doctor: ('ok' | 'ikke tjekket' | 'fremmed' | 'fejl', Danish detail). Reads only. A backup locked by
    a passphrase is checked only if known_key (the data file's, already typed) opens it."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        return "fejl", f"kan ikke læses ({exc.strerror})"
    if size == 0:
        return "fejl", "er tom (0 byte) – den blev afbrudt, mens den blev skrevet, og kan ikke bruges"
    try:
        info = keys.describe(path)
    except StoreError as exc:
        return "fejl", exc.message
    if info is None:
        with path.open("rb") as handle:
            if handle.read(16) != SQLITE_HEADER:
                return "fejl", (f"er ikke en SQLite-fil (er den krypteret, mangler filen "
                                f"{keys.sidecar(path).name} ved siden af den)")
        candidates = [None]
    elif info["metode"] == keys.KEYRING:
        try:
            candidates = keys.stored_keys(info)
        except StoreError as exc:
            return "fejl", exc.message
        if not candidates:
            return "fejl", "nøglen til den findes ikke i computerens nøglering, så den kan ikke åbnes"
    else:
        candidates = [known_key] if known_key is not None and known_key.method == keys.PASSPHRASE else []
    for key in candidates:
        try:
            conn = open_readonly(path, key)
        except database_errors():
            continue
        try:
            if not _opens(conn):
                continue
            verdict, state, _ = _checked(conn, "quick_check")
            if verdict != ["ok"]:
                return "fejl", "er beskadiget (quick_check: " + "; ".join(verdict[:3]) + ")"
            if state == "foreign":  # a whole SQLite file, just not rettidig's
                return "fremmed", "er en SQLite-fil, men ikke en rettidig-sikkerhedskopi, så den kan ikke gendannes"
            if state == "newer":
                return "fejl", "er lavet af en nyere version af rettidig og kan ikke bruges af denne"
            return "ok", "hel"
        finally:
            conn.close()
    if info is not None and info["metode"] == keys.PASSPHRASE:
        return "ikke tjekket", "krypteret med en adgangskode, som ikke er datafilens – ikke tjekket"
    return "fejl", "kan ikke åbnes med sin nøgle (forkert nøgle, eller filen er beskadiget)"


# ------------------------------------------------------------------ checking the backup


@dataclass
class Checked:
    """A backup, checked, with its copy waiting in the data folder."""

    backup: Path
    copy: Path
    key: object | None
    passphrase: str | None
    taken: dt.datetime  # the backup file's time
    newest: str | None  # the newest row of its audit log (what it holds is from before this)
    schema: str


def check_backup(path: Path, backup: Path, ask_passphrase) -> Checked:
    """Copy the backup into the data folder and check the copy; the backup is only read.
    ask_passphrase(attempt) -> text, for a backup locked by a passphrase. Raises a Danish error
    (with nothing left behind and the data file unchanged) if the backup cannot be used."""
    unchanged = "Datafilen er ikke ændret."
    if not backup.exists():
        raise StoreError(f"Sikkerhedskopien {backup} findes ikke. {unchanged}",
                         hint=f"Se kopierne i {path.parent / BACKUP_FOLDER}, eller kør: rettidig doctor")
    if not backup.is_file():
        raise StoreError(f"{backup} er ikke en fil. {unchanged}")
    if (path.exists() and os.path.samefile(path, backup)) or backup.resolve() == copy_path(path).resolve():
        raise StoreError(f"{backup} er selve datafilen, ikke en sikkerhedskopi. {unchanged}")
    if backup.name.endswith(Store.UNFINISHED_SUFFIX):
        raise StoreError(f"{backup} er en afbrudt sikkerhedskopi og kan ikke bruges. {unchanged}")
    if backup.stat().st_size == 0:
        raise StoreError(f"Sikkerhedskopien {backup} er tom (0 byte) og kan ikke bruges. {unchanged}",
                         hint="Vælg en anden sikkerhedskopi; rettidig doctor viser, hvilke der er hele.")
    info = keys.describe(backup)
    with backup.open("rb") as handle:
        header = handle.read(16)
    if info is None and header != SQLITE_HEADER:
        raise StoreError(f"{backup} er ikke en rettidig-sikkerhedskopi. {unchanged}",
                         hint=f"Er den krypteret, skal filen {keys.sidecar(backup).name} ligge ved siden af den.")
    os.umask(0o077)  # every file this makes (the copy, its journal, the kept file) is private
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    copy = copy_path(path)
    copy.unlink(missing_ok=True)  # left by a restore that was cut short
    for suffix in EXTRAS:
        copy.with_name(copy.name + suffix).unlink(missing_ok=True)
    try:
        _copy_bytes(backup, copy)
        wal = backup.with_name(backup.name + "-wal")
        if wal.exists() and wal.stat().st_size:  # its own WAL: SQLite would read it with the file
            _copy_bytes(wal, copy.with_name(copy.name + "-wal"))
        key, passphrase, conn = _unlock_copy(copy, backup, info, ask_passphrase)
        try:
            verdict, state, newest = _checked(conn, "integrity_check")
            if verdict != ["ok"]:
                raise StoreError(f"Sikkerhedskopien {backup} er beskadiget og kan ikke bruges. {unchanged}",
                                 hint="Vælg en anden sikkerhedskopi; rettidig doctor viser, hvilke der er hele.")
            if state == "foreign":
                raise StoreError(f"{backup} er ikke en rettidig-sikkerhedskopi. {unchanged}")
            if state == "newer":
                raise StoreError(f"Sikkerhedskopien {backup} er lavet af en nyere version af rettidig. {unchanged}",
                                 hint="Opdatér rettidig først.")
            if conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0].lower() != "delete":
                raise StoreError(f"Kopien af sikkerhedskopien kunne ikke gøres klar. {unchanged}")
        except database_errors() as exc:
            raise StoreError(f"Sikkerhedskopien {backup} er beskadiget eller ikke en rettidig-datafil. {unchanged}",
                             hint=f"({translate_error(exc, backup).message})") from None
        finally:
            conn.close()
        safefile.fsync_file(copy, "gendan")
        safefile.fsync_folder(path.parent)
    except BaseException:
        discard_copy(path)
        raise
    taken = dt.datetime.fromtimestamp(backup.stat().st_mtime)
    _step("kopi-kontrolleret")
    return Checked(backup, copy, key, passphrase, taken, newest, state)


def _unlock_copy(copy: Path, backup: Path, info, ask_passphrase):
    unchanged = "Datafilen er ikke ændret."
    if info is None:
        conn = connect(copy)
        if not _opens(conn):
            conn.close()
            raise StoreError(f"Sikkerhedskopien {backup} er beskadiget eller ikke en rettidig-datafil. {unchanged}")
        return None, None, conn
    if info["metode"] == keys.KEYRING:
        candidates = keys.stored_keys(info)
        if not candidates:
            raise StoreError(f"Nøglen til sikkerhedskopien {backup} findes ikke i computerens nøglering, så den "
                             f"kan ikke åbnes. {unchanged}", hint="Log ind som den bruger, der tog kopien.")
        for key in candidates:
            conn = connect(copy, key)
            if _opens(conn):
                return key, None, conn
            conn.close()
        raise StoreError(f"Nøglen i computerens nøglering passer ikke til sikkerhedskopien {backup}, eller den er "
                         f"beskadiget. {unchanged}")
    if ask_passphrase is None:
        raise NoTerminalError(f"Sikkerhedskopien {backup} er krypteret med en adgangskode, og der er ingen terminal "
                              f"at spørge i. {unchanged}", hint="Kør kommandoen i en terminal.")
    for attempt in range(3):
        text = ask_passphrase(attempt)
        key = keys.from_passphrase(text)
        conn = connect(copy, key)
        if _opens(conn):
            return key, text, conn
        conn.close()
    raise StoreError(f"Adgangskoden passer ikke til sikkerhedskopien {backup}. {unchanged}")


def discard_copy(path: Path) -> None:
    copy = copy_path(path)
    for file in (copy, *(copy.with_name(copy.name + s) for s in EXTRAS)):
        file.unlink(missing_ok=True)


# ------------------------------------------------------------------ the current file


def lock_current(path: Path, checked: Checked, ask_passphrase):
    """(connection, key) for the current data file, locked exclusively against every other window
    until the connection is closed; or None if it does not open (missing, damaged, no key): then
    there is nothing to lock, and it is set aside as it is. Raises LockedError if another window
    has it open. ask_passphrase(attempt) is asked only if the backup's passphrase does not open it."""
    lock = _find_lock(path, checked, ask_passphrase)
    _step("låst")
    return lock


def _find_lock(path: Path, checked: Checked, ask_passphrase):
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        info = keys.describe(path)
        if info is None:
            candidates = [None]
        elif info["metode"] == keys.KEYRING:
            candidates = keys.stored_keys(info)
        else:
            candidates = [checked.key] if checked.passphrase is not None else []
    except StoreError:
        return None
    for key in candidates:
        conn = _lock(path, key)
        if conn is not None:
            return conn, key
    if info is not None and info["metode"] == keys.PASSPHRASE and ask_passphrase is not None:
        for attempt in range(3):
            try:
                key = keys.from_passphrase(ask_passphrase(attempt))
            except NoTerminalError:
                return None
            conn = _lock(path, key)
            if conn is not None:
                return conn, key
    return None


def _cipher_connect(path: Path, key, readonly: bool = False):
    import sqlcipher3  # reads and writes plain files too

    uri = path.resolve().as_uri() + ("?mode=ro" if readonly else "")
    conn = sqlcipher3.connect(uri, uri=True, isolation_level=None, timeout=1)
    conn.execute("PRAGMA cipher_log_level = NONE")
    if key is not None:
        conn.execute(f"PRAGMA key = {key.pragma}")
    return conn


def _whole(path: Path, key) -> bool:
    """Does the file open with this key and pass quick_check? Asked read-only first: a read-write
    connection that closes moves the WAL into the file, and a broken file is kept as it is."""
    try:
        conn = _cipher_connect(path, key, readonly=True)
    except database_errors():
        return False
    try:
        return [r[0] for r in conn.execute("PRAGMA quick_check")] == ["ok"]
    except database_errors():
        return False
    finally:
        conn.close()


def _lock(path: Path, key):
    if not _whole(path, key):
        return None
    conn = _cipher_connect(path, key)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        # Its own WAL into it, then a rollback journal: the file stands alone, and a window that
        # has it open (even idle) makes the switch fail.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0].lower()
        if mode != "delete":
            raise LockedError("")
        # Held until closed; no page is written, so no journal file is made.
        conn.execute("BEGIN EXCLUSIVE")
    except (LockedError, *database_errors()) as exc:
        conn.close()
        if isinstance(exc, LockedError) or isinstance(translate_error(exc, path), LockedError):
            raise LockedError(f"Datafilen {path} er i brug i et andet rettidig-vindue. Luk det, og prøv igen. "
                              "Intet er ændret.") from None
        return None
    return conn


# ------------------------------------------------------------------ the swap


@dataclass
class Restored:
    kept: Path | None  # where the old data file now is
    locked: bool  # the old file opened and was locked (else it did not open)


def _write_marker(path: Path, checked: Checked, kept: Path | None) -> None:
    marker = marker_path(path)
    fd = os.open(marker, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"sikkerhedskopi": str(checked.backup), "gemt_som": str(kept) if kept else None,
                   "startet": dt.datetime.now().isoformat(timespec="seconds")}, handle, ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())
    safefile.fsync_folder(path.parent)


def _kept_name(path: Path) -> Path:
    """Where the current file is kept: sikkerhedskopier/gemt-ved-gendannelse/, a name with the
    time (never deleted; not one of the backups doctor checks, since it may be the broken one)."""
    backups = path.parent / BACKUP_FOLDER
    backups.mkdir(mode=0o700, exist_ok=True)
    folder = aside_folder(path)
    folder.mkdir(mode=0o700, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    kept = folder / f"{path.stem}-før-gendannelse-{stamp}.db"
    n = 1
    while any(f.exists() for f in (kept, keys.sidecar(kept), *(kept.with_name(kept.name + s) for s in EXTRAS))):
        n += 1
        kept = folder / f"{path.stem}-før-gendannelse-{stamp}-{n}.db"
    return kept


def _keep_old(path: Path, kept: Path, lock) -> bool:
    """A second name for the current file (with a copy of its sidecar); the data path keeps it."""
    if not path.exists():
        return False
    side = keys.sidecar(path)
    if side.exists():
        _copy_bytes(side, keys.sidecar(kept))
        _step("nøglefil-gemt")
    # Never open and close the current file (or its new name, the same inode) by hand while it
    # is locked: closing any descriptor of it drops SQLite's POSIX locks on it.
    try:
        os.link(path, kept)
    except OSError:  # no hard links here (FAT, some network drives): a copy instead
        if lock is None:
            _copy_bytes(path, kept)  # synced
        else:
            # Page by page through the locking connection (committed with a sync).
            conn, key = lock
            os.close(os.open(kept, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
            target = _cipher_connect(kept, key)
            try:
                target.execute("PRAGMA synchronous = FULL")
                conn.backup(target)
            finally:
                target.close()
    safefile.fsync_folder(kept.parent)
    _step("gammel-gemt")
    return True


def swap(path: Path, checked: Checked, lock) -> Restored:
    """Steps 2-7 of the module docstring; audit() does 8 and 9. lock is lock_current()'s answer."""
    old_info = None
    try:
        old_info = keys.describe(path) if path.exists() else None
        old_method = old_info["metode"] if old_info else None
    except StoreError:
        old_method = "ukendt"
    kept = _kept_name(path)
    _write_marker(path, checked, kept)
    _step("markør")
    had_file = _keep_old(path, kept, lock)
    moved = False
    for suffix in EXTRAS:
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            os.replace(extra, kept.with_name(kept.name + suffix))
            moved = True
    if moved:
        safefile.fsync_folder(path.parent)
        safefile.fsync_folder(kept.parent)
    _step("ekstra-flyttet")
    new_key = checked.key
    if new_key is not None and old_method in (None, new_key.method):
        # One sidecar for both files while they change places (a plain file ignores it).
        previous = None
        if old_method == keys.KEYRING and old_info.get("noegle_id"):
            previous = keys.Key(keys.KEYRING, "", old_info["noegle_id"])
        keys.write_sidecar(path, new_key, previous=previous)
        safefile.fsync_folder(path.parent)
    _step("nøglefil-før")
    os.replace(checked.copy, path)
    safefile.fsync_folder(path.parent)
    _step("byttet")
    if new_key is None:
        keys.sidecar(path).unlink(missing_ok=True)
    else:
        keys.write_sidecar(path, new_key)
    safefile.fsync_folder(path.parent)
    _step("nøglefil-efter")
    if lock is not None:
        lock[0].close()  # the old file, now only under its kept name
    _step("låst-op")
    return Restored(kept if had_file or moved else None, lock is not None)


def audit(path: Path, checked: Checked) -> None:
    """The restored file opened as every command opens it (migrated if it is older, with a backup
    first), and one audit row: when, who, and the backup's time; never content."""
    def same_passphrase(attempt: int) -> str:
        if attempt or checked.passphrase is None:
            raise StoreError(f"Den gendannede datafil {path} kunne ikke åbnes med sikkerhedskopiens adgangskode.")
        return checked.passphrase

    store = Store(path, ask_passphrase=same_passphrase)
    try:
        store.purpose = "gendan"
        detail = f"sikkerhedskopi fra {checked.taken.isoformat(timespec='seconds')}"
        with store.atomic():
            store.audit("gendan", None, detail)
            store.audit_every_case("gendan", detail)  # every case the copy brought back
    finally:
        store.close()
    _step("logget")
    marker_path(path).unlink(missing_ok=True)
    safefile.fsync_folder(path.parent)
    _step("færdig")
