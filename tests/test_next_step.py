"""The next step on every screen: `møde hold` holds any meeting of the case that is due (a
TTR-møde, a K-møde), an overdue duty names the command that does it, and the morning view names
the command on a status meeting's day."""

from __future__ import annotations

import datetime as dt
import json

from helpers import flat, ok, plan_json


def other_meeting(plan: dict) -> dict:
    return plan["andre_moeder"][0]


def on_day(monkeypatch, iso: str) -> None:
    from rettidig_cli.domain import dates

    monkeypatch.setattr(dates, "today", lambda: dt.date.fromisoformat(iso))


def test_moede_hold_holds_the_ttr_meeting_with_its_own_parts(cli, seeded, tmp_path, monkeypatch):
    code = seeded("hedensted", 4)
    ttr = other_meeting(plan_json(cli, code))
    assert ttr["status"] == "planlagt"
    on_day(monkeypatch, ttr["dato"])
    answers = tmp_path / "ttr.toml"
    answers.write_text(f'dato = {ttr["dato"]}\ndeltagere = "Lærer Sanne, TTR"\nreferat = "TTR anbefaler PPR."\n',
                       encoding="utf-8")
    result = ok(cli, "møde", "hold", code, str(ttr["nr"]), "--answers", str(answers))
    assert "TTR-mødet er registreret" in flat(result.out), result.out
    held = other_meeting(plan_json(cli, code))
    assert held["status"] == "afholdt" and held["referat"] == "TTR anbefaler PPR."
    # The status meetings are as they were: no next meeting was added by holding the TTR meeting.
    assert all(m["status"] == "planlagt" for m in plan_json(cli, code)["statusmoeder"])


def test_moede_hold_without_nr_offers_every_meeting_due_and_a_file_needs_the_number(cli, seeded, tmp_path,
                                                                                      monkeypatch):
    from conftest import CTRL_C, ENTER

    code = seeded("hedensted", 4)
    plan = plan_json(cli, code)
    ttr = other_meeting(plan)
    on_day(monkeypatch, ttr["dato"])
    answers = tmp_path / "m.toml"
    answers.write_text(f'dato = {ttr["dato"]}\ndeltagere = "Lærer Sanne"\n', encoding="utf-8")
    refused = cli(["møde", "hold", code, "--answers", str(answers)])
    assert refused.code == 2 and "Skriv mødets nummer" in flat(refused.err) and "nr. 1 TTR-møde" in flat(refused.err)
    assert all(m["status"] == "planlagt" for m in [*plan_json(cli, code)["statusmoeder"], ttr])
    # In a terminal the TTR meeting due today is taken first, without a question.
    result = cli(["møde", "hold", code], ENTER + CTRL_C)
    assert "TTR-møde nr. 1" in flat(result.out), result.out


def test_an_overdue_meeting_names_the_command_that_registers_it(cli, seeded, monkeypatch):
    code = seeded("hedensted", 4)
    ttr = other_meeting(plan_json(cli, code))
    on_day(monkeypatch, (dt.date.fromisoformat(ttr["dato"]) + dt.timedelta(days=1)).isoformat())
    command = f"rettidig møde hold {code} {ttr['nr']}"
    assert command in flat(ok(cli, "plan", code).out)
    listed = json.loads(ok(cli, "list", "--json").out)
    assert any(command in task for line in listed for task in line["opgaver"])
    assert "rettidig" not in " ".join(plan_json(cli, code)["forsinket"])  # the printed plan has no commands


def test_a_leader_not_informed_names_how_to_correct_the_underretning(cli, seeded):
    code = seeded("resen", 3)
    ok(cli, "mistanke", code, "--dato", "i dag")
    assert f"rettidig ret {code} underretning" in flat(ok(cli, "plan", code).out)


def test_list_names_the_command_on_the_status_meetings_day_only(cli, seeded, monkeypatch):
    code = seeded("resen", 3)
    first = plan_json(cli, code)["statusmoeder"][0]["dato"]
    on_day(monkeypatch, first)
    tasks = [t for line in json.loads(ok(cli, "list", "--json").out) for t in line["opgaver"]]
    assert f"Statusmøde i dag: rettidig møde hold {code}" in tasks
    on_day(monkeypatch, (dt.date.fromisoformat(first) - dt.timedelta(days=1)).isoformat())
    tasks = [t for line in json.loads(ok(cli, "list", "--json").out) for t in line["opgaver"]]
    assert not any("rettidig møde hold" in t for t in tasks)


def test_luk_cancels_only_the_meetings_still_to_come_and_keeps_the_summary(cli, seeded, monkeypatch, tmp_path):
    from rettidig_cli.domain import dates

    code = seeded("resen", 3)
    first = plan_json(cli, code)["statusmoeder"][0]
    assert first["tidspunkt"] == "14:00"
    on_day(monkeypatch, first["dato"])
    monkeypatch.setattr(dates, "moment", lambda: dt.datetime.fromisoformat(f"{first['dato']}T12:00"))
    ok(cli, "møde", "ny", code, "--dato", first["dato"], "--tid", "09:00", "--deltagere", "Leder")
    result = ok(cli, "luk", code, "--grund", "Trivslen er genoprettet", "--opsummering", "Legen fungerer igen.")
    said = flat(result.out)
    meetings = {m["tidspunkt"]: m for m in plan_json(cli, code)["statusmoeder"] if m["dato"] == first["dato"]}
    assert meetings["14:00"]["status"] == "aflyst" and meetings["09:00"]["status"] == "planlagt"
    assert said.count(f"{dates.format_iso(first['dato'])} kl. 14.00 er aflyst") == 1, said
    assert "kl. 09.00 er aflyst" not in said
    assert "Opsummering: Legen fungerer igen." in flat(ok(cli, "historik", code).out)
    out = tmp_path / "afslutning.md"
    ok(cli, "export", code, "--til", "afslutning", "--format", "md", "--out", str(out))
    text = out.read_text(encoding="utf-8")
    assert "# Afslutning af sagen" in text and "Legen fungerer igen." in text and "Trivslen er genoprettet" in text


def test_luk_in_a_terminal_asks_for_the_summary(cli, seeded):
    from conftest import ENTER, UP

    code = seeded("ikast-brande-dagtilbud", 5)  # with open agreements
    keys = (ENTER  # the first reason in the list
            + UP + ENTER  # "Der er 2 åbne aftaler. Luk sagen alligevel?" -> Ja
            + "Sproget er kommet godt i gang." + ENTER)
    result = cli(["luk", code], keys)
    assert result.code == 0, result.err
    assert "Opsummering: Sproget er kommet godt i gang." in flat(ok(cli, "historik", code).out)


def test_the_walk_says_when_a_meeting_lands_on_a_day_with_another_meeting(cli, tmp_path):
    from conftest import EXAMPLES, working_day_on_or_after

    day = working_day_on_or_after(dt.date.today() + dt.timedelta(days=14)).isoformat()
    text = (EXAMPLES / "hedensted-svar.toml").read_text(encoding="utf-8")
    text = text.replace('dato = "2026-12-09"', f'dato = "{day}"').replace('start = "2026-12-14"', f'start = "{day}"')
    assert text.count(day) == 2
    answers = tmp_path / "svar.toml"
    answers.write_text(text, encoding="utf-8")
    result = ok(cli, "new", "--guide", "hedensted", "--answers", str(answers))
    said = flat(result.out)
    assert said.count("Bemærk: sagen har allerede et møde") == 1, said
    assert "rettidig møde flyt" in said


def test_a_summary_kept_for_weeks_still_names_the_status_meeting_to_come(cli, seeded, monkeypatch):
    """`list` keeps each case's summary until the case changes. Made before the first status
    meeting and read after it, it must name the second one (it named the first, long past, and never
    said «Statusmøde i dag» on the second one's day)."""
    code = seeded("resen", 3)
    first, second = [m["dato"] for m in plan_json(cli, code)["statusmoeder"][:2]]
    on_day(monkeypatch, (dt.date.fromisoformat(first) - dt.timedelta(days=1)).isoformat())
    assert json.loads(ok(cli, "list", "--json").out)[0]["naeste_statusmoede"] == first  # the summary is made
    on_day(monkeypatch, second)
    line = json.loads(ok(cli, "list", "--json").out)[0]
    assert line["naeste_statusmoede"] == second
    assert f"Statusmøde i dag: rettidig møde hold {code}" in line["opgaver"]


def test_a_date_given_in_words_as_a_flag_is_said_back(cli, seeded):
    from rettidig_cli.domain import dates

    code = seeded("resen", 3)
    yesterday = dates.format_date(dt.date.today() - dt.timedelta(days=1))
    said = flat(ok(cli, "observation", code, "--hvad", "Leger alene", "--dato", "i går").out)
    assert f"i går = {yesterday}" in said
    full = dt.date.today().strftime("%d-%m-%Y")
    said = flat(ok(cli, "observation", code, "--hvad", "Leger alene igen", "--dato", full).out)
    assert " = " not in said  # a date written in full is not repeated


def test_a_guides_own_meeting_is_held_with_a_referat_even_when_its_status_meetings_have_notes(cli, seeded, tmp_path,
                                                                                             monkeypatch):
    code = seeded("herlev", 4)  # status meetings held by Åben Dialog: notes under headings, no referat part
    dialog = other_meeting(plan_json(cli, code))
    on_day(monkeypatch, dialog["dato"])
    answers = tmp_path / "dialog.toml"
    answers.write_text(f'dato = {dialog["dato"]}\ndeltagere = "Lærer Jonas, mormor"\n'
                       'referat = "Familien ønsker en fast voksen ved frokosten."\n', encoding="utf-8")
    ok(cli, "møde", "hold", code, str(dialog["nr"]), "--answers", str(answers))
    held = other_meeting(plan_json(cli, code))
    assert held["status"] == "afholdt" and held["referat"] == "Familien ønsker en fast voksen ved frokosten."


def test_a_closed_case_has_nothing_overdue_in_its_plan_or_closing_document(cli, seeded, monkeypatch, tmp_path):
    code = seeded("ikast-brande-dagtilbud", 5)
    due = max(a["senest"] for a in plan_json(cli, code)["aftaler"] if a["senest"])
    on_day(monkeypatch, (dt.date.fromisoformat(due) + dt.timedelta(days=1)).isoformat())
    assert any(a["overskredet"] for a in plan_json(cli, code)["aftaler"])
    ok(cli, "luk", code, "--grund", "Trivslen er genoprettet")
    assert not any(a["overskredet"] for a in plan_json(cli, code)["aftaler"])
    out = tmp_path / "afslutning.md"
    ok(cli, "export", code, "--til", "afslutning", "--format", "md", "--out", str(out))
    assert "overskredet" not in out.read_text(encoding="utf-8")
