"""The product's vocabulary (rettidig_cli/domain/vocabulary.py): stored values unchanged, every registry
that is kept by hand covers every step kind, and the states are named, not written as literals."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT

from rettidig_cli.ui import prompts
from rettidig_cli.workflow import wizard
from rettidig_cli.guide.reader import STEP_KINDS
from rettidig_cli.domain.vocabulary import AgreementStatus, CaseStatus, EventKind, MeetingState, StepKind

pytestmark = pytest.mark.plain_only


def test_the_stored_values_are_the_ones_older_data_files_hold():
    assert [s.value for s in CaseStatus] == ["åben", "lukket"]
    assert [s.value for s in MeetingState] == ["planlagt", "afholdt", "aflyst"]
    assert [s.value for s in AgreementStatus] == ["aftalt", "i gang", "udført", "opgivet"]
    assert {"planlagt", "flyttet", "aflyst", "eskaleret", "lukket", "genåbnet"} <= {e.value for e in EventKind}
    assert STEP_KINDS == tuple(StepKind)


def test_every_step_kind_has_a_parser_and_an_asker():
    assert set(wizard.PARSERS) == set(StepKind)
    asked = set(prompts.ASKERS) | set(prompts.ITEM_ASKERS)
    assert asked == set(StepKind) and not set(prompts.ASKERS) & set(prompts.ITEM_ASKERS)
    assert set(wizard.LOOP_KINDS) == set(prompts.ITEM_ASKERS) == set(prompts.ITEM_NAMES)


def test_states_are_named_not_written_as_literals():
    """A meeting state or agreement status typed as a string in the engine would drift from the
    vocabulary; the shipped migrations are history and keep theirs."""
    values = [s.value for s in (*MeetingState, *AgreementStatus, *CaseStatus) if s.value != "i gang"]
    pattern = re.compile(r"""(?:==|!=|in \(|"state": |"status": |status=)\s*["'](%s)["']""" % "|".join(values))
    found = []
    for path in (ROOT / "rettidig_cli").rglob("*.py"):
        if path.name in ("vocabulary.py", "migrations.py"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path.name}:{number}: {line.strip()}")
    assert found == []
