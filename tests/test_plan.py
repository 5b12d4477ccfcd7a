import datetime as dt
import json
import stat
import subprocess
import sys

import pytest

from rettidig_cli.views import plan as plans
from rettidig_cli.storage.store import Store

from conftest import EXAMPLES, ROOT
from helpers import plan_json


def new_case(cli, guide, answers):
    result = cli(["new", "--guide", guide, "--answers", str(answers)])
    assert result.code == 0, result.err
    return result.out.split("Ny sag: ")[1].split()[0]


def test_plan_has_every_part_of_a_handleplan(cli):
    code = new_case(cli, "ikast", EXAMPLES / "ikast-svar.toml")
    plan = plan_json(cli, code)
    assert plan["barn"] == {"navn": "A.B.", "aldersgruppe": "3-4 år", "tilbud": "Børnehave", "anonym": False}
    assert plan["tovholder"] == {"navn": "Mette Hansen", "rolle": "pædagog"}
    assert plan["faerdig"] is True
    assert len(plan["observationer"]) == 2 and plan["observationer"][0]["metode"]
    assert [a["hvem"] for a in plan["aftaler"]] == ["Stuens pædagoger", "Ressourcepædagog"]
    assert [m["dato"] for m in plan["statusmoeder"]] == ["2026-12-14", "2027-01-25", "2027-03-08"]
    assert plan["foraeldre"]["underskrift"]["svar"] == "ja"
    assert plan["bekymring"] == ["Trækker sig fra legen, græder ved aflevering, sproget står stille."]
    assert plan["sparring"] and "Forældre" in plan["sparring"]


def test_printed_plan_shows_tovholder_and_danish_meeting_dates(cli):
    code = new_case(cli, "ikast", EXAMPLES / "ikast-svar.toml")
    out = cli(["plan", code]).out
    assert "Tovholder: Mette Hansen" in out
    assert "mandag 14. december 2026" in out and "kl. 14.00" in out


def test_overdue_agreements_and_observation_deadline(cli, data_home, monkeypatch):
    code = new_case(cli, "resen", EXAMPLES / "resen-svar.toml")
    store = Store(data_home / "rettidig.db")
    case = store.case(code, log=False)
    later = dt.date.today() + dt.timedelta(days=400)
    plan = plans.as_json(plans.build(store, case, today=later))
    assert any("Dialogisk læsning" in x for x in plan["forsinket"])
    assert any("ikke registreret som holdt" in x for x in plan["forsinket"])
    assert plan["aftaler"][0]["overskredet"] is True


def test_resen_observation_deadline_is_overdue_when_observations_are_missing(cli, data_home):
    answers = data_home.parent / "kort.toml"
    answers.write_text('sikkerhed = false\nstikord = "sprog"\n[barn]\nnavn = "E"\naldersgruppe = "2-3 år"\n'
                       'tilbud = "Vuggestue"\n[foraeldre-orienteret]\nsvar = "ja"\n', encoding="utf-8")
    code = new_case(cli, "resen", answers)
    store = Store(data_home / "rettidig.db")
    case = store.case(code, log=False)
    assert plans.build(store, case).overdue() == []
    late = plans.as_json(plans.build(store, case, today=dt.date.today() + dt.timedelta(days=32)))
    assert any("Iagttagelserne skulle have ligget klar" in x for x in late["forsinket"])
    listed = json.loads(cli(["list", "--json"]).out)
    assert listed[0]["kode"] == code and listed[0]["fase"].startswith("1/3")


def test_abuse_path_plan_has_underretning_and_no_parent_contact(cli, data_home):
    answers = data_home.parent / "vold.toml"
    answers.write_text(
        'bekymring = "Blå mærker på overarmen"\n'
        '[sikkerhed]\nmistanke = true\n[sikkerhed.underretning]\ndato = "i dag"\nleder_informeret = true\n'
        '[barn]\nnavn = "F"\naldersgruppe = "4-5 år"\ntilbud = "Børnehave"\n', encoding="utf-8")
    code = new_case(cli, "ikast", answers)
    plan = plan_json(cli, code)
    assert plan["mistanke_om_vold_eller_overgreb"] is True
    assert plan["underretninger"][0]["leder_informeret"] is True
    assert "Forældre" not in plan["sparring"]
    assert all("forældre" not in g.lower() for g in plan["naeste_skridt"]["vejledning"])
    out = cli(["plan", code]).out
    assert "Mistanke om vold eller overgreb" in out and "Forældrenes del" not in out


def test_user_markup_prints_literally(cli, data_home):
    answers = data_home.parent / "markup.toml"
    answers.write_text('sikkerhed = false\nbekymring = "[bold]fed[/] og [/] og [red]x"\n'
                       '[barn]\nnavn = "[i]G[/i]"\naldersgruppe = "2-3 år"\ntilbud = "Vuggestue"\n', encoding="utf-8")
    code = new_case(cli, "ikast", answers)
    result = cli(["plan", code])
    assert result.code == 0
    assert "[bold]fed[/] og [/] og [red]x" in result.out
    assert "[i]G[/i]" in result.out


def test_markdown_export_is_private_and_named_without_the_child(cli, data_home, tmp_path, monkeypatch):
    code = new_case(cli, "ikast", EXAMPLES / "ikast-svar.toml")
    monkeypatch.chdir(tmp_path)
    result = cli(["export", code, "--format", "markdown"])
    assert result.code == 0, result.err
    files = list(tmp_path.glob("handleplan-*.md"))
    assert len(files) == 1 and "A.B" not in files[0].name and code in files[0].name
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    text = files[0].read_text(encoding="utf-8")
    assert "Mette Hansen" in text and "mandag 14. december 2026" in text and "| Nr. | Hvad | Hvem | Senest | Status |" in text
    again = cli(["export", code, "--out", str(files[0])])
    assert again.code == 2 and "findes allerede" in again.err
    assert files[0].read_text(encoding="utf-8") == text


def test_markdown_escapes_user_text(cli, data_home, tmp_path):
    answers = data_home.parent / "md.toml"
    answers.write_text('sikkerhed = false\nbekymring = "<script>x</script> | *fed*"\n'
                       '[barn]\nnavn = "H"\naldersgruppe = "2-3 år"\ntilbud = "Vuggestue"\n', encoding="utf-8")
    code = new_case(cli, "ikast", answers)
    out = tmp_path / "p.md"
    assert cli(["export", code, "--out", str(out)]).code == 0
    text = out.read_text(encoding="utf-8")
    assert "<script>" not in text and r"\<script\>" in text and r"\| \*fed\*" in text


def test_cli_import_loads_no_heavy_modules():
    code = ("import sys, rettidig_cli.commands.app; "
            "print([m for m in ('questionary', 'sqlite_utils', 'holidays', 'rich', 'prompt_toolkit', 'docx', 'icalendar', 'lxml', 'sqlcipher3', 'keyring') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"


HELP_SCREENS = [[], ["new"], ["resume"], ["plan"], ["list"], ["export"], ["historik"], ["observation"], ["faktor"],
                ["aftale", "ny"], ["aftale", "status"], ["tovholder"], ["placering"], ["møde", "ny"],
                ["møde", "flyt"], ["møde", "aflys"], ["møde", "hold"], ["eskaler"], ["luk"], ["genåbn"],
                ["slet"], ["oprydning"], ["indsigt"], ["backup"], ["doctor"], ["kryptering", "til"],
                ["kryptering", "skift"],
                ["guide", "list"], ["guide", "show"]]


@pytest.mark.parametrize("command", HELP_SCREENS, ids=lambda c: " ".join(c) or "rettidig")
def test_help_screens_are_danish_without_python_type_names(cli, command):
    result = cli([*command, "--help"])
    assert result.code == 0, result.err
    assert "Brug: rettidig" in result.out
    for python_word in ("<bool>", "<str>", "<path>", "<int>", "Usage", "Options", "Arguments"):
        assert python_word not in result.out, (command, python_word)
