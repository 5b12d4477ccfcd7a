"""The local data file: where it lives, opening it safely, and every read and write.

Each logical step is one transaction together with its audit-log row, so a crash or Ctrl-C
never leaves half a record behind."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import getpass
import json
import os
import re
import sqlite3
import stat
import sys
from pathlib import Path

from rettidig_cli.domain import privacy
from rettidig_cli.domain.errors import CaseChangedError, LockedError, NoTerminalError, NotFoundError, StoreError, UsageError
from rettidig_cli.domain.vocabulary import CaseStatus

SQLITE_HEADER = b"SQLite format 3\x00"
DB_NAME = "rettidig.db"
BACKUP_FOLDER = "sikkerhedskopier"
# A second rettidig window may hold the write lock for a moment; wait this long before giving up.
BUSY_SECONDS = 10


def data_home() -> Path:
    """RETTIDIG_HOME, else the user's data folder (platformdirs)."""
    env = os.environ.get("RETTIDIG_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("rettidig", appauthor=False))


def db_path(option: Path | None) -> Path:
    return Path(option).expanduser() if option else data_home() / DB_NAME


def now() -> str:
    # Microseconds, so the history can tell apart things saved within the same second.
    return dt.datetime.now().isoformat(timespec="microseconds")


def database_errors() -> tuple[type[Exception], ...]:
    """sqlite3's and, once loaded, sqlcipher3's DatabaseError: the two share no base class."""
    errors: tuple[type[Exception], ...] = (sqlite3.DatabaseError,)
    cipher = sys.modules.get("sqlcipher3.dbapi2")
    return errors + (cipher.DatabaseError,) if cipher else errors


def connect(path: Path, key=None):
    """A raw connection in autocommit mode (transactions are begun explicitly, IMMEDIATE)."""
    if key is None:
        return sqlite3.connect(str(path), timeout=BUSY_SECONDS, isolation_level=None)
    try:
        import sqlcipher3
    except ImportError:
        raise StoreError("Datafilen er krypteret, men SQLCipher (sqlcipher3) er ikke installeret.",
                         hint="Installér rettidig igen.") from None
    conn = sqlcipher3.connect(str(path), timeout=BUSY_SECONDS, isolation_level=None)
    conn.execute("PRAGMA cipher_log_level = NONE")  # no SQLCipher noise on stderr for a wrong key
    conn.execute(f"PRAGMA key = {key.pragma}")
    return conn


def file_state(path: Path) -> str:
    """'new', 'plain' or 'encrypted'; raise for anything that is not a rettidig data file."""
    from rettidig_cli.storage import keys

    if not path.exists():
        return "new"
    if path.is_dir():
        raise StoreError(f"{path} er en mappe, ikke en datafil.")
    with path.open("rb") as handle:
        header = handle.read(16)
    if keys.sidecar(path).exists() and header != SQLITE_HEADER:
        # Empty too: another window is making it encrypted this moment (the sidecar comes first).
        return "encrypted"
    if not header:
        # Holds nothing (a first start that was killed): made anew, encrypted if so chosen.
        return "new"
    if header == SQLITE_HEADER:
        return "plain"
    copies = sorted((path.parent / BACKUP_FOLDER).glob("*.db"), key=lambda p: p.stat().st_mtime)
    restore = (f" Er det din datafil, og er den beskadiget, så læg den nyeste sikkerhedskopi på plads: "
               f"rettidig gendan {copies[-1]}") if copies else ""
    raise StoreError(
        f"{path} er ikke en rettidig-datafil, eller den er beskadiget. Filen er ikke ændret.",
        hint="Tjek stien, eller brug --db til at vælge en anden fil. En krypteret datafil skal have "
        f"filen {keys.sidecar(path).name} ved siden af sig.{restore}",
    )


def _prepare_file(path: Path, create: bool) -> str:
    """Folder 0700 and file 0600, made so before SQLite writes a byte. Returns the file state.
    A place another user could reach is refused, never tightened: only what is the user's own
    is changed."""
    os.umask(0o077)  # every file this process makes (WAL, exports, backups) is private
    folder = path.parent
    own_home = _same_path(folder, data_home())
    if not folder.exists() and create:
        try:
            folder.mkdir(parents=True, mode=0o700)
        except OSError as exc:
            raise StoreError(f"Mappen {folder} kan ikke oprettes ({exc.strerror}).") from None
        os.chmod(folder, 0o700)
    _check_folder(folder)
    _check_file(path)
    if create and own_home and folder.stat().st_mode & 0o077:
        os.chmod(folder, 0o700)  # rettidig's own data folder; a folder chosen with --db is the user's
    state = file_state(path)
    if state == "new":
        if not create:
            raise NotFoundError(f"Der er ingen datafil i {path} endnu.")
        try:
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600))
        except FileExistsError:  # an empty file from a killed start, or another window's new one
            _check_file(path)
            os.chmod(path, 0o600)
        except OSError as exc:
            raise StoreError(f"Datafilen {path} kan ikke oprettes ({exc.strerror}).") from None
        return state
    if create:
        mode = path.stat().st_mode
        # Checked by mode, not os.access: an administrator may write anyway, but the owner said no.
        if not mode & stat.S_IWUSR:
            raise StoreError(f"Datafilen {path} er skrivebeskyttet, så intet kan gemmes. Filen er ikke ændret.",
                             hint="Fjern skrivebeskyttelsen på filen, hvis du vil bruge den.")
        if mode & 0o077:
            os.chmod(path, 0o600)
    return state


def check_place(path: Path) -> None:
    """The data file's folder and the file itself may be used (see _check_folder, _check_file):
    asked before anything else, so nobody answers questions only to be refused."""
    _check_folder(path.parent)
    _check_file(path)


def _same_path(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _check_folder(folder: Path) -> None:
    """A data file's folder must be the user's own and not writable by others: in a shared folder
    (like /tmp) another user could plant or swap the file."""
    if not hasattr(os, "getuid") or not folder.exists():
        return
    info = folder.stat()
    if info.st_uid != os.getuid():
        raise StoreError(f"Mappen {folder} tilhører en anden bruger, så børnenes data kan ikke ligge der. "
                         "Intet er ændret.", hint="Vælg en mappe, der er din egen, med --db eller RETTIDIG_HOME.")
    if info.st_mode & (stat.S_ISVTX | stat.S_IWOTH):
        raise StoreError(f"Mappen {folder} kan ændres af alle brugere på computeren (som /tmp), så børnenes data kan "
                         "ikke ligge sikkert der. Intet er ændret.",
                         hint="Vælg en mappe, der er din egen, med --db eller RETTIDIG_HOME.")


def _check_file(path: Path) -> None:
    """The data file is a regular file of the user's own, or not there yet. A device, a pipe, a link
    that leads nowhere or a file another user put there is refused, never changed or used."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        if not path.exists():
            raise StoreError(f"{path} er en genvej, der ikke peger på nogen fil. Intet er ændret.",
                             hint="Brug --db med stien til selve datafilen.")
        info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise StoreError(f"{path} er ikke en almindelig fil (men fx en enhed eller et rør) og kan ikke være en "
                         "datafil. Intet er ændret.", hint="Brug --db med stien til en datafil.")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise StoreError(f"Datafilen {path} tilhører en anden bruger og bliver ikke brugt. Intet er ændret.",
                         hint="Brug din egen datafil. Er filen lagt der af en anden, så tal med IT.")


def _os_user() -> str:
    """Who is logged in, for the audit log. $USER is anyone's to set: a CPR-like name is never stored."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name in the environment (some containers)
        return "ukendt"
    return "ukendt" if privacy.contains_cpr(user) else user


class Store:
    """The open data file. ask_passphrase(attempt) and ask_new_passphrase() come from the
    terminal; without them an encrypted-by-passphrase file cannot be opened.
    create=False (doctor) neither creates, migrates nor tightens anything."""

    def __init__(self, path: Path, ask_passphrase=None, ask_new_passphrase=None, create: bool = True,
                 encryption: str | None = None, tell=None):
        from rettidig_cli.storage import places

        self.path = path
        self.key = None
        self.purpose = ""  # the command, written with every audit row
        self.notices: list[str] = []
        self._tell = tell  # says a line to the user at once (before a question); else it waits in notices
        self._guides: dict = {}
        self._identity: tuple[int, int] | None = None  # the file this connection opened
        self._writing_case: int | None = None  # the case atomic(case) has checked in this transaction
        self._savepoints = 0  # names each nested atomic() apart
        self._change: dict | None = None  # this transaction's group in record_changes (see _journal)
        self._journal_off = False  # while a change is undone: the undo is not a change of its own
        state = _prepare_file(path, create)
        warning = places.location_warning(path)
        self.warnings = [warning] if warning else []
        try:
            self._open(state, ask_passphrase, ask_new_passphrase, create, encryption)
        except BaseException:
            if state == "new" and path.exists() and path.stat().st_size == 0:
                # An empty file left behind would later be taken for a plain data file, even
                # when encryption was chosen.
                from rettidig_cli.storage import keys

                path.unlink()
                keys.sidecar(path).unlink(missing_ok=True)
            raise

    def _open(self, state: str, ask_passphrase, ask_new_passphrase, create: bool, encryption: str | None) -> None:
        path = self.path
        try:
            if state == "new":
                conn = self._create(ask_new_passphrase, encryption)
            elif state == "encrypted":
                conn = self._unlock(ask_passphrase)
            else:
                conn = connect(path)
            self._identity = _identity(path)
            if create and state != "new":
                self._settle_switch()
            self.conn = conn
            self._set_pragmas(create)
            self._refuse_foreign_schema()
            if create:
                self._migrate()
                if self.conn.execute("SELECT 1 FROM pending_files LIMIT 1").fetchone():  # left by kill -9
                    self.sweep_pending()
        except database_errors() as exc:
            raise translate_error(exc, path, opening=True) from None

    def _set_pragmas(self, create: bool) -> None:
        conn = self.conn
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
        if create and conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        # Freed pages are overwritten with zeros, so erased text does not linger in the file.
        conn.execute("PRAGMA secure_delete=ON")

    @functools.cached_property
    def db(self):
        """sqlite-utils' Database on the same connection, for the migrations (and the tests).
        Made only when asked: importing sqlite_utils costs more than the rest of `plan`, so
        reading and writing records here uses sqlite3 directly."""
        from sqlite_utils import Database

        return Database(self.conn, execute_plugins=False)

    def query(self, sql: str, params=()) -> list[dict]:
        """Rows as dicts (column name → value)."""
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, values)) for values in cursor]

    def _insert(self, table: str, row: dict) -> int:
        """Insert one row; its id."""
        columns = ", ".join(f'"{name}"' for name in row)
        row_id = self.conn.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({", ".join("?" * len(row))})',
                                   [_stored(v) for v in row.values()]).lastrowid
        if table in JOURNALED:
            self._journal(table, row_id, "insert", None, row)
        return row_id

    def _update(self, table: str, row_id: int, fields: dict, case_id: int | None = None) -> None:
        """Change one row (of one case, when case_id is given). A row that is not there is a fault
        in the caller: atomic(case) has just checked the case."""
        if not fields:
            return
        if self._journaling() and (table in JOURNALED or (table == "cases" and set(fields) - {"updated_at"})):
            names = [name for name in fields if name != "updated_at"]
            columns = ", ".join(f'"{name}"' for name in names)
            found = self.conn.execute(f'SELECT {columns} FROM "{table}" WHERE id = ?', [row_id]).fetchone()
            if found is not None:
                before = dict(zip(names, found))
                after = {name: fields[name] for name in names}
                if before != {n: _stored(v) for n, v in after.items()}:
                    self._journal(table, row_id, "update", before, after)
        assignments = ", ".join(f'"{name}" = ?' for name in fields)
        sql = f'UPDATE "{table}" SET {assignments} WHERE id = ?'
        params = [*(_stored(v) for v in fields.values()), row_id]
        if case_id is not None:
            sql += " AND case_id = ?"
            params.append(case_id)
        if self.conn.execute(sql, params).rowcount != 1:
            raise RuntimeError(f"no row {row_id} in {table}")

    # ------------------------------------------------------------ opening

    def _create(self, ask_new_passphrase, encryption: str | None):
        """A new file, encrypted as just chosen, else as indstillinger.toml says."""
        from rettidig_cli.storage import keys, settings

        method = encryption or settings.encryption(data_home())
        if method == keys.KEYRING:
            self.key = keys.new_keyring_key()
            self.notices.append(keys.LOST_KEY_WARNING.format(what="nøglen i computerens nøglering"))
        elif method == keys.PASSPHRASE:
            if ask_new_passphrase is None:
                raise NoTerminalError("Nye datafiler krypteres med en adgangskode, og der er ingen terminal at spørge i.",
                                      hint="Kør kommandoen i en terminal.")
            self.key = keys.from_passphrase(ask_new_passphrase())
        if self.key is not None:
            # Before the first page is written: an encrypted file is never without its sidecar.
            keys.write_sidecar(self.path, self.key)
        return connect(self.path, self.key)

    def _unlock(self, ask_passphrase):
        from rettidig_cli.storage import keys

        info = keys.describe(self.path)
        switching = keys.switch_in_progress(info)
        candidates = keys.stored_keys(info)  # the keyring keys the sidecar names (both, mid-switch)
        for key in candidates:
            conn = self._try(key)
            if conn is not None:
                return conn
        if not keys.may_need_passphrase(info):
            if not candidates:
                raise StoreError(
                    f"Nøglen til datafilen {self.path} findes ikke i computerens nøglering, så filen kan ikke "
                    "åbnes. Filen er ikke ændret.",
                    hint="Log ind som den bruger, der krypterede filen. Uden nøglen kan data ikke læses.")
            raise StoreError(f"Nøglen i computerens nøglering passer ikke til datafilen {self.path}, "
                             "eller filen er beskadiget. Filen er ikke ændret.")
        if ask_passphrase is None:
            raise NoTerminalError(f"Datafilen {self.path} er krypteret med en adgangskode, og der er ingen "
                                  "terminal at spørge i.", hint="Kør kommandoen i en terminal.")
        if switching:
            note = "Et skift af adgangskode blev afbrudt: både den gamle og den nye adgangskode kan være den rigtige."
            self._tell(note) if self._tell else self.notices.append(note)
        for attempt in range(3):
            conn = self._try(keys.from_passphrase(ask_passphrase(attempt)))
            if conn is not None:
                return conn
        raise StoreError(f"Adgangskoden passer ikke til datafilen {self.path}. Filen er ikke ændret.",
                         hint="Prøv igen. Har du gendannet en sikkerhedskopi, er det kopiens adgangskode, der gælder. "
                         "Har du glemt adgangskoden, kan data ikke gendannes – heller ikke af IT.")

    def _refuse_foreign_schema(self) -> None:
        """rettidig makes no triggers or views. One planted in the file could copy or keep rows that
        are saved or erased (slet would then not really erase), so such a file is not used."""
        foreign = self.conn.execute("SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view')").fetchall()
        if foreign:
            kinds = sorted({"trigger" if kind == "trigger" else "visning" for kind, _ in foreign})
            raise StoreError(
                f"Datafilen {self.path} indeholder {' og '.join(kinds)} ({len(foreign)}), som rettidig ikke har lavet. "
                "Filen bliver ikke brugt, for de kan gemme eller beholde oplysninger om børn uden om rettidig. "
                "Filen er ikke ændret.", hint="Tal med den, der hjælper dig med IT, eller brug: rettidig gendan")

    def _settle_switch(self) -> None:
        """A key switch cut short by kill -9 is finished or rolled back before anything else."""
        from rettidig_cli.storage import encrypt, keys

        info = keys.describe(self.path)
        if keys.switch_in_progress(info):
            message = encrypt.settle(self.path, info, self.key if self.key is not None and
                                     self.key.method == keys.PASSPHRASE else None)
            if message:
                self.notices.append(message)

    def _try(self, key):
        conn = connect(self.path, key)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except database_errors():
            conn.close()
            return None
        self.key = key
        return conn

    def _migrate(self) -> None:
        from rettidig_cli.storage.migrations import migration_set

        state = schema_state(self.conn)
        if state == "newer":
            raise StoreError(
                f"Datafilen {self.path} er lavet af en nyere version af rettidig. Filen er ikke ændret.",
                hint="Opdatér rettidig, før du åbner den.",
            )
        if state == "current":
            return
        copied = bool(applied_migrations(self.conn))  # a file with data in it, not a brand-new one
        if copied:
            self.backup("før-opdatering")
        # A migration may rebuild a table (drop and rename), which foreign keys would block; they
        # are switched off for it and the whole file is checked before the commit instead.
        self.conn.execute("PRAGMA foreign_keys=OFF")
        try:
            with self.atomic():  # IMMEDIATE: a second window starting at the same moment waits here
                migration_set().apply(self.db)
                if copied:
                    self.audit_every_case("backup", "før-opdatering")
                if self.conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
                    raise StoreError(f"Datafilen {self.path} kunne ikke opdateres: nogle poster peger på noget, "
                                     "der ikke findes. Filen er ikke ændret.", hint="Kør: rettidig doctor")
        finally:
            self.conn.execute("PRAGMA foreign_keys=ON")

    # ------------------------------------------------------------ backups and compaction

    def backup_folder(self) -> Path:
        return self.path.parent / BACKUP_FOLDER

    # A backup is written under this suffix and renamed to .db only once it is checked and synced.
    UNFINISHED_SUFFIX = ".ufaerdig"

    def backup(self, label: str = "kopi", target: Path | None = None) -> Path:
        """A consistent copy with SQLite's backup API (same key, if encrypted), mode 0600. It is
        written under a temporary name, checked (integrity_check, the same migrations as the data
        file), given its sidecar and fsynced, and only then renamed to its .db name: a copy cut
        short by a crash is never a .db file. A temporary copy left by a killed run is removed."""
        from rettidig_cli.storage import keys, safefile

        if target is None:
            folder = self.backup_folder()
            folder.mkdir(mode=0o700, exist_ok=True)
            Store.clear_unfinished_backups(folder)
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            target = folder / f"{self.path.stem}-{label}-{stamp}.db"
        if target.exists() or target.is_symlink():
            raise StoreError(f"Filen {target} findes allerede og overskrives ikke.")
        temporary = target.with_name(target.name + Store.UNFINISHED_SUFFIX)
        try:
            fd = os.open(temporary, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
        except FileExistsError:
            raise StoreError(f"Filen {temporary} findes allerede og overskrives ikke.") from None
        except OSError as exc:
            raise StoreError(f"Sikkerhedskopien {target} kan ikke oprettes ({exc.strerror}).") from None
        wrote_sidecar = False
        try:
            Store._hold(fd)  # another window's clear_unfinished_backups leaves a copy in progress alone
            try:
                copy = connect(temporary, self.key)
                try:
                    source = self.conn
                    own = not source.in_transaction
                    if own:  # one read snapshot for the copy and the migrations it is compared with
                        source.execute("BEGIN")
                    try:
                        expected = Store._migration_names(source)
                        source.backup(copy)
                    finally:
                        if own:
                            source.execute("COMMIT")
                    # One self-contained file: no -wal beside it that could be left behind when copied.
                    standalone = copy.execute("PRAGMA journal_mode=DELETE").fetchone()[0].lower() == "delete"
                    verdict = [row[0] for row in copy.execute("PRAGMA integrity_check")]
                    found = Store._migration_names(copy)
                finally:
                    copy.close()
            except database_errors() as exc:
                raise translate_error(exc, target) from None
            # A copy that stayed in WAL mode (a disk error) keeps pages in a -wal beside it, which the
            # renamed .db would lose: not a whole copy.
            stray = [temporary.with_name(temporary.name + s) for s in ("-wal", "-journal")]
            if not standalone or any(p.exists() and p.stat().st_size for p in stray):
                raise StoreError("Sikkerhedskopien kunne ikke skrives helt (disken svarede med en fejl) og er "
                                 "slettet igen.")
            if verdict != ["ok"] or found != expected:
                raise StoreError("Sikkerhedskopien kunne ikke kontrolleres og er slettet igen.")
            safefile.point("fsync:kopi")
            os.fsync(fd)
            if self.key is not None:
                keys.write_sidecar(target, self.key)  # before the .db name: a copy is never without it
                wrote_sidecar = True
            if target.exists() or target.is_symlink():
                raise StoreError(f"Filen {target} findes allerede og overskrives ikke.")
            safefile.publish_new(temporary, target, "kopi")  # never over a file that appeared meanwhile
        except BaseException:
            for leftover in (temporary, *(temporary.with_name(temporary.name + s) for s in ("-wal", "-shm",
                                                                                          "-journal"))):
                with contextlib.suppress(OSError):
                    leftover.unlink(missing_ok=True)
            if wrote_sidecar and not target.exists():
                keys.sidecar(target).unlink(missing_ok=True)
            raise
        finally:
            os.close(fd)
        return target

    def backups(self) -> list[Path]:
        """The finished copies (.db) in the backup folder, never a temporary one from a killed run."""
        return backups_in(self.backup_folder())

    @staticmethod
    def clear_unfinished_backups(folder: Path) -> list[Path]:
        """Remove temporary copies (and their sidecars) left by a backup that was killed; a copy
        another window is writing this moment is locked and left alone. Returns what was removed."""
        from rettidig_cli.storage import keys

        removed = []
        for temporary in sorted(folder.glob("*" + Store.UNFINISHED_SUFFIX)):
            try:
                fd = os.open(temporary, os.O_RDONLY)
            except OSError:
                continue
            try:
                Store._hold(fd, wait=False)
                temporary.unlink()  # Windows refuses while the writing window holds the file open
            except OSError:
                continue
            finally:
                os.close(fd)
            removed.append(temporary)
            final = temporary.with_name(temporary.name[: -len(Store.UNFINISHED_SUFFIX)])
            if not final.exists():  # the sidecar is written just before the rename
                keys.sidecar(final).unlink(missing_ok=True)
        for half in folder.glob("*" + keys.SIDECAR_SUFFIX + ".tmp"):  # keys.write_sidecar cut short
            half.unlink(missing_ok=True)
        return removed

    @staticmethod
    def _hold(fd: int, wait: bool = True) -> None:
        """An advisory lock on a backup being written (POSIX; on Windows the open file itself
        cannot be deleted). Raises OSError if wait is False and another process holds it."""
        try:
            import fcntl
        except ImportError:
            return
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))

    @staticmethod
    def _migration_names(conn) -> list[tuple]:
        """The applied migrations, which a copy must carry exactly as its source does."""
        try:
            return [tuple(row) for row in conn.execute(
                "SELECT migration_set, name FROM _sqlite_migrations ORDER BY rowid")] + \
                [("user_version", conn.execute("PRAGMA user_version").fetchone()[0])]
        except database_errors() as exc:
            if "no such table" in str(exc).lower():
                return [("user_version", conn.execute("PRAGMA user_version").fetchone()[0])]
            raise

    def compact(self) -> bool:
        """Move the WAL into the file, rebuild the file without free pages, empty the WAL.
        False if another window kept part of the WAL (then text may linger there until it closes)."""
        try:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.conn.execute("VACUUM")
            busy = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except database_errors() as exc:
            raise translate_error(exc, self.path) from None
        return busy == 0

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def atomic(self, case: dict | None = None):
        """One transaction, begun IMMEDIATE so two windows queue for the write lock instead of one
        failing half-way; nested calls become savepoints.

        With a case: the transaction first checks that the case read before the user was asked
        still exists and is the same case in the same state. A prompt can wait for minutes, and in
        the meantime another window may have erased or closed it, or made a new case."""
        conn = self.conn
        try:
            if conn.in_transaction:
                if case is not None and case["id"] != self._writing_case:
                    self._check_same_case(case)
                    self._writing_case = case["id"]  # until the outer transaction ends
                with self._savepoint():
                    yield self
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._check_same_file()
                if case is not None:
                    self._check_same_case(case)
                self._writing_case = case["id"] if case is not None else None
                yield self
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                self._writing_case = None
                self._change = None
            conn.execute("COMMIT")
        except database_errors() as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise translate_error(exc, self.path) from None

    @contextlib.contextmanager
    def _savepoint(self):
        """A nested atomic(): undone alone if it fails, kept with the outer transaction."""
        self._savepoints += 1
        name = f"rettidig_{self._savepoints}"
        self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:  # an error may already have ended the whole transaction
                self.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                self.conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        self.conn.execute(f"RELEASE SAVEPOINT {name}")

    def _check_same_file(self) -> None:
        """The file at the path is still the one this connection opened. Another window may have
        encrypted it, changed its key or restored a backup (each puts a new file in its place)
        while a question was open here; a write now would go into the old file and be lost."""
        if _identity(self.path) != self._identity:
            raise StoreError(
                f"Datafilen {self.path} er skiftet ud i et andet vindue (krypteret, ny nøgle eller gendannet), "
                "mens du arbejdede. Det, du gjorde nu, er ikke gemt.",
                hint="Start kommandoen igen.")

    def _check_same_case(self, case: dict) -> None:
        row = self.conn.execute("SELECT status FROM cases WHERE id = ? AND code = ? AND created_at = ?",
                                [case["id"], case["code"], case["created_at"]]).fetchone()
        if row is None:
            raise CaseChangedError(
                f"Sag {case['code']} er slettet i et andet vindue, mens du skrev. Det, du skrev nu, er ikke gemt "
                "– heller ikke i en anden sag.", hint="Se dine sager med: rettidig list")
        if row[0] != case["status"]:
            now_closed = row[0] != CaseStatus.OPEN
            raise CaseChangedError(
                f"Sag {case['code']} er {'lukket' if now_closed else 'genåbnet'} i et andet vindue, mens du skrev. "
                "Det, du skrev nu, er ikke gemt.",
                hint=f"Se sagen med: rettidig plan {case['code']}")

    def _forget_summary(self, case: dict) -> None:
        """The case's kept summary goes with each change, in the same transaction (and savepoint):
        `list` makes it again from the plan; a rollback keeps the old one. A transaction that only
        checks the case or logs its use keeps it."""
        self.conn.execute("DELETE FROM case_summaries WHERE case_id = ?", [case["id"]])

    def overview_rows(self, include_closed: bool, facts: tuple[str, ...]):
        """(id, code, status, setting, summary version, *the named facts) of every case (open ones
        only unless asked), the version None where a write removed the summary. Only the columns
        the morning view ranks by, as tuples: 10,000 cases. See summaries() and case_row()."""
        where, params = ("", []) if include_closed else ("WHERE c.status = ?", [CaseStatus.OPEN])
        kept = ", ".join(f"s.{name}" for name in facts)
        return self.conn.execute(
            f"SELECT c.id, c.code, c.status, c.setting, s.version, {kept} FROM cases c "
            f"LEFT JOIN case_summaries s ON s.case_id = c.id {where} ORDER BY c.id", params)

    def case_row(self, case_id: int) -> dict:
        """One case's row, by its id."""
        return self.query("SELECT * FROM cases WHERE id = ?", [case_id])[0]

    def summaries(self, case_ids: list[int]) -> dict[int, str]:
        """The kept summaries (JSON) of these cases."""
        found = {}
        for start in range(0, len(case_ids), 500):  # SQLite's limit on ? in one statement
            chunk = case_ids[start:start + 500]
            found.update(self.conn.execute(f"SELECT case_id, data FROM case_summaries WHERE case_id IN "
                                           f"({','.join('?' * len(chunk))})", chunk).fetchall())
        return found

    def keep_summaries(self, facts: tuple[str, ...], summaries: list[tuple]) -> None:
        """(case id, version, JSON, *facts) for each case whose summary was made. Inside the
        transaction the cases were read in, so no other window's write can come between the plan
        and its summary."""
        if not self.conn.in_transaction:
            raise RuntimeError("summaries are kept inside the transaction that read the cases")
        columns = ("case_id", "version", "data", *facts)
        self.conn.executemany(f"INSERT OR REPLACE INTO case_summaries ({', '.join(columns)}) "
                              f"VALUES ({', '.join('?' * len(columns))})", summaries)

    def _require_checked(self, case: dict) -> None:
        """Every write that belongs to a case goes through atomic(case): a write that skipped the
        check could land in another child's case. Called by every write, so it also forgets the
        case's summary."""
        if self._writing_case != case["id"]:
            raise RuntimeError("a case write outside atomic(case)")
        self._forget_summary(case)

    # ------------------------------------------------------------ files written beside the data file

    def own_files(self) -> list[Path]:
        """The files that are rettidig's own data: never a target for an export."""
        from rettidig_cli.storage import keys

        p = self.path
        return [p, *(p.with_name(p.name + s) for s in ("-wal", "-shm", "-journal", ".ny", ".lås", ".gendannes",
                                                       ".gendannelse")), keys.sidecar(p)]

    def begin_pending(self, path: Path) -> int:
        """Name a temporary file (with a child's data) before it is made, so kill -9 cannot leave it
        behind unnoticed: the next start removes it."""
        with self.atomic():
            return self._insert("pending_files", {"path": str(path), "pid": os.getpid(), "started_at": now()})

    def export_written(self, sha256: str, pending: int) -> None:
        """The export has its name: remember it as ours, and forget its temporary file."""
        with self.atomic():
            self.remember_export(sha256)
            self.conn.execute("DELETE FROM pending_files WHERE id = ?", [pending])

    def end_pending(self, row_id: int) -> None:
        with self.atomic():
            self.conn.execute("DELETE FROM pending_files WHERE id = ?", [row_id])

    def pending_leftovers(self) -> list[tuple[int, Path]]:
        """Temporary files named by a process that is gone (or that began over an hour ago)."""
        cutoff = (dt.datetime.now() - dt.timedelta(hours=1)).isoformat(timespec="microseconds")
        return [(row["id"], Path(row["path"])) for row in self.query("SELECT * FROM pending_files ORDER BY id")
                if not _alive(row["pid"]) or row["started_at"] < cutoff]

    def sweep_pending(self) -> int:
        """Remove temporary export files left by a killed run. Returns how many were removed."""
        removed = 0
        for row_id, leftover in self.pending_leftovers():
            try:
                if leftover.is_file() and not leftover.is_symlink() and leftover.name.startswith(".rettidig-"):
                    leftover.unlink()
                    removed += 1
            except OSError:
                continue  # a folder that is gone or read-only now: tried again next time
            self.end_pending(row_id)
        return removed

    def remember_export(self, sha256: str) -> None:
        self.conn.execute("INSERT OR IGNORE INTO export_hashes (sha256, written_at) VALUES (?, ?)", [sha256, now()])

    def is_own_export(self, sha256: str) -> bool:
        return self.conn.execute("SELECT 1 FROM export_hashes WHERE sha256 = ?", [sha256]).fetchone() is not None

    # ------------------------------------------------------------ audit

    def audit(self, action: str, case_code: str | None = None, detail: str = "", shown: list[str] = ()) -> None:
        """One row per use of personal data: who, when, what kind of action, which case, for which
        purpose (the command). Never content: detail holds only a kind, a format or a count.
        `shown`: the codes of the cases a search put on the screen (one row, not one per case)."""
        self._insert("audit_log",
            {"at": now(), "os_user": self._os_user, "action": action, "case_code": case_code, "purpose": self.purpose,
             "detail": detail, "shown": " ".join(shown) or None}
        )

    def audit_rows(self, code: str) -> list[dict]:
        """Every audit row about one case: its own, and the searches that showed it."""
        wanted = normalise_code(code)
        return self.query(
            "SELECT * FROM audit_log WHERE upper(case_code) = ? OR instr(' ' || upper(shown) || ' ', ' ' || ? || ' ') > 0 "
            "ORDER BY id", [wanted, wanted])

    @functools.cached_property
    def _os_user(self) -> str:
        # Read once per opened file, not once per row: a list of 10,000 cases logs 10,000 rows.
        return _os_user()

    def audit_every_case(self, action: str, detail: str = "") -> list[str]:
        """One audit row per case in the file (a copy of the file, or a file brought back, holds every
        child's data, so every case's insight log must name it); inside the caller's transaction.
        Returns the case codes."""
        codes = [code for (code,) in self.conn.execute("SELECT code FROM cases ORDER BY id").fetchall()]
        for code in codes:
            self.audit(action, code, detail)
        return codes

    # ------------------------------------------------------------ guides and cases

    def remember_guide(self, guide) -> None:
        if not self.conn.execute("SELECT 1 FROM guides WHERE sha = ?", [guide.sha]).fetchone():
            self._insert("guides",
                {"sha": guide.sha, "guide_id": guide.id, "name": guide.name,
                 "source_path": guide.path, "toml": guide.text, "stored_at": now()}
            )

    def guide_for(self, case: dict):
        """The guide snapshot the case was opened with, parsed once per process."""
        from rettidig_cli.guide.reader import parse_guide

        sha = case["guide_sha"]
        if sha not in self._guides:
            toml, source_path = self.conn.execute("SELECT toml, source_path FROM guides WHERE sha = ?", [sha]).fetchone()
            self._guides[sha] = parse_guide(toml, source_path, sha)
        return self._guides[sha]

    def next_code(self, year: int) -> str:
        # The audit log is asked too: an erased case's code is never given to a new child, or
        # one child's insight log would show the other's.
        prefix = f"RT-{year}-"
        row = self.conn.execute(
            "SELECT max(n) FROM (SELECT CAST(substr(code, ?1) AS INTEGER) AS n FROM cases WHERE code LIKE ?2 "
            "UNION ALL SELECT CAST(substr(case_code, ?1) AS INTEGER) FROM audit_log WHERE case_code LIKE ?2)",
            [len(prefix) + 1, prefix + "%"],
        ).fetchone()
        return f"{prefix}{(row[0] or 0) + 1:03d}"

    def create_case(self, guide, abuse_path: bool) -> dict:
        with self.atomic():
            self.remember_guide(guide)
            stamp = now()
            code = self.next_code(dt.date.today().year)
            self._insert("cases",
                {"code": code, "guide_sha": guide.sha, "abuse_path": int(abuse_path),
                 "status": CaseStatus.OPEN, "created_at": stamp, "updated_at": stamp}
            )
            self.audit("opret", code)
        return self.case(code, log=False)

    def case(self, code: str, log: bool = True) -> dict:
        wanted = normalise_code(code)
        # The index finds a code as rettidig writes it; a code changed by hand in the file is
        # still found, by reading every case.
        rows = (self.query("SELECT * FROM cases WHERE code = ?", [wanted])
                or self.query("SELECT * FROM cases WHERE upper(code) = ?", [wanted])
                or self.matching_cases(code))
        if not rows:
            raise NotFoundError(
                f"Sagen «{code}» findes ikke i {self.path}.",
                hint="Skriv sagens kode, en del af den, barnets navn eller initialer. Se dine sager med: rettidig list "
                     "eller rettidig find TEKST",
            )
        if len(rows) > 1:
            with self.atomic():  # the candidates' names are shown: insight into each must say so
                self.audit("søg", None, f"sag søgt, {len(rows)} sager", shown=[r["code"] for r in rows])
            listed = "\n".join(f"  {r['code']}  {case_line(r)}" for r in rows[:CANDIDATES_SHOWN])
            more = f"\n  … og {len(rows) - CANDIDATES_SHOWN} mere" if len(rows) > CANDIDATES_SHOWN else ""
            raise UsageError(f"«{code}» passer på {len(rows)} sager:\n{listed}{more}",
                             hint="Skriv sagens kode, fx " + rows[0]["code"])
        if log:
            with self.atomic():
                self.audit("læs", rows[0]["code"])
        return rows[0]

    def matching_cases(self, text: str) -> list[dict]:
        """The cases a user means by a part of a code ("001", "2026-001", "RT-2026-1") or by the
        child's name, a word of it or the initials ("Ida", "AB" for "A.B."); anonymous cases have no
        name to find them by."""
        wanted = _folded(text)
        if not wanted:
            return []
        letters = re.sub(r"[\W_]", "", wanted)
        number = re.fullmatch(r"(?:rt-?)?(?:(\d{4})-)?0*(\d+)", wanted)
        found = []
        for row in self.query("SELECT * FROM cases ORDER BY id"):
            code = row["code"].casefold()
            parts = re.fullmatch(r"rt-(\d{4})-0*(\d+)", code)
            name = _folded(row["child_name"])
            initials = "".join(word[0] for word in re.findall(r"[^\W\d_]+", name))
            if (number and parts and parts.group(2) == number.group(2)
                    and number.group(1) in (None, parts.group(1))) \
                    or (name and (name == wanted or wanted in name.split()
                                  or (letters and letters in (re.sub(r"[\W_]", "", name), initials)))):
                found.append(row)
        return found

    def same_child(self, case: dict) -> list[dict]:
        """Other open cases about a child of the same name and age group: perhaps the same child."""
        if not case["child_name"]:
            return []
        name = _folded(case["child_name"])
        return [r for r in self.query("SELECT * FROM cases WHERE status = ? AND id != ? ORDER BY id",
                                      [CaseStatus.OPEN, case["id"]])
                if _folded(r["child_name"]) == name and r["age_group"] == case["age_group"]]

    def search(self, text: str) -> list[tuple[dict, list[str]]]:
        """Cases whose code, child, tovholder or written text holds `text`: (case, where it was found)."""
        wanted = text.strip()
        if not wanted:
            return []
        like = f"%{wanted.replace(chr(92), chr(92) * 2).replace('%', chr(92) + '%').replace('_', chr(92) + '_')}%"
        found: dict[int, list[str]] = {r["id"]: ["kode eller barn"] for r in self.matching_cases(wanted)}
        for row in self.query("SELECT id FROM cases WHERE code LIKE ? ESCAPE '\\' OR child_name LIKE ? ESCAPE '\\'",
                              [like, like]):
            found.setdefault(row["id"], ["kode eller barn"])
        sources = (("tovholders", "name", "tovholder"), ("observations", "what", "observation"),
                   ("agreements", "what", "aftale"), ("agreements", "who", "aftale"), ("answers", "value", "tekst"),
                   ("meetings", "minutes", "referat"), ("factors", "text", "faktor"))
        for table, column, where in sources:
            hide = " AND removed_on IS NULL" if table in REMOVABLE else ""
            if table == "answers":  # the written answers, not the keys of a structured one
                hide = " AND kind IN ('text', 'network')"
            for row in self.query(f'SELECT DISTINCT case_id FROM "{table}" WHERE "{column}" LIKE ? ESCAPE \'\\\'{hide}',
                                  [like]):
                places = found.setdefault(row["case_id"], [])
                if where not in places:
                    places.append(where)
        if not found:
            return []
        cases = {r["id"]: r for r in self.query(
            f"SELECT * FROM cases WHERE id IN ({','.join('?' * len(found))}) ORDER BY id", list(found))}
        return [(cases[i], places) for i, places in found.items() if i in cases]

    def cases(self, include_closed: bool = False) -> list[dict]:
        if include_closed:
            return self.query("SELECT * FROM cases ORDER BY id")
        return self.query("SELECT * FROM cases WHERE status = ? ORDER BY id", [CaseStatus.OPEN])

    def update_case(self, case: dict, **fields) -> None:
        self._require_checked(case)
        self._update("cases", case["id"], {**fields, "updated_at": now()})
        case.update(fields)

    # ------------------------------------------------------------ answers

    def answers(self, case_id: int) -> dict[str, dict]:
        rows = self.query("SELECT * FROM answers WHERE case_id = ? ORDER BY id", [case_id])
        return {row["step_id"]: {**row, "value": json.loads(row["value"])} for row in rows}

    def made_with_answer(self, case: dict, step_id: str, table: str) -> list[int]:
        """The ids of the records (of `table`) the step's answer made, in the transaction that saved
        it – not those a later command added under the same step (møde ny, tovholder, an
        escalation). From the journal; for an answer saved before it (m009), the step's records
        saved in the seconds before the answer row, as the wizard saves them together."""
        found = self.conn.execute("SELECT id, created_at FROM answers WHERE case_id = ? AND step_id = ?",
                                  [case["id"], step_id]).fetchone()
        if found is None:
            return []
        answer_id, answered_at = found
        change = self.conn.execute(
            "SELECT max(change_id) FROM record_changes WHERE case_id = ? AND table_name = 'answers' AND row_id = ? "
            "AND undone = 0", [case["id"], answer_id]).fetchone()[0]
        if change is not None:
            return [r[0] for r in self.conn.execute(
                "SELECT row_id FROM record_changes WHERE case_id = ? AND change_id = ? AND table_name = ? "
                "AND action = 'insert'", [case["id"], change, table])]
        earliest = (dt.datetime.fromisoformat(answered_at) - dt.timedelta(seconds=5)).isoformat()
        return [r[0] for r in self.conn.execute(
            f'SELECT id FROM "{table}" WHERE case_id = ? AND step_id = ? AND created_at BETWEEN ? AND ?',
            [case["id"], step_id, earliest, answered_at])]

    def save_answer(self, case: dict, step_id: str, phase_id: str, kind: str, value) -> None:
        """Mark a step answered. Call inside atomic(case) together with the step's records."""
        self._require_checked(case)
        text = json.dumps(value, ensure_ascii=False)
        found = self.conn.execute("SELECT id FROM answers WHERE case_id = ? AND step_id = ?",
                                  [case["id"], step_id]).fetchone()
        if found is None:
            self._insert("answers", {"case_id": case["id"], "step_id": step_id, "phase_id": phase_id, "kind": kind,
                                     "value": text, "created_at": now()})
        else:
            self._update("answers", found[0], {"value": text, "created_at": now()})
        self.update_case(case)

    def add(self, table: str, case: dict, step_id: str, row: dict) -> int:
        """Insert one record belonging to a case. Call inside atomic(case)."""
        self._require_checked(case)
        full = {"case_id": case["id"], "step_id": step_id, **row, "created_at": now()}
        return self._insert(table, full)

    def insert(self, table: str, case: dict, row: dict) -> int:
        """Insert one row of a case's table without a guide step (events, scores, hidden words).
        Call inside atomic(case)."""
        self._require_checked(case)
        return self._insert(table, {"case_id": case["id"], **row, "created_at": now()})

    def change(self, table: str, case: dict, row_id: int, fields: dict) -> None:
        """Change one record of a case (and only of that case). Call inside atomic(case)."""
        self._require_checked(case)
        self._update(table, row_id, fields, case_id=case["id"])

    def current(self, table: str, case: dict, row_id: int, columns: tuple[str, ...]) -> tuple | None:
        """Some columns of one record of the case as they are in the file now, or None if it is gone."""
        found = self.conn.execute(f'SELECT {", ".join(columns)} FROM "{table}" WHERE id = ? AND case_id = ?',
                                  [row_id, case["id"]]).fetchone()
        return None if found is None else tuple(found)

    def number_in_case(self, table: str, case: dict, row_id: int) -> int:
        """A record's number in its case: counted up to its own row (removed ones too, see numbered),
        so a record another window saves meanwhile does not shift it."""
        return self.conn.execute(f'SELECT count(*) FROM "{table}" WHERE case_id = ? AND id <= ?',
                                 [case["id"], row_id]).fetchone()[0]

    def exports_of(self, codes: list[str]) -> int:
        """How many exports the audit log names for these cases."""
        if not codes:
            return 0
        return self.conn.execute(f"SELECT count(*) FROM audit_log WHERE action = 'eksport' AND case_code IN "
                                 f"({','.join('?' * len(codes))})", codes).fetchone()[0]

    def last_audit_id(self) -> int:
        return self.conn.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0]

    def unlog_backup(self, first: int, last: int) -> None:
        """Remove the backup rows a failed copy had written (see cli_data._logged_backup)."""
        self.conn.execute("DELETE FROM audit_log WHERE action = 'backup' AND id BETWEEN ? AND ?", [first, last])

    def check(self, pragma: str) -> list:
        """What one of SQLite's own checks says (quick_check, integrity_check, foreign_key_check)."""
        if pragma not in ("quick_check", "integrity_check", "foreign_key_check"):
            raise ValueError(pragma)
        return [r[0] for r in self.conn.execute(f"PRAGMA {pragma}")]

    def rows(self, table: str, case_id: int, order_by: str = "id", removed: bool = False) -> list[dict]:
        """A case's records of one kind. A record removed by mistake (removed_on) is left out, unless
        `removed` asks for it (the history shows it as removed)."""
        hide = " AND removed_on IS NULL" if table in REMOVABLE and not removed else ""
        return self.query(f'SELECT * FROM "{table}" WHERE case_id = ?{hide} ORDER BY {order_by}', [case_id])

    def numbered(self, table: str, case_id: int) -> list[dict]:
        """A case's records with their number ("nr"), counted over every record ever made, so a record
        removed by mistake never moves the number of the ones after it (aftale nr. 3 stays nr. 3)."""
        numbered = [{**row, "nr": nr} for nr, row in enumerate(self.rows(table, case_id, removed=True), start=1)]
        return [row for row in numbered if not row.get("removed_on")]

    # ------------------------------------------------------------ the journal of changes

    def mark_change(self, kind: str, reason: str = "") -> None:
        """Name this transaction's change (a correction, a removal …) for the history and `fortryd`."""
        change = self._change_group()
        change.update(kind=kind, reason=reason)
        self.conn.execute("UPDATE record_changes SET kind = ?, reason = ? WHERE case_id = ? AND change_id = ?",
                          [kind, reason, change["case"], change["id"]])

    def _change_group(self) -> dict:
        """This transaction's change: numbered within its case, so the next number is read from the
        case's own rows in the (case_id, change_id) index, not from every case's journal (a max over
        the whole table took ~17 ms a write at 10,000 cases)."""
        case_id = self._writing_case
        if self._change is None or self._change["case"] != case_id:
            number = self.conn.execute("SELECT coalesce(max(change_id), 0) + 1 FROM record_changes WHERE case_id = ?",
                                       [case_id]).fetchone()[0]
            self._change = {"id": number, "case": case_id, "kind": "", "reason": ""}
        return self._change

    def _journaling(self) -> bool:
        """Whether a write now is journaled: inside atomic(case), and not while a change is undone."""
        return self._writing_case is not None and not self._journal_off

    def _journal(self, table: str, row_id: int, action: str, before: dict | None, after: dict | None) -> None:
        """One row of a case changed in this transaction, with what it was and what it became."""
        if not self._journaling():
            return
        case_id = self._writing_case
        change = self._change_group()
        self.conn.execute(
            "INSERT INTO record_changes (case_id, change_id, table_name, row_id, action, before, after, kind, reason, "
            "undone, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
            [case_id, change["id"], table, row_id, action,
             json.dumps(before, ensure_ascii=False, default=str) if before is not None else None,
             json.dumps(after or {}, ensure_ascii=False, default=str),
             change["kind"], change["reason"], now()])

    def undo_change(self, case: dict, change_id: int) -> None:
        """Put a case's rows back as they were before one change: rows it added are deleted, rows it
        changed get their earlier values. The change stays in the journal, marked undone. Call
        inside atomic(case)."""
        self._require_checked(case)
        rows = self.query("SELECT * FROM record_changes WHERE case_id = ? AND change_id = ? ORDER BY id DESC",
                          [case["id"], change_id])
        self._journal_off = True
        try:
            for row in rows:
                table = row["table_name"]
                if table not in JOURNALED and table != "cases":
                    raise RuntimeError(f"not a journaled table: {table}")
                where = "id = ?" if table == "cases" else "id = ? AND case_id = ?"
                key = [row["row_id"]] if table == "cases" else [row["row_id"], case["id"]]
                if row["action"] == "insert":
                    self.conn.execute(f'DELETE FROM "{table}" WHERE {where}', key)
                else:
                    before = json.loads(row["before"])
                    assignments = ", ".join(f'"{name}" = ?' for name in before)
                    self.conn.execute(f'UPDATE "{table}" SET {assignments} WHERE {where}', [*before.values(), *key])
        finally:
            self._journal_off = False
        self.conn.execute("UPDATE record_changes SET undone = 1, undone_at = ? WHERE case_id = ? AND change_id = ?",
                          [now(), case["id"], change_id])
        self.update_case(case)

    def changes(self, case_id: int, undone: bool | None = None) -> list[dict]:
        """The journal of a case, oldest first (undone: only those undone, or not; None: all)."""
        where = "" if undone is None else f" AND undone = {int(undone)}"
        return self.query(f"SELECT * FROM record_changes WHERE case_id = ?{where} ORDER BY change_id, id", [case_id])


# The tables of a case's records: every change to them is journaled (record_changes), so that a
# correction keeps the earlier version and `fortryd` can undo the last change.
JOURNALED = frozenset(("observations", "factors", "agreements", "agreement_events", "meetings", "consents",
                       "tovholders", "positions", "underretninger", "decisions", "fit_scores", "case_events",
                       "answers"))
# The records that can be removed by mistake (kept, marked removed_on; left out of plans and documents).
REMOVABLE = frozenset(("observations", "factors", "agreements", "meetings", "consents", "tovholders", "positions",
                       "underretninger", "decisions", "fit_scores"))


CANDIDATES_SHOWN = 10  # an ambiguous case name lists at most this many cases


def _folded(name: str | None) -> str:
    """A name or a search as compared: case and spacing do not count ("ida  Hansen" is "Ida Hansen")."""
    return " ".join((name or "").split()).casefold()


def case_line(row: dict) -> str:
    """A case in one line, to tell it from others: the child, age group, setting and state."""
    child = ", ".join(x for x in (row["child_name"] or "anonym", row["age_group"], row["setting"]) if x)
    return f"{child} – {row['status']}, oprettet {row['created_at'][:10]}"


def _stored(value):
    """A value as a column holds it: lists and dicts as JSON (as sqlite-utils keeps them)."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict, tuple)) else value


def backups_in(folder: Path) -> list[Path]:
    """The finished copies (.db) in a backup folder, never a temporary one from a killed run."""
    return sorted(p for p in folder.glob("*.db") if p.is_file()) if folder.is_dir() else []


def _alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # Windows' os.kill would end the process: go by age there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process, or a system that cannot tell: assume alive
    return True


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


def normalise_code(code: str) -> str:
    """A case code as typed ('rt-2026-001', '2026-001') in its stored form, upper case."""
    from rettidig_cli.domain.privacy import printable

    wanted = printable(code).strip().upper()  # an unreadable character cannot be in a code
    return wanted if wanted.startswith("RT-") else f"RT-{wanted}"


def applied_migrations(conn) -> list[str]:
    """The names of the migrations the file has had, in order."""
    from rettidig_cli.storage.migrations import SET_NAME

    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'").fetchone():
        return []
    return [name for (name,) in conn.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid", [SET_NAME])]


def schema_state(conn) -> str:
    """'newer' (made by a newer rettidig), 'pending' (migrations to apply) or 'current'."""
    from rettidig_cli.storage.migrations import NAMES

    applied, known = set(applied_migrations(conn)), set(NAMES)
    if applied - known:
        return "newer"
    return "pending" if known - applied else "current"


def translate_error(exc: Exception, path: Path | None, opening: bool = False) -> StoreError:
    """A Danish message for a database error, chosen by SQLite's own error name (SQLITE_BUSY …; both
    sqlite3 and sqlcipher3 carry it). Only while opening can rettidig promise that the file is
    unchanged; later, other rows may already have been saved."""
    kind = _error_kind(exc)
    name = f"Datafilen {path}" if path else "Datafilen"
    if kind == "CORRUPT" and not opening:
        return StoreError(
            f"{name} er beskadiget: en del af den kan ikke læses. Det, du var i gang med, er ikke gemt.",
            hint="Kør: rettidig doctor – og brug en sikkerhedskopi fra mappen sikkerhedskopier.",
        )
    if kind in ("BUSY", "LOCKED"):
        return LockedError(
            f"{name} er låst af et andet rettidig-vindue. Prøv igen om lidt.",
            hint="Luk andre vinduer, hvor rettidig kører.",
        )
    if kind == "CORRUPT":
        return StoreError(
            f"{name} er beskadiget eller ikke en rettidig-datafil. Filen er ikke ændret.",
            hint="Brug en sikkerhedskopi, eller kontakt den, der hjælper dig med IT.",
        )
    if kind == "READONLY":
        return StoreError(f"{name} er skrivebeskyttet, så intet kan gemmes.")
    if kind == "IOERR":
        return StoreError(f"{name} kunne ikke læses eller skrives: disken svarede med en fejl.",
                          hint="Kør: rettidig doctor – og tal med den, der hjælper dig med IT, hvis fejlen kommer igen.")
    if kind == "FULL":
        return StoreError(f"Der er ikke mere plads til {name[0].lower()}{name[1:]}. Intet nyt er gemt.")
    if kind == "CANTOPEN":
        return StoreError(f"{name} kan ikke åbnes.")
    return StoreError(f"{name} kunne ikke bruges ({exc.__class__.__name__}).")


# SQLite's primary error names (extended ones such as SQLITE_IOERR_WRITE share the prefix).
_ERROR_KINDS = {"SQLITE_CORRUPT": "CORRUPT", "SQLITE_NOTADB": "CORRUPT", "SQLITE_BUSY": "BUSY",
                "SQLITE_LOCKED": "LOCKED", "SQLITE_READONLY": "READONLY", "SQLITE_IOERR": "IOERR",
                "SQLITE_FULL": "FULL", "SQLITE_CANTOPEN": "CANTOPEN"}
# An error raised without a name (by the driver itself, or by sqlite-utils) is read by its text.
_ERROR_TEXTS = (("malformed", "CORRUPT"), ("not a database", "CORRUPT"), ("file is encrypted", "CORRUPT"),
                ("locked", "BUSY"), ("busy", "BUSY"), ("readonly", "READONLY"), ("read-only", "READONLY"),
                ("disk i/o", "IOERR"), ("full", "FULL"), ("unable to open", "CANTOPEN"))


def _error_kind(exc: Exception) -> str | None:
    code = getattr(exc, "sqlite_errorname", None) or ""
    for prefix, kind in _ERROR_KINDS.items():
        if code == prefix or code.startswith(prefix + "_"):
            return kind
    text = str(exc).lower()
    return next((kind for words, kind in _ERROR_TEXTS if words in text), None)
