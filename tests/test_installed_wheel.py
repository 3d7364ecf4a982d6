"""The suite as QA and vendors get it (issue 10): a wheel built from this tree, installed in a
fresh venv outside the checkout, run from an empty directory; a QA project made by
`portalcheck init`; and another project's pytest run, which the installed plugin leaves alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.long(35)  # seconds, in CI: see tests/conftest.py

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 600
OUR_SCENARIO = """
  @LL-3 @must
  Scenario: A login link asked for on the laptop signs her in there
    Given Ada accepted her invitation on her laptop
    When she asks for a login link on her laptop
    And she opens her login link on her laptop
    Then her laptop shows her account
"""


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "PYTHONPATH", "VIRTUAL_ENV"))}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_S, env=env)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh venv with the wheel installed (its dependencies from the index)."""
    work = tmp_path_factory.mktemp("wheel")
    built = run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "dist"), str(ROOT)], work)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (work / "dist").glob("portalcheck-*.whl")
    venv.create(work / "venv", with_pip=True)
    bin_dir = work / "venv" / "bin"
    done = run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)], work)
    assert done.returncode == 0, done.stderr[-3000:]
    return bin_dir


def test_the_wheel_carries_the_suite_and_its_run_reports_where_the_user_is(installed: Path, tmp_path: Path) -> None:
    done = run([str(installed / "portalcheck"), "run", "--", "-k", "INV-1"], tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (run_dir,) = [path for path in (tmp_path / "reports").iterdir() if not path.is_symlink()]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert {rule["id"]: rule["verdict"] for rule in summary["rules"]}["INV-1"] == "PASS"
    where = run([str(installed / "python"), "-c", "import portalcheck.steps, portalcheck.features; print(portalcheck.steps.__file__)"], tmp_path)
    assert "site-packages/portalcheck/steps" in where.stdout, where.stdout + where.stderr
    assert run([str(installed / "python"), "-c", "import steps"], tmp_path).returncode != 0  # no top-level `steps`


def test_a_qa_project_checks_and_runs_its_own_scenarios(installed: Path, tmp_path: Path) -> None:
    assert run([str(installed / "portalcheck"), "init", "qa"], tmp_path).returncode == 0
    project = tmp_path / "qa"
    with (project / "features" / "example.feature").open("a") as feature:
        feature.write(OUR_SCENARIO)
    checked = run([str(installed / "portalcheck"), "check"], project)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    ours = run([str(installed / "portalcheck"), "run", "--project-only", "--", "-q"], project)
    assert ours.returncode == 0, ours.stdout[-3000:] + ours.stderr[-3000:]
    assert "2 passed" in ours.stdout
    plain = run([str(installed / "python"), "-m", "pytest", "-q"], project)
    assert plain.returncode == 0 and "2 passed" in plain.stdout, plain.stdout[-3000:]
    steps = run([str(installed / "portalcheck"), "steps"], project)
    assert steps.returncode == 0 and "Given {WHO} was invited" in steps.stdout


def test_another_projects_pytest_run_is_left_alone(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "test_theirs.py").write_text("def test_a_fixture_of_theirs(profile):\n    assert profile == 'theirs'\n")
    (tmp_path / "conftest.py").write_text("import pytest\n\n@pytest.fixture\ndef profile():\n    return 'theirs'\n")
    done = run([str(installed / "python"), "-m", "pytest", "-q"], tmp_path)
    assert done.returncode == 0, done.stdout[-3000:]
    assert not (tmp_path / "reports").exists()
