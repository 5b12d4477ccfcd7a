"""Bad input that used to end in "uventet fejl" (exit 70) or hang: each now ends within a moment in
a Danish message and a documented exit code, nothing saved is lost, and a case that cannot be
shown never takes the morning overview (`rettidig list`) down for the other cases.

The limits live in data/limits.toml (read by rettidig_cli/guide/reference.py); these tests read them
from there rather than repeating the numbers. Found and fixed (each test failed before the fix):

1. a guide nested deeper than Python's recursion limit (RecursionError in tomllib);
2. a guide with a huge observations_days: the case was created, and then `list` and `plan`
   crashed (OverflowError) until it was deleted; the same for a snapshot stored by an older
   version with a huge or too deeply nested guide;
3. a date in year 9999 (or 1900) was accepted from flags and answers files, and then the
   calendar export crashed; a date like that stored in the file crashed plan and export;
4. a guide with a 10 MB text or 100,000 steps took a minute (or more) before anything happened;
5. further: `oprydning --lukkede-efter 1000000000000` and the same period in indstillinger.toml
   (which also took `list` down), `list --fase ²` or a 5000-digit phase number, an agreement
   number "²" answered in English, a guide's default_time or default_count that only failed when
   the user answered (blaming the user's answers), a guide with a number of 5000 digits (a
   ValueError that is not a TOMLDecodeError), and guides over the text/list/step/phase/option
   limits.

The slow cases run the installed command in a subprocess with a generous timeout (20 s), so a
regression fails instead of hanging the test run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT, db_file, query, raw_connect

RESEN = ROOT / "data" / "guides" / "resen.toml"
RESEN_ANSWERS = EXAMPLES / "resen-svar.toml"
LIMITS = tomllib.loads((ROOT / "data" / "limits.toml").read_text(encoding="utf-8"))
DOCUMENTED_CODES = {0, 1, 2, 3, 4, 5, 6, 75, 130}


def resen_text(new_id: str = "testby") -> str:
    text = RESEN.read_text(encoding="utf-8")
    return text.replace('id = "resen"', f'id = "{new_id}"', 1)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def new_case(cli, guide: str = "resen", child: str = "C.D.") -> str:
    answers = tomllib.loads(RESEN_ANSWERS.read_text(encoding="utf-8"))
    answers["barn"]["navn"] = child
    path = Path(os.environ["RETTIDIG_HOME"]).parent / f"svar-{child}.json"
    path.write_text(json.dumps(answers, ensure_ascii=False, default=str), encoding="utf-8")
    result = cli(["new", "--guide", guide, "--answers", str(path)])
    assert result.code == 0, result.err
    return re.search(r"Ny sag: (RT-\d{4}-\d{3})", result.out).group(1)


def codes(data_home) -> list[str]:
    return [r["code"] for r in query(data_home, "SELECT code FROM cases ORDER BY code")]


def saved(data_home) -> dict[str, int]:
    """How many rows each case table holds: to show that a refused command lost nothing."""
    tables = ("cases", "answers", "agreements", "observations", "meetings", "guides")
    return {t: query(data_home, f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in tables}


def execute(data_home, sql: str, params: tuple = ()) -> None:
    """Change the data file behind the product's back (as an older version or a hand edit would)."""
    conn = raw_connect(db_file(data_home), dicts=False)
    try:
        conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


def assert_danish_failure(result, code: int, *phrases: str) -> None:
    assert result.code == code, (result.code, result.out, result.err)
    assert "uventet fejl" not in result.err and "Traceback" not in result.err + result.out
    for phrase in phrases:
        assert phrase in result.err, (phrase, result.err)


@dataclass
class Run:
    code: int
    out: str
    err: str


def run(args: list[str], timeout: float = 20) -> Run:
    """The installed command in its own process; a hang fails the test after `timeout` seconds."""
    try:
        done = subprocess.run([sys.executable, "-m", "rettidig_cli", *args], capture_output=True, text=True,
                              timeout=timeout, env=os.environ.copy(), stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"rettidig {' '.join(a[:40] for a in args)} svarede ikke inden for {timeout} s")
    return Run(done.returncode, done.stdout, done.stderr)


# ================================================================ 1. nesting


@pytest.mark.parametrize("depth", [100_000, LIMITS["guide"]["max_depth"] + 5], ids=["rekursion", "over-graensen"])
def test_a_guide_nested_too_deep_is_refused(cli, tmp_path, data_home, depth):
    code = new_case(cli)
    before = saved(data_home)
    path = write(tmp_path / "dyb.toml", resen_text() + "\nekstra = " + "[" * depth + "]" * depth + "\n")
    assert_danish_failure(cli(["guide", "show", str(path)]), 3, str(path), "for mange lag")
    assert_danish_failure(cli(["new", "--guide", str(path), "--answers", str(RESEN_ANSWERS)]), 3, "for mange lag")
    assert saved(data_home) == before
    assert cli(["plan", code]).code == 0


# ================================================================ 2. huge numbers in a guide


def test_a_huge_observation_deadline_is_refused_before_a_case_exists(cli, tmp_path, data_home):
    code = new_case(cli)
    before = saved(data_home)
    path = write(tmp_path / "frist.toml", resen_text().replace("observations_months = 1",
                                                               "observations_days = 1000000000000", 1))
    deadlines = LIMITS["guide"]["deadlines"]
    low, high = deadlines["observations_days_min"], deadlines["observations_days_max"]
    result = cli(["new", "--guide", str(path), "--answers", str(RESEN_ANSWERS)])
    assert_danish_failure(result, 3, "deadlines.observations_days", f"fra {low} til {high}")
    assert saved(data_home) == before
    listing = cli(["list"])
    assert listing.code == 0 and code in listing.out


SNAPSHOTS = {
    # Written by an older version that had no limits, or by hand: the case's own copy of its guide.
    "enorm-frist": lambda t: t.replace("observations_months = 1", "observations_days = 1000000000000", 1),
    "for-dyb": lambda t: t + "\nekstra = " + "[" * 100_000 + "]" * 100_000 + "\n",
    "for-stor": lambda t: t.replace('message = "Skriv stikord på, hvad bekymringen går ud på."',
                                    f'message = "{"x" * (LIMITS["guide"]["max_file_bytes"] + 10)}"', 1),
}


@pytest.mark.parametrize("change", SNAPSHOTS, ids=list(SNAPSHOTS))
def test_a_case_with_a_bad_guide_snapshot_never_takes_the_overview_down(cli, tmp_path, data_home, change):
    good = new_case(cli, child="A.A.")
    guide = write(tmp_path / "testby.toml", resen_text())
    bad = new_case(cli, guide=str(guide), child="Q.Z.")
    sha = query(data_home, "SELECT guide_sha FROM cases WHERE code = ?", (bad,))[0]["guide_sha"]
    execute(data_home, "UPDATE guides SET toml = ? WHERE sha = ?", (SNAPSHOTS[change](resen_text()), sha))
    before = saved(data_home)

    listing = cli(["list"])
    assert listing.code == 0, listing.err
    assert good in listing.out and "A.A." in listing.out  # the other case as usual
    assert bad in listing.out and "Kan ikke vises" in listing.out
    assert "Q.Z." not in listing.out  # the line of the case that cannot be shown names no child

    rows = {r["kode"]: r for r in json.loads(cli(["list", "--json"]).out)}
    assert rows[good]["barn"] == "A.A." and rows[good]["niveau_navn"] != "kan ikke vises"
    assert rows[bad]["niveau_navn"] == "kan ikke vises" and "Q.Z." not in json.dumps(rows[bad], ensure_ascii=False)
    assert rows[bad]["kan_ikke_vises"]

    assert_danish_failure(cli(["plan", bad]), 3, bad, "kan ikke vises")
    assert cli(["plan", good]).code == 0
    assert saved(data_home) == before


# ================================================================ 3. dates outside the plausible range


@pytest.mark.parametrize("day", ["31-12-9999", "9999-12-31", "1-1-1900", "1-1-0026"])
def test_an_implausible_date_from_a_flag_is_refused(cli, data_home, day):
    code = new_case(cli)
    before = saved(data_home)
    result = cli(["aftale", "ny", code, "--hvad", "Læse højt", "--hvem", "Ali", "--senest", day])
    assert_danish_failure(result, 2, "uden for det mulige", f"1. jan. {LIMITS['dates']['earliest_year']}")
    result = cli(["observation", code, "--hvad", "Græder", "--dato", day])
    assert_danish_failure(result, 2, "uden for det mulige")
    assert saved(data_home) == before
    assert cli(["export", code, "-f", "ics", "-o", str(data_home.parent / "k.ics")]).code == 0


def test_an_implausible_date_in_an_answers_file_is_refused(cli, tmp_path, data_home):
    code = new_case(cli)
    before = saved(data_home)
    text = RESEN_ANSWERS.read_text(encoding="utf-8")
    for changed in (text.replace('senest = "2026-12-11"', "senest = 9999-12-31", 1),  # a TOML date
                    text.replace('dato = "2026-11-18"', 'dato = "31-12-9999"', 1),
                    text.replace('start = "2026-12-10"', 'start = "1-12-9999"', 1)):
        assert changed != text
        path = write(tmp_path / "svar.toml", changed)
        assert_danish_failure(cli(["new", "--guide", "resen", "--answers", str(path)]), 2, "uden for det mulige")
    assert saved(data_home) == before
    assert codes(data_home) == [code]


def test_implausible_dates_stored_in_the_file_do_not_break_plan_list_or_export(cli, data_home):
    code = new_case(cli)
    other = new_case(cli, child="B.B.")
    case_id = query(data_home, "SELECT id FROM cases WHERE code = ?", (code,))[0]["id"]
    for sql in ("UPDATE agreements SET due = '9999-12-31' WHERE case_id = ?",
                "UPDATE meetings SET day = '9999-12-31' WHERE case_id = ?",
                "UPDATE observations SET observed_on = '0001-01-01' WHERE case_id = ?",
                "UPDATE cases SET created_at = '9999-12-31T10:00:00+00:00' WHERE id = ?"):
        execute(data_home, sql, (case_id,))
    before = saved(data_home)

    assert cli(["plan", code]).code == 0
    assert json.loads(cli(["plan", code, "--json"]).out)["aftaler"][0]["senest"] == "9999-12-31"
    listing = cli(["list"])
    assert listing.code == 0 and code in listing.out and other in listing.out
    out = data_home.parent
    ics = cli(["export", code, "-f", "ics", "-o", str(out / "k.ics")])
    assert ics.code == 0, ics.err
    calendar = (out / "k.ics").read_text(encoding="utf-8")
    assert "99991231" in calendar and calendar.count("BEGIN:VEVENT") >= 3
    for fmt in ("docx", "markdown", "json", "csv"):
        result = cli(["export", code, "-f", fmt, "-o", str(out / f"k.{fmt}")])
        assert result.code == 0, (fmt, result.err)
    assert saved(data_home) == before


def test_a_date_that_is_not_a_date_in_the_file_is_one_unreadable_case(cli, data_home):
    code = new_case(cli)
    other = new_case(cli, child="B.B.")
    execute(data_home, "UPDATE agreements SET due = '31-12-9999' WHERE case_id = "
                       "(SELECT id FROM cases WHERE code = ?)", (code,))
    listing = cli(["list"])
    assert listing.code == 0 and other in listing.out and "Kan ikke vises" in listing.out
    assert_danish_failure(cli(["plan", code]), 4, code, "kan ikke vises")


# ================================================================ 4. huge guides


@pytest.fixture(scope="module")
def huge_guides(tmp_path_factory) -> dict[str, Path]:
    """A guide with a 10 MB text and one with 100,000 steps, written once for the module."""
    folder = tmp_path_factory.mktemp("store-guides")
    text = resen_text()
    big = folder / "stor-tekst.toml"
    big.write_text(text.replace('message = "Skriv stikord på, hvad bekymringen går ud på."',
                                'message = "' + "x" * 10_000_000 + '"', 1), encoding="utf-8")
    many = folder / "mange-trin.toml"
    steps = "".join(f'[[phases.steps]]\nid = "s{i}"\nkind = "text"\nrequired = false\nmessage = "m"\n'
                    for i in range(100_000))
    many.write_text(text + '\n[[phases]]\nid = "ekstra"\ntitle = "Ekstra"\n' + steps, encoding="utf-8")
    return {"stor-tekst": big, "mange-trin": many}


@pytest.mark.parametrize("name", ["stor-tekst", "mange-trin"])
def test_a_huge_guide_is_refused_at_once(cli, data_home, huge_guides, name):
    new_case(cli)  # something saved, which the refusal must leave as it was
    before = saved(data_home)
    path = huge_guides[name]
    for args in (["guide", "show", str(path)], ["new", "--guide", str(path), "--answers", str(RESEN_ANSWERS)]):
        result = run(args)
        assert_danish_failure(result, 3, "for stor", f"{LIMITS['guide']['max_file_bytes']:,}".replace(",", "."))
    assert saved(data_home) == before
    assert run(["list"]).code == 0


def _many_steps(t: str, n: int, per_phase: int = 50) -> str:
    """n more steps, in phases of per_phase steps (each phase's list within the list limit)."""
    for i in range(n):
        if i % per_phase == 0:
            t += f'\n[[phases]]\nid = "ekstra{i}"\ntitle = "Ekstra"\n'
        t += f'[[phases.steps]]\nid = "s{i}"\nkind = "text"\nrequired = false\nmessage = "m"\n'
    return t


G = LIMITS["guide"]
UNDER_THE_FILE_LIMIT = {
    "lang-tekst": (lambda t: t.replace('message = "Skriv stikord på, hvad bekymringen går ud på."',
                                       f'message = "{"x" * (G["max_text_length"] + 1)}"', 1),
                   "message", f"højst {G['max_text_length']}"),
    "mange-trin": (lambda t: _many_steps(t, G["max_steps"]), "phases.steps", f"højst {G['max_steps']}"),
    "mange-faser": (lambda t: t + "".join(f'\n[[phases]]\nid = "f{i}"\ntitle = "F"\n' for i in range(G["max_phases"])),
                    "phases", f"højst {G['max_phases']}"),
    "mange-valg": (lambda t: t.replace('[[phases.steps.options]]', "".join(
        f'[[phases.steps.options]]\nid = "v{i}"\nlabel = "V"\n\n' for i in range(G["max_options"])) +
        '[[phases.steps.options]]', 1), "options", f"højst {G['max_options']}"),
    "lang-liste": (lambda t: t.replace("tools = [", "tools = [" + '"x", ' * G["max_list_items"], 1),
                   "tools", f"højst {G['max_list_items']}"),
    "antal-moeder": (lambda t: t.replace("default_count = 3", "default_count = 1000000000000", 1),
                     "meetings.default_count", f"til {G['meetings']['count_max']}"),
    "klokkeslaet": (lambda t: t.replace('default_time = "14:00"', 'default_time = "99:99"', 1),
                    "meetings.default_time", "klokkeslæt"),
}


@pytest.mark.parametrize("change", UNDER_THE_FILE_LIMIT, ids=list(UNDER_THE_FILE_LIMIT))
def test_a_guide_over_a_limit_names_the_key_and_the_limit(cli, tmp_path, data_home, change):
    code = new_case(cli)
    before = saved(data_home)
    alter, key, expected = UNDER_THE_FILE_LIMIT[change]
    text = alter(resen_text())
    assert text != resen_text()
    path = write(tmp_path / "over.toml", text)
    assert path.stat().st_size <= G["max_file_bytes"]
    assert_danish_failure(cli(["guide", "show", str(path)]), 3, str(path), key, expected)
    assert_danish_failure(cli(["new", "--guide", str(path), "--answers", str(RESEN_ANSWERS)]), 3, key)
    assert saved(data_home) == before
    assert cli(["plan", code]).code == 0


# ================================================================ 5. further faults of the same kind


def test_a_guide_with_a_number_of_thousands_of_digits_is_refused(cli, tmp_path, data_home):
    code = new_case(cli)
    before = saved(data_home)
    path = write(tmp_path / "tal.toml", resen_text().replace("observations_months = 1",
                                                             "observations_days = " + "9" * 5000, 1))
    assert_danish_failure(cli(["guide", "show", str(path)]), 3, str(path), "ikke gyldig TOML")
    assert_danish_failure(cli(["new", "--guide", str(path), "--answers", str(RESEN_ANSWERS)]), 3, "ikke gyldig TOML")
    assert saved(data_home) == before and codes(data_home) == [code]


@pytest.mark.parametrize("flag", ["--lukkede-efter", "--log-efter"])
def test_a_huge_retention_period_is_nothing_to_clean_up(cli, data_home, flag):
    code = new_case(cli)
    before = saved(data_home)
    result = cli(["oprydning", flag, "1000000000000", "--ja"])
    assert result.code == 0, result.err
    assert "Intet at rydde op" in result.out
    assert saved(data_home) == before and codes(data_home) == [code]


def test_a_huge_retention_period_in_the_settings_does_not_take_the_overview_down(cli, data_home):
    code = new_case(cli)
    settings = data_home / "indstillinger.toml"
    settings.write_text(settings.read_text(encoding="utf-8") + "lukkede_sager_maaneder = 1000000000000\n"
                        "log_maaneder = 1000000000000\n", encoding="utf-8")
    listing = cli(["list"])
    assert listing.code == 0, listing.err
    assert code in listing.out


@pytest.mark.parametrize("phase", ["²", "9" * 5000])
def test_an_odd_phase_number_filter_is_just_no_match(cli, data_home, phase):
    new_case(cli)
    result = cli(["list", "--fase", phase])
    assert result.code == 0, result.err
    assert "Der er ingen sager, der passer" in result.out


@pytest.mark.parametrize("number", ["²", "9" * 5000])
def test_an_odd_agreement_number_is_answered_in_danish(cli, data_home, number):
    code = new_case(cli)
    before = saved(data_home)
    result = cli(["aftale", "status", code, number, "--status", "udført"])
    assert_danish_failure(result, 2, "skal være et helt tal fra 1 til")
    assert "invalid literal" not in result.err and "Exceeds" not in result.err
    assert saved(data_home) == before
