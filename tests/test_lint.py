"""`portalcheck check` finds what would fail a run for the suite's own reasons, before any run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from portalcheck import bundled, lint

ROOT = Path(__file__).resolve().parent.parent

SCENARIO = "Feature: ours\n  {tags}\n  Scenario: one\n{steps}"


def findings_for(tmp_path: Path, steps: str, tags: str = "@LL-4 @must", markers: tuple[str, ...] = ()) -> list[str]:
    (tmp_path / "ours.feature").write_text(SCENARIO.format(tags=tags, steps=steps))
    return [f"{finding.severity}: {finding.message}" for finding in lint.check([tmp_path], markers=markers)]


def test_the_bundled_features_have_nothing_to_find() -> None:
    assert [str(finding) for finding in lint.check([bundled.features()])] == []


@pytest.mark.parametrize(
    ("steps", "tags", "said"),
    [
        ("    Given Ada is a customer\n    When she dances on her laptop\n", "@LL-4 @must",
         "error: no step definition matches `When she dances on her laptop`; nearest:"),
        ("    Given Ada is a customer\n    When she asked for a login link on her laptop\n", "@LL-4 @must",
         "error: no When step says 'she asked for a login link on her laptop'; a Given step does: write `Given she asked"),
        ("    Given Ada is a customer\n", "@smoke @LL-4", "error: the tag @smoke is not registered"),
        ("    Given Ada is a customer\n", "@must", "notice: scenario 'one' has no rule tag"),
        ("    Given Ada was invited\n    When 20 minutes pass\n", "@INV-5 @must", "error: scenario 'one' moves time: tag it @clock"),
    ],
    ids=["unknown step", "keyword differs", "unregistered tag", "no rule tag", "time without clock"],
)
def test_each_kind_of_finding_is_found_with_its_line(tmp_path: Path, steps: str, tags: str, said: str) -> None:
    found = findings_for(tmp_path, steps, tags)
    assert any(line.startswith(said) for line in found), found


def test_a_tag_the_project_registers_is_known(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    smoke: quick\n    nightly(when): slow ones\n")
    markers = lint.registered_markers(tmp_path / "pytest.ini")
    assert markers == ["smoke", "nightly"]
    assert findings_for(tmp_path, "    Given Ada is a customer\n", "@smoke @LL-4", tuple(markers)) == []


def test_an_outline_placeholder_needs_a_column(tmp_path: Path) -> None:
    (tmp_path / "o.feature").write_text(
        "Feature: o\n  @INV-2 @must\n  Scenario Outline: o\n    Given automatic invitations are <setting>\n"
        "    When she opens her <what> on her laptop\n\n    Examples:\n      | setting |\n      | on      |\n")
    found = [str(finding) for finding in lint.check([tmp_path])]
    assert found == [f"{tmp_path / 'o.feature'}:5: error: <what> has no column in the examples (['setting'])"], found


def test_check_exits_1_on_an_error_and_run_stops_before_starting(tmp_path: Path) -> None:
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "bad.feature").write_text(SCENARIO.format(tags="@LL-4 @must", steps="    Given she dances\n"))
    checked = subprocess.run([sys.executable, "-m", "portalcheck.cli", "check"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert checked.returncode == 1 and "bad.feature:4: error: no step definition matches" in checked.stderr, checked.stderr
    ran = subprocess.run([sys.executable, "-m", "portalcheck.cli", "run", "--project-only"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert ran.returncode == 3 and "nothing was run" in ran.stderr, ran.stdout + ran.stderr
    assert not (tmp_path / "reports").exists()


def test_a_finding_of_the_explorer_can_be_pasted_as_it_came(tmp_path: Path) -> None:
    steps = "    Given Ada is a customer\n    And Ada was invited\n"
    assert findings_for(tmp_path, steps, "@LL-6 @should @explored") == []
