"""The strace fault walk (tests/fault_walk.py) as a test: every system-call point of the key switch,
the erasure, a migration, an export and the ordinary writes, each with ENOSPC, EIO (and EACCES where
a path is taken), SIGKILL and a real SIGINT; after each, the next ordinary start must find the data
whole. Long (tens of minutes for all): only in the full fault pass (`-m faults_full`).

Run one scenario by hand: python tests/fault_walk.py --scenario slet [--quick]. FAULT_WALK_STRIDE=N
tries every N-th call within a run of calls of one name on one file (first and last always), for a
machine where all of them take too long; the report says how many points there are and how many
were tried."""

from __future__ import annotations

import os

import pytest

import fault_walk

pytestmark = [pytest.mark.faults_full, pytest.mark.plain_only]  # the walk makes its own data folders


@pytest.fixture(scope="module")
def strace_ready():
    why_not = fault_walk.strace_usable()
    if why_not:
        pytest.skip(f"the strace fault walk cannot run here: {why_not}")


@pytest.mark.parametrize("scenario", list(fault_walk.SCENARIOS))
def test_every_syscall_point_holds(strace_ready, scenario):
    summary = fault_walk.walk(scenario, stride=int(os.environ.get("FAULT_WALK_STRIDE", "1")), progress=False)
    print(fault_walk.report(summary))
    assert summary.verdicts, f"{scenario}: no trial was run ({len(summary.points)} points found)"
    assert not summary.failures, fault_walk.report(summary, shown_failures=20)
