"""One child's text never lands in another child's case.

Window 1 opens a case and waits at a question; window 2 erases that case and makes a new one for
another child. When window 1 finally answers, nothing may be saved, and certainly not into the new
child's case (which, before case ids were AUTOINCREMENT, got the erased case's internal id).
Window 1 runs the installed command in a real pseudo-terminal; window 2 runs the same command
without one, as a second window would."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import ENTER, EXAMPLES, db_file, query
from test_e2e_pty import Terminal, run_plain

TODAY = dt.date.today()
SECRET = "Tekst fra vindue et"


def make_case(home, work) -> str:
    result = run_plain(["new", "--guide", "resen", "--answers", str(EXAMPLES / "resen-svar.toml")], home, work)
    assert result.returncode == 0, result.stderr
    return next(w for w in result.stdout.split() if w.startswith("RT-"))


def erase_and_replace(home, work, code: str) -> str:
    """Window 2: erase the case, then open another child's case."""
    erased = run_plain(["slet", code, "--bekraeft", code], home, work)
    assert erased.returncode == 0, erased.stderr
    return make_case(home, work)


def everything_in(home) -> str:
    tables = [r["name"] for r in query(home, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    return json.dumps([query(home, f'SELECT * FROM "{t}"') for t in tables], ensure_ascii=False)


# Window 1 runs in a real terminal; the check does not depend on encryption.
two_windows = pytest.mark.plain_only


@pytest.fixture
def place(tmp_path):
    home, work = tmp_path / "rettidig-home", tmp_path / "work"
    work.mkdir()
    return home, work


# Each command: the keys up to the question it is left waiting at, that question, and the keys
# that finish it with SECRET.
WAITING = {
    "observation": (["observation"], [("Dato for observationen:", ENTER)], "Hvad så du?",
                    SECRET + ENTER + ENTER + "Pædagog Ali" + ENTER),
    "faktor": (["faktor"], [("Hvilken slags?", ENTER)], "Beskriv", SECRET + ENTER),
    "tovholder": (["tovholder"], [], "Hvem er den nye tovholder?", SECRET + ENTER + "Ressourcepædagog" + ENTER),
    "aftale": (["aftale", "ny"], [], "Hvad skal gøres?", SECRET + ENTER + "Mor" + ENTER + ENTER),
}


@two_windows
@pytest.mark.parametrize("command", list(WAITING))
def test_an_answer_given_after_the_case_was_erased_is_saved_nowhere(place, command):
    home, work = place
    code = make_case(home, work)
    args, before, waiting_at, keys = WAITING[command]
    window = Terminal([*args, code], home, work)
    for prompt, answer in before:
        window.answer(prompt, answer)
    window.expect(waiting_at)

    other = erase_and_replace(home, work, code)
    window.child.send(keys)
    status = window.finish()

    assert status == 5, window.text[-1500:]
    assert "slettet i et andet vindue" in window.text
    assert "ikke gemt" in window.text
    assert f"gemt i sag {code}" not in window.text
    assert SECRET not in everything_in(home)
    plan = run_plain(["plan", other, "--json"], home, work)
    assert plan.returncode == 0 and SECRET not in plan.stdout
    ids = [r["id"] for r in query(home, "SELECT id FROM cases")]
    assert ids == [2], ids  # the new child never gets the erased case's id


@two_windows
def test_slet_confirmed_after_the_case_was_replaced_erases_nothing(place):
    """Window 1 asks for the code to confirm erasure; meanwhile the case is erased and a new child's
    case is made. The typed code must not erase the new child."""
    home, work = place
    code = make_case(home, work)
    window = Terminal(["slet", code], home, work)
    window.expect("for at slette den for altid")
    other = erase_and_replace(home, work, code)
    window.child.send(code + ENTER)
    assert window.finish() == 5, window.text[-1500:]
    assert [r["code"] for r in query(home, "SELECT code FROM cases")] == [other]


@two_windows
def test_an_answer_given_after_the_case_was_closed_is_not_saved(place):
    home, work = place
    code = make_case(home, work)
    window = Terminal(["observation", code], home, work)
    window.answer("Dato for observationen:", ENTER)
    window.expect("Hvad så du?")
    closed = run_plain(["luk", code, "--grund", "Trivslen er genoprettet"], home, work)
    assert closed.returncode == 0, closed.stderr
    window.child.send(SECRET + ENTER + ENTER + ENTER)
    assert window.finish() == 5, window.text[-1500:]
    assert "lukket i et andet vindue" in window.text
    assert SECRET not in everything_in(home)


def test_case_ids_are_never_reused_after_erasure_and_vacuum(cli, tmp_path, data_home):
    answers = str(EXAMPLES / "resen-svar.toml")
    codes = []
    for _ in range(3):
        result = cli(["new", "--guide", "resen", "--answers", answers])
        assert result.code == 0, result.err
        codes.append(next(w for w in result.out.split() if w.startswith("RT-")))
    ids = {r["code"]: r["id"] for r in query(data_home, "SELECT id, code FROM cases")}
    assert cli(["slet", codes[2], "--bekraeft", codes[2]]).code == 0  # the highest id: VACUUM follows
    result = cli(["new", "--guide", "resen", "--answers", answers])
    assert result.code == 0, result.err
    newest = query(data_home, "SELECT id FROM cases ORDER BY id DESC LIMIT 1")[0]["id"]
    assert newest == ids[codes[2]] + 1, (ids, newest)
    assert db_file(data_home).exists()


def test_a_write_outside_a_checked_transaction_is_a_programming_error(cli, data_home):
    """The guard that keeps future code honest: Store.add without atomic(case) refuses."""
    result = cli(["new", "--guide", "resen", "--answers", str(EXAMPLES / "resen-svar.toml")])
    assert result.code == 0, result.err
    from rettidig_cli.storage.store import Store

    store = Store(db_file(data_home))
    case = store.case(f"RT-{TODAY.year}-001", log=False)
    with pytest.raises(RuntimeError):
        with store.atomic():
            store.add("factors", case, None, {"kind": "risiko", "text": "x"})
    store.close()


@two_windows
def test_an_anonymous_export_read_through_after_the_case_was_erased_writes_no_file(place):
    home, work = place
    code = make_case(home, work)
    window = Terminal(["export", code, "--til", "anonym", "--format", "markdown"], home, work)
    window.expect("Er teksten fri for navne")
    erase_and_replace(home, work, code)
    window.child.send(ENTER)  # Ja – skriv filen
    assert window.finish() == 5, window.text[-1500:]
    assert "slettet i et andet vindue" in window.text
    assert [p.name for p in work.iterdir() if not p.name.startswith(".")] == []


def test_a_code_is_found_as_typed_and_as_changed_by_hand_in_the_file(cli, tmp_path, data_home):
    """The index finds a code as rettidig wrote it, in any case and without "RT-"; a code another
    program wrote in lower case into the file is still found."""
    from conftest import execute

    result = cli(["new", "--guide", "resen", "--answers", str(EXAMPLES / "resen-svar.toml")])
    assert result.code == 0, result.err
    code = next(w for w in result.out.split() if w.startswith("RT-"))
    for typed in (code, code.lower(), code.removeprefix("RT-")):
        assert cli(["plan", typed, "--json"]).code == 0, typed
    execute(data_home, "UPDATE cases SET code = lower(code)")
    result = cli(["plan", code, "--json"])
    assert result.code == 0, result.err
    assert json.loads(result.out)["kode"] == code.lower()
