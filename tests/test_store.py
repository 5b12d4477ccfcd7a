import stat

import pytest

from rettidig_cli.domain.errors import StoreError
from rettidig_cli.guide.reader import load_file
from rettidig_cli.storage.store import Store, db_path

from conftest import ROOT, raw_connect

pytestmark = pytest.mark.both_storages  # the data file is the subject: runs with the plain and the encrypted file


def guide():
    return load_file(ROOT / "data" / "guides" / "resen.toml")


def test_fresh_database_has_every_table_and_column(tmp_path):
    store = Store(tmp_path / "d" / "r.db")
    tables = set(store.db.table_names())
    assert {"cases", "answers", "observations", "factors", "decisions", "agreements", "tovholders",
            "meetings", "consents", "underretninger", "positions", "audit_log", "guides"} <= tables
    assert {"observed_on", "what", "method", "observer"} <= set(store.db["observations"].columns_dict)
    assert {"what", "who", "due", "status"} <= set(store.db["agreements"].columns_dict)
    assert {"kind", "day", "time", "participants", "state"} <= set(store.db["meetings"].columns_dict)
    assert {"at", "os_user", "action", "case_code"} <= set(store.db["audit_log"].columns_dict)
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_folder_0700_and_file_0600(tmp_path):
    path = tmp_path / "ny" / "r.db"
    store = Store(path)
    store.create_case(guide(), abuse_path=False)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for extra in path.parent.glob("r.db-*"):
        assert stat.S_IMODE(extra.stat().st_mode) == 0o600


def test_loose_permissions_on_existing_file_are_tightened(tmp_path):
    path = tmp_path / "r.db"
    Store(path).close()
    path.chmod(0o644)
    Store(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_rettidig_home_and_db_option(monkeypatch, tmp_path):
    monkeypatch.setenv("RETTIDIG_HOME", str(tmp_path / "hjem"))
    assert db_path(None) == tmp_path / "hjem" / "rettidig.db"
    assert db_path(tmp_path / "x.db") == tmp_path / "x.db"


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "noter.db"
    path.write_text("mine noter om mødet\n")
    with pytest.raises(StoreError, match="ikke en rettidig-datafil"):
        Store(path)
    assert path.read_text() == "mine noter om mødet\n"


def test_a_database_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "r.db"
    store = Store(path)
    store.db["_sqlite_migrations"].insert({"migration_set": "rettidig", "name": "m999_future", "applied_at": "x"})
    store.close()
    with pytest.raises(StoreError, match="nyere version"):
        Store(path)


def test_case_codes_are_sequential_and_lookup_is_forgiving(tmp_path):
    store = Store(tmp_path / "r.db")
    first = store.create_case(guide(), abuse_path=False)
    second = store.create_case(guide(), abuse_path=False)
    year = first["code"].split("-")[1]
    assert first["code"] == f"RT-{year}-001" and second["code"] == f"RT-{year}-002"
    assert store.case(f"rt-{year}-002")["id"] == second["id"]
    assert store.case(f"{year}-001")["id"] == first["id"]


def test_the_case_keeps_its_guide_snapshot(tmp_path):
    store = Store(tmp_path / "r.db")
    case = store.create_case(guide(), abuse_path=False)
    assert store.guide_for(case).id == "resen"
    assert store.guide_for(case).sha == guide().sha


def test_audit_log_has_actions_but_never_content(cli, data_home):
    result = cli(["new", "--guide", "resen", "--answers", str(ROOT / "eksempler" / "resen-svar.toml")])
    assert result.code == 0
    code = result.out.split("Ny sag: ")[1].split()[0]
    cli(["plan", code])
    cli(["export", code, "--out", str(data_home / "ud.md")])
    conn = raw_connect(data_home / "rettidig.db", dicts=False)
    rows = conn.execute("SELECT action, case_code, os_user, at, detail FROM audit_log").fetchall()
    actions = {r[0] for r in rows}
    assert {"opret", "ændre", "læs", "eksport"} <= actions
    assert all(r[1] == code for r in rows if r[0] != "søg")
    dump = repr(rows)
    for secret in ("C.D.", "Sprog, koncentration", "Ali Demir", "Dialogisk"):
        assert secret not in dump


def test_each_step_is_one_transaction(tmp_path):
    """A failure while saving a step rolls back its records and its answer row together."""
    from rettidig_cli.workflow import wizard

    store = Store(tmp_path / "r.db")
    g = guide()
    case = store.create_case(g, abuse_path=False)
    ctx = wizard.context_for(store, case, g)
    step = g.step("statusmoeder")
    value = wizard.parse(step, {"rytme_uger": 4, "antal": 2, "start": "2027-01-04"}, ctx)
    value["moeder"].append({"dato": None, "flyttet_fra": None, "grund": ""})  # violates NOT NULL
    with pytest.raises(StoreError):
        wizard.save_step(store, case, step, value, ctx)
    assert store.rows("meetings", case["id"]) == []
    assert "statusmoeder" not in store.answers(case["id"])


@pytest.mark.plain_only
def test_database_errors_are_read_by_sqlites_error_name_not_their_text():
    """The message depends on SQLite's error name; an English text that happens to contain 'full'
    or 'locked' does not decide it. An error raised without a name is still read by its text."""
    import sqlite3

    from rettidig_cli.domain.errors import LockedError
    from rettidig_cli.storage.store import translate_error

    def named(name: str, text: str) -> Exception:
        exc = sqlite3.OperationalError(text)
        exc.sqlite_errorname = name
        return exc

    assert isinstance(translate_error(named("SQLITE_BUSY_SNAPSHOT", "something else"), None), LockedError)
    assert "plads" in translate_error(named("SQLITE_FULL", "x"), None).message
    assert "skrivebeskyttet" in translate_error(named("SQLITE_READONLY_DBMOVED", "x"), None).message
    assert "beskadiget" in translate_error(named("SQLITE_NOTADB", "x"), None, opening=True).message
    not_full = translate_error(named("SQLITE_IOERR_WRITE", "the disk is not full"), None).message
    assert "disken svarede med en fejl" in not_full
    assert isinstance(translate_error(sqlite3.OperationalError("database is locked"), None), LockedError)
