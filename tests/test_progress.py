"""Long steps report progress: one plain line per step on stderr when it is not a terminal, nothing with --quiet."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

import cli
from optimizer.plan import STAGES

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "scenario"
STEP = re.compile(r"^\[\s*\d+\.\d s\] (\w+)")


def _route(tmp_path: Path, *extra: str):
    result = CliRunner().invoke(cli.main, ["route", str(EXAMPLE), "--time-limit", "5", "--out",
                                           str(tmp_path / "out"), *extra])
    assert result.exit_code in (0, 1), result.output
    return result


def test_every_step_prints_one_line_when_not_on_a_terminal(tmp_path):
    result = _route(tmp_path)
    stages = [m[1] for line in result.stderr.splitlines() if (m := STEP.match(line))]
    assert list(dict.fromkeys(stages)) == list(STAGES)  # every stage, in order
    assert stages.count("network") == 2 and stages.count("matrix") == 2  # per profile: truck, motorbike
    assert any(re.search(r"\] routing 0/\d+: own vehicles$", line) for line in result.stderr.splitlines())
    assert not any(STEP.match(line) for line in result.stdout.splitlines())  # stdout keeps the summary only
    assert "wrote" in result.stdout


def test_quiet_prints_no_step(tmp_path):
    result = _route(tmp_path, "--quiet")
    assert not any(STEP.match(line) for line in result.stderr.splitlines())
    assert "wrote" in result.stdout and (tmp_path / "out" / "routes.csv").exists()
