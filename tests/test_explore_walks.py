"""The explorer against the bundled simulator: nothing found on the correct one; faults found by
exploring alone, each written as a scenario naming the rule, and replayed from its file.

Each test starts the simulator, the mail sink and a browser of its own (Playwright's sync API
allows one instance a thread, and the command starts its own), so they are slow (half a minute
or so each): a fixed seed and a small budget keep them bounded. The other portals and sinks a
profile can name are explored in tests/test_explore_targets.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from portalcheck import profile
from portalcheck.explore import finding as findings
from portalcheck.explore.command import explore as explore_command
from portalcheck.explore.machine import explore
from portalcheck.explore.target import Target, open_target
from portalcheck.gherkin_check import check_gherkin
from simulator.faults import REGISTRY


@pytest.fixture
def correct_simulator() -> Iterator[Target]:
    """Per test: Playwright's sync API allows one instance a thread, and the command starts its own."""
    with open_target(profile.load()) as target:
        yield target


def test_explore_finds_nothing_on_the_correct_simulator(correct_simulator: Target) -> None:
    lines: list[str] = []
    run = explore(correct_simulator, seed=11, walks=12, steps=10, time_budget_s=35, progress=lines.append)
    assert run.failing is None, "\n".join(item.describe() for item in run.failing[1]) + f"\nafter {run.failing[0]}"
    assert run.walks >= 4 and run.steps >= 30, f"the run hardly walked: {lines[-1:]}"
    assert lines[-1].startswith(f"explore: {run.walks} walks, {run.steps} steps")


# Each fault with the rules it breaks (its own and `Fault.also`), and the Then-step that says so.
# A reusable login link also lets both of two devices opening it at once in (SEC-2); a device let
# in unverified is let in where EV-2 or SEC-6 says it is not verified: whichever a seed meets first.
BROKEN = {
    "ll6_reusable": {"LL-6": "is told the link is not valid", "SEC-2": "exactly one of her laptop and her phone shows her account"},
    "mu3_any_device": {rule: "is asked to verify this device" for rule in ("MU-3", "EV-2", "SEC-6")},
}


@pytest.mark.parametrize(("fault", "seed"), [("ll6_reusable", 1), ("mu3_any_device", 1)])
def test_explore_alone_finds_a_fault_and_writes_it_as_a_scenario_that_replays(fault: str, seed: int, tmp_path: Path) -> None:
    runner = CliRunner()
    # A budget of 40 s: the search finds these in seconds, and shrinking (as long again) gets them to 4 or 5 steps.
    found = runner.invoke(explore_command, ["--fault", fault, "--seed", str(seed), "--walks", "40", "--steps", "12",
                                            "--time-budget", "40", "--out", str(tmp_path)])
    assert found.exit_code == 1, found.output
    (written,) = tmp_path.glob(f"*-seed{seed}.json")
    saved = findings.load(written)
    rule = written.name.split("-seed")[0]
    assert rule in BROKEN[fault], f"{fault} breaks {sorted(BROKEN[fault])}, not {rule}: {found.output}"
    assert set(BROKEN[fault]) == {REGISTRY[fault].rule, *REGISTRY[fault].also}
    feature = written.with_suffix(".feature")
    text = feature.read_text()
    assert f"@{rule} @" in text and BROKEN[fault][rule] in text, text
    assert check_gherkin(feature) == []
    assert saved.faults == (fault,) and len(saved.actions) <= 6, saved.actions  # shrunk

    replayed = runner.invoke(explore_command, ["--replay", str(written), "--fault", fault])
    assert replayed.exit_code == 1 and "the finding replays" in replayed.output, replayed.output
    fixed = runner.invoke(explore_command, ["--replay", str(written)])
    assert fixed.exit_code == 0 and "no longer replays" in fixed.output, fixed.output
