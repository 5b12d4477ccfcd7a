"""Schema changes keep every answer: a file from before a migration opens with the same plan,
and what the migration moves (a decision's choices) is found where it now lives."""

from __future__ import annotations

import json

import pytest

from conftest import EXAMPLES, execute, query
from helpers import created_code, ok, plan_json

pytestmark = pytest.mark.both_storages  # a migration rewrites the data file: plain and encrypted


def before_m008(data_home) -> None:
    """The file as the version before m008 wrote it: each decision's choices also in its answer."""
    for row in query(data_home, "SELECT a.id, a.case_id, a.step_id FROM answers a WHERE a.kind = 'decision'"):
        chosen = [r["choice"] for r in query(data_home, "SELECT choice FROM decisions WHERE case_id = ? AND "
                                                        "step_id = ? ORDER BY id", (row["case_id"], row["step_id"]))]
        execute(data_home, "UPDATE answers SET value = ? WHERE id = ?", (json.dumps({"valg": chosen[-1:]}), row["id"]))
    execute(data_home, "DELETE FROM _sqlite_migrations WHERE name = 'm008_decision_kept_once'")


def test_a_decision_is_kept_once_and_the_migration_loses_no_choice(cli, data_home):
    code = created_code(ok(cli, "new", "--guide", "resen", "--answers", str(EXAMPLES / "resen-svar.toml")).out)
    # Written now: the answer row only marks the step; the choice is in decisions.
    answer = query(data_home, "SELECT value FROM answers WHERE step_id = 'sagstype'")[0]
    assert json.loads(answer["value"]) is None
    plan = plan_json(cli, code)
    assert next(d for d in plan["beslutninger"] if d["trin"] == "sagstype")["valg"] == ["Lille sag"]

    before_m008(data_home)
    # A file edited by hand: the answer says "stor", no decisions row says so.
    execute(data_home, "UPDATE answers SET value = ? WHERE step_id = 'sagstype'", (json.dumps({"valg": ["stor"]}),))
    migrated = plan_json(cli, code)  # opening the file runs m008
    assert next(d for d in migrated["beslutninger"] if d["trin"] == "sagstype")["valg"] == ["Stor sag"]
    rows = query(data_home, "SELECT choice, label FROM decisions WHERE step_id = 'sagstype' ORDER BY id")
    assert [(r["choice"], r["label"]) for r in rows] == [("lille", "Lille sag"), ("stor", "Stor sag")]
    assert {json.loads(r["value"]) is None for r in query(data_home, "SELECT value FROM answers "
                                                                         "WHERE kind = 'decision'")} == {True}
    # Everything else in the plan is as it was.
    for key in ("aftaler", "statusmoeder", "observationer", "tovholder"):  # (the phase follows the choice)
        assert migrated[key] == plan[key]


def test_escalation_changes_the_one_place_a_decision_lives(cli, data_home):
    code = created_code(ok(cli, "new", "--guide", "ikast", "--answers", str(EXAMPLES / "ikast-svar.toml")).out)
    before = next(d for d in plan_json(cli, code)["beslutninger"] if d["trin"] == "tvaerfaglig-vej")
    ok(cli, "eskaler", code, "--til", "u-moede", "--begrundelse", "Bekymringen er vokset")
    after = next(d for d in plan_json(cli, code)["beslutninger"] if d["trin"] == "tvaerfaglig-vej")
    assert after["valg"][0].startswith("Underretningsmøde (U-møde)")
    assert after["tidligere"][-1]["valg"] == before["valg"][0]
    assert json.loads(query(data_home, "SELECT value FROM answers WHERE step_id = 'tvaerfaglig-vej'")[0]["value"]) is None
    # The case now offers no escalation from U-møde (the guide has none), read from decisions alone.
    result = cli(["eskaler", code, "--til", "u-moede", "--begrundelse", "igen"])
    assert result.code != 0 and "U-møde" in result.err
