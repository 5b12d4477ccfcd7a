"""The local data file: where it lives, opening it safely, and every read and write.

Each logical step is one transaction together with its audit-log row, so a crash or Ctrl-C
never leaves half a record behind."""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
import sqlite3
from pathlib import Path

from rettidig_cli.errors import NotFoundError, StoreError

SQLITE_HEADER = b"SQLite format 3\x00"
DB_NAME = "rettidig.db"


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


def _prepare_file(path: Path) -> None:
    """Folder 0700 and file 0600, made so before SQLite writes a byte."""
    os.umask(0o077)  # every file this process makes (WAL, exports, backups) is private
    folder = path.parent
    if not folder.exists():
        try:
            folder.mkdir(parents=True, mode=0o700)
        except OSError as exc:
            raise StoreError(f"Mappen {folder} kan ikke oprettes ({exc.strerror}).") from None
        os.chmod(folder, 0o700)
    if path.exists():
        if path.is_dir():
            raise StoreError(f"{path} er en mappe, ikke en datafil.")
        with path.open("rb") as handle:
            header = handle.read(16)
        if header and header != SQLITE_HEADER:
            raise StoreError(
                f"{path} er ikke en rettidig-datafil. Filen er ikke ændret.",
                hint="Tjek stien, eller brug --db til at vælge en anden fil.",
            )
        if path.stat().st_mode & 0o077 and _owned_by_me(path):
            os.chmod(path, 0o600)
        return
    try:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
    except OSError as exc:
        raise StoreError(f"Datafilen {path} kan ikke oprettes ({exc.strerror}).") from None


def _owned_by_me(path: Path) -> bool:
    return not hasattr(os, "getuid") or path.stat().st_uid == os.getuid()


class Store:
    def __init__(self, path: Path):
        from sqlite_utils import Database  # slow import; only commands that need data pay for it

        self.path = path
        self._guides: dict = {}
        _prepare_file(path)
        try:
            conn = sqlite3.connect(str(path), timeout=10)
            self.db = Database(conn, execute_plugins=False)
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA busy_timeout=10000")
            if self.db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise _translate(exc, path) from None

    def _migrate(self) -> None:
        from rettidig_cli.migrations import migrations

        applied = {m.name for m in migrations.applied(self.db)}
        known = {m.name for m in migrations._migrations}
        if applied - known:
            raise StoreError(
                f"Datafilen {self.path} er lavet af en nyere version af rettidig. Filen er ikke ændret.",
                hint="Opdatér rettidig, før du åbner den.",
            )
        pending = migrations.pending(self.db)
        if pending and applied:
            self._backup_before_migration()
        migrations.apply(self.db)

    def _backup_before_migration(self) -> None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.stem}-før-opdatering-{stamp}.db")
        fd = os.open(target, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
        os.close(fd)
        backup = sqlite3.connect(str(target))
        with backup:
            self.db.conn.backup(backup)
        backup.close()

    def close(self) -> None:
        self.db.close()

    @contextlib.contextmanager
    def atomic(self):
        try:
            with self.db.atomic():
                yield self.db
        except sqlite3.DatabaseError as exc:
            raise _translate(exc, self.path) from None

    # ------------------------------------------------------------ audit

    def audit(self, action: str, case_code: str | None = None, detail: str = "") -> None:
        """One row per use of personal data: who, when, what kind of action, which case."""
        try:
            user = getpass.getuser()
        except Exception:  # no user name in the environment (some containers)
            user = "ukendt"
        self.db["audit_log"].insert(
            {"at": now(), "os_user": user, "action": action, "case_code": case_code, "detail": detail}
        )

    # ------------------------------------------------------------ guides and cases

    def remember_guide(self, guide) -> None:
        if not self.db["guides"].count_where("sha = ?", [guide.sha]):
            self.db["guides"].insert(
                {"sha": guide.sha, "guide_id": guide.id, "name": guide.name,
                 "source_path": guide.path, "toml": guide.text, "stored_at": now()}
            )

    def guide_for(self, case: dict):
        """The guide snapshot the case was opened with, parsed once per process."""
        from rettidig_cli.guide import parse_guide

        sha = case["guide_sha"]
        if sha not in self._guides:
            row = self.db["guides"].get(sha)
            self._guides[sha] = parse_guide(row["toml"], row["source_path"])
        return self._guides[sha]

    def next_code(self, year: int) -> str:
        prefix = f"RT-{year}-"
        row = self.db.execute(
            "SELECT max(CAST(substr(code, ?) AS INTEGER)) FROM cases WHERE code LIKE ?",
            [len(prefix) + 1, prefix + "%"],
        ).fetchone()
        return f"{prefix}{(row[0] or 0) + 1:03d}"

    def create_case(self, guide, abuse_path: bool) -> dict:
        with self.atomic():
            self.remember_guide(guide)
            stamp = now()
            code = self.next_code(dt.date.today().year)
            self.db["cases"].insert(
                {"code": code, "guide_sha": guide.sha, "abuse_path": int(abuse_path),
                 "status": "åben", "created_at": stamp, "updated_at": stamp}
            )
            self.audit("opret", code)
        return self.case(code, log=False)

    def case(self, code: str, log: bool = True) -> dict:
        wanted = code.strip().upper()
        if not wanted.startswith("RT-"):
            wanted = f"RT-{wanted}"
        rows = list(self.db["cases"].rows_where("upper(code) = ?", [wanted]))
        if not rows:
            raise NotFoundError(
                f"Sagen «{code}» findes ikke i {self.path}.",
                hint="Se dine sager med: rettidig list",
            )
        if log:
            with self.atomic():
                self.audit("læs", rows[0]["code"])
        return rows[0]

    def cases(self, include_closed: bool = False) -> list[dict]:
        where = None if include_closed else "status = 'åben'"
        return list(self.db["cases"].rows_where(where, order_by="id"))

    def update_case(self, case: dict, **fields) -> None:
        self.db["cases"].update(case["id"], {**fields, "updated_at": now()})
        case.update(fields)

    # ------------------------------------------------------------ answers

    def answers(self, case_id: int) -> dict[str, dict]:
        rows = self.db["answers"].rows_where("case_id = ?", [case_id], order_by="id")
        return {row["step_id"]: {**row, "value": json.loads(row["value"])} for row in rows}

    def save_answer(self, case: dict, step_id: str, phase_id: str, kind: str, value) -> None:
        """Mark a step answered. Call inside atomic() together with the step's records."""
        self.db.execute(
            "INSERT INTO answers (case_id, step_id, phase_id, kind, value, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(case_id, step_id) DO UPDATE SET "
            "value = excluded.value, created_at = excluded.created_at",
            [case["id"], step_id, phase_id, kind, json.dumps(value, ensure_ascii=False), now()],
        )
        self.update_case(case)

    def add(self, table: str, case: dict, step_id: str, row: dict) -> int:
        """Insert one record belonging to a case. Call inside atomic()."""
        full = {"case_id": case["id"], "step_id": step_id, **row, "created_at": now()}
        return self.db[table].insert(full).last_pk

    def rows(self, table: str, case_id: int, order_by: str = "id") -> list[dict]:
        return list(self.db[table].rows_where("case_id = ?", [case_id], order_by=order_by))


def _translate(exc: sqlite3.DatabaseError, path: Path) -> StoreError:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return StoreError(
            f"Datafilen {path} er låst af et andet rettidig-vindue. Prøv igen om lidt.",
            hint="Luk andre vinduer, hvor rettidig kører.",
        )
    if "not a database" in text or "malformed" in text or "file is encrypted" in text:
        return StoreError(
            f"Datafilen {path} er beskadiget eller ikke en rettidig-datafil. Filen er ikke ændret.",
            hint="Brug en sikkerhedskopi, eller kontakt den, der hjælper dig med IT.",
        )
    if "readonly" in text or "read-only" in text:
        return StoreError(f"Datafilen {path} er skrivebeskyttet, så intet kan gemmes.")
    if "full" in text:
        return StoreError(f"Der er ikke mere plads til datafilen {path}. Intet nyt er gemt.")
    if "unable to open" in text:
        return StoreError(f"Datafilen {path} kan ikke åbnes.")
    return StoreError(f"Datafilen {path} kunne ikke bruges ({exc.__class__.__name__}).")
