"""End to end: the installed `rettidig` console script in a real pseudo-terminal (pexpect).

One practitioner's whole walk through the Resen guide is typed key by key at the real prompts,
from a folder that is not the repository (so the guides must be found from anywhere). The
printed plan and the exported file are then checked as a user would see them."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pexpect  # in the [test] extra; a missing package should fail loudly, not skip
import pytest
from conftest import CTRL_C, DOWN, ENTER

# These walks share one data folder per module (plain); encryption has its own real-terminal tests.
pytestmark = pytest.mark.plain_only

TIMEOUT = 10  # seconds per expect; the whole module runs in well under 30 s

CHILD = "Ebbe"
TOVHOLDER = "Karin Holm"
EXTRA_PARTICIPANT = "Lise Berg"

DANISH_DATE = re.compile(r"(mandag|tirsdag|onsdag|torsdag|fredag) \d{1,2}\. \w+ \d{4}")
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


def plain(text: str) -> str:
    """Terminal output as the eye reads it: no escape sequences, no carriage returns."""
    return ANSI.sub("", text).replace("\r", "")


def rettidig_bin() -> str:
    found = shutil.which("rettidig")
    if found:
        return found
    candidate = Path(sys.executable).parent / "rettidig"
    if candidate.exists():
        return str(candidate)
    pytest.fail(
        "The `rettidig` console script is not installed (not on PATH and not next to "
        f"{sys.executable}). Install the package first, e.g. `pip install -e .[test]`."
    )


def terminal_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETTIDIG_") or k == "RETTIDIG_TEST_KEYRING"}
    settings = home / "indstillinger.toml"
    if not settings.exists():  # a module-wide walk has its own home: plain, and no first-run question
        home.mkdir(parents=True, exist_ok=True)
        settings.write_text('kryptering = "ingen"\n', encoding="utf-8")
    env.update(
        PROMPT_TOOLKIT_NO_CPR="1", NO_COLOR="1", RETTIDIG_HOME=str(home), TERM="xterm", PAGER="cat",
        COLUMNS="140", LINES="50",
    )
    return env


class Terminal:
    """One run of rettidig in a pseudo-terminal, answering prompts as they appear."""

    def __init__(self, args: list[str], home: Path, cwd: Path):
        self.transcript = io.StringIO()
        self.child = pexpect.spawn(
            rettidig_bin(), args, env=terminal_env(home), cwd=str(cwd), dimensions=(50, 140),
            encoding="utf-8", codec_errors="replace", timeout=TIMEOUT,
        )
        self.child.logfile_read = self.transcript

    def _tail(self) -> str:
        return plain(self.transcript.getvalue())[-2500:]

    def expect(self, text: str) -> None:
        try:
            self.child.expect_exact(text)
        except (pexpect.TIMEOUT, pexpect.EOF) as exc:
            self.child.terminate(force=True)
            pytest.fail(f"Waiting for {text!r} ({exc.__class__.__name__}). Last output:\n{self._tail()}")

    def answer(self, prompt: str, keys: str) -> None:
        self.expect(prompt)
        self.child.send(keys)

    def finish(self) -> int:
        try:
            self.child.expect(pexpect.EOF)
        except pexpect.TIMEOUT:
            self.child.terminate(force=True)
            pytest.fail(f"rettidig did not exit. Last output:\n{self._tail()}")
        self.child.close()
        return self.child.exitstatus

    @property
    def text(self) -> str:
        return plain(self.transcript.getvalue())


def run_in_terminal(args: list[str], home: Path, cwd: Path) -> tuple[int, str]:
    term = Terminal(args, home, cwd)
    return term.finish(), term.text


def run_plain(args: list[str], home: Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([rettidig_bin(), *args], env=terminal_env(home), cwd=cwd, capture_output=True,
                          text=True, timeout=20, stdin=subprocess.DEVNULL)


# ---------------------------------------------------------------- the whole walk, once


@dataclass
class Walk:
    home: Path
    work: Path
    code: str
    exit_status: int
    transcript: str
    due: dt.date


@pytest.fixture(scope="module")
def walk(tmp_path_factory) -> Walk:
    base = tmp_path_factory.mktemp("e2e")
    home, work = base / "home", base / "elsewhere"
    work.mkdir()
    due = dt.date.today() + dt.timedelta(days=14)

    term = Terminal(["new", "--guide", "resen"], home, work)
    # Safety first: "Nej" is highlighted.
    term.answer("Er der mistanke om vold", ENTER)
    # Trin 1
    term.answer("Hvilket barn drejer bekymringen sig om?", CHILD + ENTER)
    term.answer("Aldersgruppe:", DOWN * 3 + ENTER)  # 3-4 år
    term.answer("Tilbud:", DOWN + ENTER)  # Børnehave
    term.answer("Skriv stikord", "Sprog, konflikter i legen" + ENTER)
    term.answer("Hvem er tidlig indsats-koordinator", ENTER)  # optional: skipped
    term.answer("Er forældrene orienteret", ENTER)  # Ja
    term.answer("givet samtykke?", "Mor og far" + ENTER)
    term.answer("Dato:", ENTER)  # today, pre-filled
    term.answer("Hvordan ser forældrene på bekymringen?", "De ser det samme derhjemme" + ENTER)
    term.answer("Vil du tilføje en observation?", ENTER)  # Ja
    term.answer("Dato for observationen:", ENTER)
    term.answer("Hvad så du?", "Peger i stedet for at spørge" + ENTER)
    term.answer("Metode / værktøj:", ENTER)  # TRAS
    term.answer("Hvem observerede?", "Pædagog Ali" + ENTER)
    term.answer("Vil du tilføje en observation mere?", ENTER)  # Nej is the default now
    term.answer("Hvad siger eller viser barnet selv?", ENTER)
    term.answer("børnelinealen", DOWN + ENTER)  # Bekymringsbarn
    term.answer("Begrundelse:", ENTER)
    # Lille eller stor sag
    term.answer("Vil du fortsætte?", ENTER)
    term.answer("Hvad viser iagttagelserne?", "Sproglige vanskeligheder" + ENTER)
    term.answer("Er det en lille sag eller en stor sag?", ENTER)  # Lille sag
    term.expect("Lille sag betyder")
    # Trin 2 – handleplan
    term.answer("Vil du fortsætte?", ENTER)
    term.answer("Vil du tilføje en aftale?", ENTER)
    term.answer("Hvad skal gøres?", "Dialogisk læsning i lille gruppe" + ENTER)
    term.answer("Hvem gør det?", "Pædagog Ali" + ENTER)
    term.answer("Senest hvornår?", f"{due.day}-{due.month}-{due.year}" + ENTER)
    term.answer("Vil du tilføje en aftale mere?", ENTER)
    term.answer("Hvem er tovholder på sagen?", TOVHOLDER + ENTER)
    term.answer("Tovholderens rolle:", "pædagog" + ENTER)
    term.answer("Aftal statusmødedatoer", DOWN + ENTER)  # every 8 weeks instead of 6
    term.answer("Hvor mange statusmøder", ENTER)  # 3
    term.answer("Dato for det første statusmøde:", ENTER)  # today + 8 weeks
    term.answer("Klokkeslæt:", ENTER)  # 14:00
    term.answer("Hvem deltager?", f"Forældre, {TOVHOLDER}, {EXTRA_PARTICIPANT}" + ENTER)  # over "Forældre, Karin Holm"
    term.answer("Passer datoerne?", ENTER)
    term.answer("Har forældrene underskrevet handleplanen?", ENTER)  # Ja
    term.answer("givet samtykke?", ENTER)
    term.answer("Dato:", ENTER)
    term.expect("Alle faser i guiden er gennemgået")
    status = term.finish()
    transcript = term.text
    match = re.search(r"Ny sag: (RT-\d{4}-\d{3})", transcript)
    assert match, transcript[:2000]
    return Walk(home, work, match.group(1), status, transcript, due)


def test_wizard_walk_in_a_terminal_completes(walk):
    assert walk.exit_status == 0, walk.transcript[-2000:]
    assert walk.code == f"RT-{dt.date.today().year}-001"
    assert "Traceback" not in walk.transcript
    assert f"rettidig plan {walk.code}" in walk.transcript
    # The data stays private: folder 0700, file 0600.
    db = walk.home / "rettidig.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(walk.home.stat().st_mode) == 0o700
    # Nothing is written to the folder the user happened to stand in.
    assert list(walk.work.iterdir()) == []


def test_plan_in_a_terminal_shows_tovholder_and_danish_meeting_dates(walk):
    status, output = run_in_terminal(["plan", walk.code], walk.home, walk.work)
    assert status == 0, output
    assert "Traceback" not in output
    assert f"Sag {walk.code} · Handleplan" in output
    assert f"Tovholder: {TOVHOLDER} (pædagog)" in output
    assert f"Barn: {CHILD}" in output
    assert "Alle faser er gennemgået" in output

    data = json.loads(run_plain(["plan", walk.code, "--json"], walk.home, walk.work).stdout)
    assert data["faerdig"] is True
    assert data["tovholder"]["navn"] == TOVHOLDER
    assert data["barn"] == {"navn": CHILD, "aldersgruppe": "3-4 år", "tilbud": "Børnehave", "anonym": False}
    assert data["placering"]["id"] == "bekymring"
    assert [a["senest"] for a in data["aftaler"]] == [walk.due.isoformat()]
    assert data["foraeldre"]["underskrift"]["svar"] == "ja"

    meetings = data["statusmoeder"]
    assert len(meetings) == 3
    today = dt.date.today()
    for number, meeting in enumerate(meetings):
        day = dt.date.fromisoformat(meeting["dato"])
        nominal = today + dt.timedelta(weeks=8 * (number + 1))  # "Hver 8. uge" from today + 8 weeks
        assert nominal <= day <= nominal + dt.timedelta(days=5), (number, day, nominal)
        assert day.weekday() < 5
        assert meeting["tidspunkt"] == "14:00"
        assert meeting["deltagere"] == ["Forældre", TOVHOLDER, EXTRA_PARTICIPANT]

    # Each meeting is printed in Danish form ("man. 1. feb. 2027"), in the status-meeting table.
    from rettidig_cli.domain import dates

    section = output[output.index("Statusmøder"):]
    for meeting in meetings:
        assert dates.format_compact(dt.date.fromisoformat(meeting["dato"])) in section, (section, meeting)
    assert "kl. 14.00" in section
    assert EXTRA_PARTICIPANT in section


def test_export_writes_a_private_file_without_the_childs_name(walk):
    result = run_plain(["export", walk.code, "--format", "markdown"], walk.home, walk.work)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    files = list(walk.work.glob("handleplan-*.md"))
    assert len(files) == 1, list(walk.work.iterdir())
    exported = files[0]
    assert exported.name == f"handleplan-{walk.code}-{dt.date.today().isoformat()}.md"
    assert CHILD.lower() not in exported.name.lower()
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600
    content = exported.read_text(encoding="utf-8")
    assert TOVHOLDER in content
    assert walk.code in content
    assert DANISH_DATE.search(content)
    # No temporary files are left next to it.
    assert [p.name for p in walk.work.iterdir()] == [exported.name]

    # A second export the same day does not silently replace the first.
    again = run_plain(["export", walk.code, "--format", "markdown"], walk.home, walk.work)
    assert again.returncode == 2
    assert "--overskriv" in again.stderr
    assert "Traceback" not in again.stderr


def test_meeting_proposal_table_title_is_danish_plural(walk):
    assert "Forslag til statusmøder" in walk.transcript


# ---------------------------------------------------------------- Ctrl-C and resume


def test_ctrl_c_keeps_answers_and_resume_continues_where_it_stopped(tmp_path):
    home, work = tmp_path / "home", tmp_path / "elsewhere"
    work.mkdir()
    term = Terminal(["new", "--guide", "resen"], home, work)
    term.answer("Er der mistanke om vold", ENTER)
    term.answer("Hvilket barn drejer bekymringen sig om?", CHILD + ENTER)
    term.answer("Aldersgruppe:", ENTER)
    term.answer("Tilbud:", ENTER)
    term.answer("Skriv stikord", CTRL_C)
    status = term.finish()
    output = term.text
    assert status == 130, output[-2000:]
    assert "Traceback" not in output
    code = re.search(r"Ny sag: (RT-\d{4}-\d{3})", output).group(1)
    assert "Afbrudt" in output
    assert f"rettidig resume {code}" in " ".join(output.split())

    data = json.loads(run_plain(["plan", code, "--json"], home, work).stdout)
    assert data["barn"]["navn"] == CHILD
    assert data["faerdig"] is False

    # resume asks neither the safety question nor for the child again.
    term = Terminal(["resume", code], home, work)
    term.expect("Fortsætter sag")  # the code itself is printed in bold, i.e. between escapes
    term.answer("Skriv stikord", CTRL_C)
    assert term.finish() == 130
    assert f"Fortsætter sag {code}." in term.text
    assert "Er der mistanke" not in term.text
    assert "Hvilket barn" not in term.text


# ---------------------------------------------------------------- no terminal


def test_new_without_a_terminal_points_to_answers_file(tmp_path):
    home = tmp_path / "home"
    result = subprocess.run(
        [rettidig_bin(), "new"], env=terminal_env(home), cwd=tmp_path, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=20,
    )
    assert result.returncode != 0
    both = result.stdout + result.stderr
    assert "Traceback" not in both
    assert "--answers" in result.stderr
    assert "terminal" in result.stderr  # "... skal derfor køres i en terminal."
    assert "rettidig stiller spørgsmål" in " ".join(result.stderr.split())
    # Nothing was asked, so nothing is created.
    assert not (home / "rettidig.db").exists()
