"""One cleaning function at the output boundary (rettidig_cli.ui.output): every text that reaches a
terminal or a file goes through privacy.printable, whatever its source.

Hostile strings are put straight into the data file (past every input check, as another program
or an older version could), into $USER and $LOGNAME, and into file names, and no terminal escape
(ESC, the 8-bit CSI \\x9b, an OSC 52 clipboard write ended by BEL) and no bidi control (U+202E,
U+061C, U+2066) may come out of any command's stdout or stderr, nor out of any exported file."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from conftest import EXAMPLES, execute, query

from rettidig_cli.domain import privacy

OSC52 = "\x1b]52;c;aGVq\x07"  # writes "hej" to the clipboard of the terminal that shows it
HOSTILE = f"{OSC52}\x1b[2J\x9b31m\u202e\u061c\u2066"
BAD = {"ESC": "\x1b", "8-bit CSI": "\x9b", "BEL (end of OSC 52)": "\x07", "U+202E": "\u202e",
       "U+061C": "\u061c", "U+2066": "\u2066"}
CHILD = "Idamarie"  # the text around the hostile part, so a test can see the field was shown


# ---------------------------------------------------------------- helpers


def found_bad(text: str) -> list[str]:
    return [name for name, char in BAD.items() if char in text]


def run(cli, *args: str):
    result = cli(list(args))
    assert result.code == 0, f"{args}: exit {result.code}\nout: {result.out}\nerr: {result.err}"
    assert "Traceback" not in result.out + result.err
    return result


def leaks(outputs: dict[str, str]) -> dict[str, list[str]]:
    """{output's name: the hostile characters found in it} for every output that is not clean."""
    return {name: bad for name, text in outputs.items() if (bad := found_bad(text))}


def new_case(cli) -> str:
    made = run(cli, "new", "--guide", "resen", "--answers", str(EXAMPLES / "resen-svar.toml"))
    return re.search(r"Ny sag: (RT-\d{4}-\d{3})", made.out).group(1)


def poison(home: Path, code: str) -> None:
    """Hostile text in the case's fields, its answers and its audit rows, written past the product."""
    case_id = query(home, "SELECT id FROM cases WHERE code = ?", (code,))[0]["id"]
    bad = f"{CHILD}{HOSTILE}"
    execute(home, "UPDATE cases SET child_name = ?, age_group = ?, setting = ? WHERE id = ?",
            (bad, f"3-5 år{HOSTILE}", f"Børnehave{HOSTILE}", case_id))
    for row in query(home, "SELECT id, value FROM answers WHERE case_id = ?", (case_id,)):
        if isinstance(json.loads(row["value"]), str):
            execute(home, "UPDATE answers SET value = ? WHERE id = ?", (json.dumps(f"Svar{HOSTILE}"), row["id"]))
    execute(home, "UPDATE agreements SET what = ?, who = ? WHERE case_id = ?",
            (f"Aftale{HOSTILE}", f"Leder{HOSTILE}", case_id))
    execute(home, "UPDATE tovholders SET name = ?, role = ? WHERE case_id = ?",
            (f"Tovholder{HOSTILE}", f"leder{HOSTILE}", case_id))
    execute(home, "UPDATE meetings SET participants = ? WHERE case_id = ?",
            (json.dumps(["Forældre", f"Deltager{HOSTILE}"]), case_id))
    execute(home, "UPDATE observations SET what = ?, observer = ? WHERE case_id = ?",
            (f"Observation{HOSTILE}", f"Pædagog{HOSTILE}", case_id))
    execute(home, "UPDATE audit_log SET os_user = ?, purpose = ?, detail = ? WHERE case_code = ?",
            (f"anna{HOSTILE}", f"plan{HOSTILE}", f"detalje{HOSTILE}", code))


@pytest.fixture
def hostile(cli, data_home, monkeypatch) -> str:
    """A case with hostile text everywhere, and a hostile user name in the environment."""
    code = new_case(cli)
    poison(data_home, code)
    monkeypatch.setenv("USER", f"anna{HOSTILE}")
    monkeypatch.setenv("LOGNAME", f"anna{HOSTILE}")
    return code


def make_unreadable(home: Path, code: str) -> str:
    """A case whose plan cannot be built (a value no version wrote), with a hostile code: `list`
    then shows the line of an unreadable case, made from the case row itself, not from a plan.
    Returns the code's readable part."""
    case_id = query(home, "SELECT id FROM cases WHERE code = ?", (code,))[0]["id"]
    execute(home, "UPDATE meetings SET participants = 'ikke json' WHERE case_id = ?", (case_id,))
    execute(home, "UPDATE cases SET code = ? WHERE id = ?", (code + HOSTILE, case_id))
    return code


# ---------------------------------------------------------------- the mechanism itself


def test_the_console_cleans_every_text_segment_but_keeps_its_own_styles():
    import io

    from rich.style import Style
    from rich.text import Text

    from rettidig_cli.ui import output

    buffer = io.StringIO()
    console = output.CleanConsole(file=buffer, force_terminal=True, color_system="standard", no_color=False,
                                  highlight=False)
    console.print(Text.assemble(("Rød", "bold red"), f" {HOSTILE}slut"))
    # A link is written by rich inside an OSC 8 sequence: an ESC or BEL in it would end that early.
    console.print(Text("lenke", style=Style(link=f"https://example.org/{OSC52}")))
    written = buffer.getvalue()
    assert "Rød" in written and "slut" in written and "lenke" in written
    assert "\x1b[1;31m" in written  # rich's own style code is written as before
    assert "\x1b]8;" in written  # and so is its own link sequence
    assert "\x9b" not in written and "\u202e" not in written and "]52;" not in written and "\x07" not in written


def test_both_consoles_are_the_cleaning_console():
    from rettidig_cli.commands import common as cli_common
    from rettidig_cli.ui import output, prompts

    assert isinstance(prompts.console, output.CleanConsole)
    assert isinstance(cli_common.out_console(), output.CleanConsole)
    assert isinstance(cli_common.out_console(stderr=True), output.CleanConsole)


def test_json_text_cleans_values_and_keys_and_keeps_the_rest():
    from rettidig_cli.ui import output

    data = {f"nøgle{HOSTILE}": [f"værdi{HOSTILE}", 3, None, True, {"x": f"\u202e{OSC52}"}], "linje": "a\nb\tc"}
    text = output.json_text(data)
    assert not found_bad(text)
    clean = privacy.printable
    assert json.loads(text) == {clean(f"nøgle{HOSTILE}"): [clean(f"værdi{HOSTILE}"), 3, None, True, {"x": ""}],
                                "linje": "a\nb\tc"}


# ---------------------------------------------------------------- terminals


def test_no_command_prints_hostile_text_from_the_data_file_or_the_environment(cli, hostile, data_home):
    code = hostile
    other = new_case(cli)
    poison(data_home, other)
    make_unreadable(data_home, other)
    outputs = {}
    for args in (["plan", code], ["plan", code, "--json"], ["list"], ["list", "--json"], ["historik", code],
                 ["historik", code, "--json"], ["indsigt", code], ["indsigt", code, "--json"], ["guide", "list"]):
        result = run(cli, *args)
        outputs[" ".join(args) + " (stdout)"] = result.out
        outputs[" ".join(args) + " (stderr)"] = result.err
    assert leaks(outputs) == {}
    # The fields were shown (cleaned), not dropped.
    assert CHILD in outputs[f"plan {code} (stdout)"]
    assert "anna" in outputs[f"indsigt {code} --json (stdout)"]
    assert other in outputs["list (stdout)"]


def test_a_hostile_file_name_never_reaches_the_terminal(cli, data_home):
    """File names are text from outside as well: doctor names a broken backup in the backup folder
    (put there by another program), and guide list a guide file by its name."""
    new_case(cli)
    folder = data_home / "sikkerhedskopier"
    folder.mkdir(mode=0o700)
    broken = folder / f"kopi{OSC52}\u202e{HOSTILE}.db"
    broken.write_bytes(b"ikke en database")
    broken.chmod(0o600)
    guides = data_home / "guides"
    guides.mkdir()
    text = (EXAMPLES.parent / "data" / "guides" / "resen.toml").read_text(encoding="utf-8")
    (guides / f"fjendtlig{OSC52}\u2066.toml").write_text(text.replace('id = "resen"', 'id = "fjendtlig"', 1),
                                                          encoding="utf-8")
    outputs = {}
    for args in (["doctor"], ["guide", "list"]):
        result = cli(args)  # doctor exits 1: the broken backup is an error
        assert "Traceback" not in result.out + result.err
        outputs[" ".join(args) + " (stdout)"] = result.out
        outputs[" ".join(args) + " (stderr)"] = result.err
    assert leaks(outputs) == {}
    assert "kopi" in outputs["doctor (stdout)"]  # named, cleaned


# ---------------------------------------------------------------- files


def docx_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "\n".join(z.read(name).decode("utf-8") for name in z.namelist() if name.endswith(".xml"))


class Plain:
    def text(self, value):
        return value


def test_every_export_file_is_clean(cli, hostile, tmp_path):
    """Through the command, every format: nothing hostile in the files. And each exporter cleans at
    the point of writing what it is handed (a new field, a new purpose), not only because
    plan.build cleaned the case's text first."""
    import datetime as dt

    from rettidig_cli.export import ics, markdown, word

    code = hostile
    folder = tmp_path / "ud"
    folder.mkdir()
    written = {}
    for purpose, fmt in (("handleplan", "markdown"), ("handleplan", "docx"), ("handleplan", "csv"),
                         ("handleplan", "ics"), ("handleplan", "json"), ("anonym", "markdown"),
                         ("anonym", "json")):
        path = folder / f"{purpose}-{fmt}"
        result = run(cli, "export", code, "--til", purpose, "--format", fmt, "--out", str(path),
                     *(["--ja"] if purpose == "anonym" else []))
        written[f"{purpose}/{fmt} (terminal)"] = result.out + result.err
        written[f"{purpose}/{fmt}"] = docx_xml(path) if fmt == "docx" else path.read_bytes().decode("utf-8")
    assert "Svar" in written["handleplan/markdown"] and "Svar" in written["handleplan/docx"]  # shown, cleaned

    doc = {"titel": f"Titel{HOSTILE}", "hoved": f"RT-2026-001{HOSTILE}", "undertitel": f"Under{HOSTILE}",
           "indledning": f"Indledning{HOSTILE}", "felter": [[f"Felt{HOSTILE}", f"Værdi{HOSTILE}"]],
           "afsnit": [{"overskrift": f"Afsnit{HOSTILE}", "blokke": [
               {"type": "afsnit", "tekst": f"Tekst{HOSTILE}"},
               {"type": "punkter", "punkter": [f"Punkt{HOSTILE}"]},
               {"type": "tabel", "kolonner": ["A", "B"], "raekker": [[f"Celle{HOSTILE}", "x"]]}]}],
           "kilde": f"Kilde{HOSTILE}", "anonym": False, "udskrevet": "2026-01-05"}
    written["markdown.document"] = markdown.document(doc)
    (folder / "direkte.docx").write_bytes(word.document(doc))
    written["word.document"] = docx_xml(folder / "direkte.docx")
    from rettidig_cli.views.model import Agreement, Meeting

    meeting = Meeting(nr=1, kind=f"Statusmøde{HOSTILE}", day="2026-02-02", time="14:00",
                      participants=[f"Mor{HOSTILE}"], status="planlagt", moved_from=None, reason="",
                      status_meeting=True, held_on=None, attended=None, parents_present=None, absence_reason="",
                      minutes="", cancel_reason="", changes=0)
    agreement = Agreement(nr=1, what=f"Aftale{HOSTILE}", who=f"Leder{HOSTILE}", due="2026-02-10", status="aftalt",
                          agreed="2026-01-05", history=[], overdue=False)
    written["ics.calendar"] = ics.calendar(f"RT-2026-001{HOSTILE}", [meeting], [agreement], Plain(), 60, 24,
                                           dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)).decode("utf-8")
    assert leaks(written) == {}
    assert "Tekst" in written["markdown.document"] and "Tekst" in written["word.document"]
    assert "Statusmøde" in written["ics.calendar"]


# ---------------------------------------------------------------- a CPR number in a file name

CPR_NAMES = ["290187-4831.md", "ud/290187-4831/plan.md", "2901874831.docx", "plan 29.01.87-4831.md"]
HIDDEN_NAMES = ["plan\u202excod.md", f"plan{OSC52}.md", "plan\u2066.md", "plan\u061c.md"]


def test_an_output_name_with_a_cpr_number_or_a_hidden_character_is_refused(cli, data_home, tmp_path, monkeypatch):
    """`--out 290187-4831.md` wrote a file named with the CPR number while the message said
    «[CPR-nummer fjernet].md». A name is refused, with a usage error and nothing written, if it
    holds a CPR number or a character the output cleaning would remove; an ordinary name is not."""
    code = new_case(cli)
    work = tmp_path / "arbejde"  # not the data folder, whose -wal and -shm come and go
    (work / "ud" / "290187-4831").mkdir(parents=True)
    monkeypatch.chdir(work)
    before = sorted(p.relative_to(work) for p in work.rglob("*"))
    exports = query(data_home, "SELECT count(*) AS n FROM audit_log WHERE action = 'eksport'")[0]["n"]
    for name in CPR_NAMES + HIDDEN_NAMES:
        result = cli(["export", code, "--out", name])
        assert result.code == 2, (name, result.code, result.out, result.err)  # errors.UsageError
        message = " ".join(result.err.split())
        assert "Intet er skrevet" in message, (name, message)
        if name in CPR_NAMES:
            assert "CPR-nummer" in message and "--out" in message, (name, message)
            assert "290187" not in result.out + result.err  # the number itself is never echoed
        else:
            assert "usynlige tegn" in message, (name, message)
            assert not found_bad(result.out + result.err)
    assert sorted(p.relative_to(work) for p in work.rglob("*")) == before
    assert query(data_home, "SELECT count(*) AS n FROM audit_log WHERE action = 'eksport'")[0]["n"] == exports
    # Digits that are a date, not a CPR number, are an ordinary name.
    run(cli, "export", code, "--out", "handleplan-2026-01-05.md")
    assert (work / "handleplan-2026-01-05.md").exists()
