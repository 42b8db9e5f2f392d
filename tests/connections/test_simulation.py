"""The simulated campaign, small: 300 scripted customers over 10 days through the sandbox, with
the real sync, queue and hook, on a database the command creates and drops itself. Every rule
of the cadence is checked per customer; the run must end with zero violations."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUMMARY = re.compile(
    r"^touches=(\d+) double=(\d+) early=(\d+) late=(\d+) after_progress=(\d+) "
    r"no_action_needed=(\d+) missed=(\d+) night=(\d+)$"
)


def _simulate(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ENV_FILE"}  # nothing configured
    return subprocess.run(
        [sys.executable, "manage.py", "simulate_campaign", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def campaign() -> subprocess.CompletedProcess[str]:
    return _simulate("--customers", "300", "--days", "10", "--seed", "7", "--explain")


def test_a_ten_day_campaign_sends_touches_and_breaks_no_rule(campaign):
    lines = campaign.stdout.strip().splitlines()
    summary = SUMMARY.match(lines[-1])
    assert summary, campaign.stdout[-2000:] + campaign.stderr[-2000:]
    touches, *violations = (int(n) for n in summary.groups())
    assert touches > 100
    assert violations == [0] * 7, "\n".join(lines[-40:])
    assert campaign.returncode == 0


def test_the_report_has_a_row_per_scenario(campaign):
    for story in ("error", "manual_review", "reauthorize", "parked", "opted_out", "skipped"):
        assert re.search(rf"^{story}\s+\d+\s+\d+\s+0$", campaign.stdout, re.MULTILINE), story


def test_the_same_seed_gives_the_same_output():
    small = ("--customers", "80", "--days", "5", "--seed", "11", "--explain")
    first, again = _simulate(*small), _simulate(*small)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    assert first.stdout == again.stdout


def test_with_variants_the_quick_cadence_wins_and_no_rule_breaks():
    run = _simulate("--customers", "600", "--days", "10", "--seed", "7", "--variants", "--explain")
    lines = run.stdout.strip().splitlines()
    summary = SUMMARY.match(lines[-1])
    assert summary, run.stdout[-2000:] + run.stderr[-2000:]
    _, *violations = (int(n) for n in summary.groups())
    assert violations == [0] * 7, "\n".join(lines[-40:])
    assert re.search(r"^Day 1\s+\d+\s+\d+\s+[\d.]+%\s+baseline$", run.stdout, re.MULTILINE)
    quick = re.search(r"^Quick\s+(\d+)\s+(\d+)\s+[\d.]+%\s+(.+)$", run.stdout, re.MULTILINE)
    assert quick, run.stdout[-2000:]
    assert int(quick.group(1)) >= 30  # enough customers for the test to speak
    assert quick.group(3).startswith("completes better, unlikely to be chance")
    assert run.returncode == 0
