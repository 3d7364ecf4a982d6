"""What a step of an explored walk costs, against what a step of a scenario of the suite costs.

    .venv/bin/python bench/bench_explore.py [--walks 10] [--steps 12] [--seed 3]

Scenario side: a few scenarios of `features/` (the journeys of bench_journeys.py plus two) run
by pytest in a subprocess against the bundled simulator, with JUnit XML; their time (setup, call
and teardown) divided by their steps, as the explore side is: the mean step. The median of each
scenario's own step is printed too (it leaves out the one scenario that waits for an email not to
come, as the walks do after most of their emails). The first scenario absorbs the session's start
(simulator, sink, Chromium) and is left out.
Explore side: `explore()` against the correct simulator, started before the clock starts; the
whole run's time divided by the steps the walks took (mail waits, page loads and the model's
three predictions per step included; the site each walk creates and deletes too).

Prints both figures and their ratio; asserts nothing about wall time. The aim: about 1×.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).parents[1]
SCENARIOS = (
    "A merchant invites a customer by hand",  # absorbs the session's start; not counted
    "Accepting the invitation signs the customer in and verifies her email",
    "A customer verifies a new device with a login link",
    "After a timeout the management URL signs her in again without a new email",
    "A login link works once",
    "A device that is not verified is asked to verify it",
)


def scenario_step_seconds() -> list[tuple[float, int]]:
    """Seconds and steps of each scenario but the first, from pytest's JUnit XML."""
    steps = _steps_per_scenario()
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "junit.xml"
        selection = " or ".join(re.sub(r"\W+", "_", name.lower()).strip("_") for name in SCENARIOS)
        subprocess.run([sys.executable, "-m", "pytest", "features", "-q", "-p", "no:xdist", "-k", selection,
                        f"--junitxml={report}"], cwd=ROOT, check=False, capture_output=True)
        cases = ElementTree.parse(report).getroot().iter("testcase")
        timed = [(case.get("name", ""), float(case.get("time", "0"))) for case in cases]
    per_step = []
    for name, seconds in timed[1:]:
        count = next((count for title, count in steps.items() if re.sub(r"\W+", "_", title.lower()).strip("_") in name), None)
        if count:
            per_step.append((seconds, count))
    return per_step


def _steps_per_scenario() -> dict[str, int]:
    found: dict[str, int] = {}
    for feature in (ROOT / "features").glob("*.feature"):
        title = None
        for line in feature.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith(("Scenario:", "Scenario Outline:")):
                title = stripped.split(":", 1)[1].strip()
                found[title] = 0
            elif title and re.match(r"(Given|When|Then|And|But) ", stripped):
                found[title] += 1
    return {title: count for title, count in found.items() if title in SCENARIOS}


def explore_step_seconds(walks: int, steps: int, seed: int) -> tuple[float, int]:
    from portalcheck import profile
    from portalcheck.explore.machine import explore
    from portalcheck.explore.target import open_target

    with open_target(profile.load()) as target:
        started = time.monotonic()
        run = explore(target, seed=seed, walks=walks, steps=steps, time_budget_s=600, progress=lambda line: None)
        elapsed = time.monotonic() - started
    if run.failing is not None:
        print(f"explore found something on the correct simulator: {run.failing[1][0].describe()}")
    return elapsed / max(1, run.steps), run.steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--walks", type=int, default=10)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--seed", type=int, default=3)
    options = parser.parse_args()
    scenario = scenario_step_seconds()
    if not scenario:
        sys.exit("no scenario ran: is the suite's plugin installed (./dev run once)?")
    walk, taken = explore_step_seconds(options.walks, options.steps, options.seed)
    mean = sum(seconds for seconds, _ in scenario) / sum(count for _, count in scenario)
    median = statistics.median(seconds / count for seconds, count in scenario)
    print(f"scenario step: {mean * 1000:.0f} ms over {sum(count for _, count in scenario)} steps of {len(scenario)} scenarios"
          f" (the median scenario's: {median * 1000:.0f} ms)")
    print(f"explored step: {walk * 1000:.0f} ms over {taken} steps ({options.walks} walks, seed {options.seed})")
    print(f"explored / scenario: {walk / mean:.2f}x (against the median scenario's step: {walk / median:.2f}x)")


if __name__ == "__main__":
    main()
