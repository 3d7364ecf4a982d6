"""Verdicts a vendor can trust (issue 9): a run that checked nothing is never green, and the
suite's own problems are ERROR, never the portal's FAIL. Each test runs what a user would run."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from portalcheck.profile import REFERENCE
from portalcheck.reference import ReferencePortal
from portalcheck.run_folders import new_run_folder

ROOT = Path(__file__).resolve().parent.parent
PORTALCHECK = [sys.executable, "-m", "portalcheck.cli"]
TIMEOUT_S = 300


def run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=TIMEOUT_S,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env})


def qa_project(tmp_path: Path, **features: str) -> Path:
    """A folder of feature files bound to the suite's plugin and steps, as a QA team keeps one."""
    folder = tmp_path / "qa"
    (folder / "features").mkdir(parents=True)
    (folder / "features" / "conftest.py").write_text((ROOT / "conftest.py").read_text())
    (folder / "features" / "test_qa.py").write_text('from pytest_bdd import scenarios\n\nscenarios(".")\n')
    (folder / "pytest.ini").write_text("[pytest]\naddopts = --strict-markers -p no:cacheprovider\n")
    for name, text in features.items():
        (folder / "features" / f"{name}.feature").write_text(text)
    return folder


def pytest_in(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "pytest", str(project / "features"), "--rootdir", str(project), "-q", *args], ROOT)


def results_of(run_dir: Path) -> dict[str, dict]:
    return {result["name"]: result for result in json.loads((run_dir / "results.json").read_text())}


def test_a_run_that_selects_nothing_exits_3_and_leaves_no_folder(tmp_path: Path) -> None:
    done = run([*PORTALCHECK, "run", "--", "-k", "nonexistent"], tmp_path)
    assert done.returncode == 3, done.stdout[-2000:] + done.stderr[-2000:]
    assert "no scenario was selected: nothing was checked" in done.stderr
    assert not any((tmp_path / "reports").iterdir()), list((tmp_path / "reports").iterdir())


def test_an_undefined_step_is_the_runs_error_not_the_portals_failure(tmp_path: Path) -> None:
    project = qa_project(tmp_path, undefined=(
        "Feature: a step nobody wrote\n  @LL-4 @must\n  Scenario: she dances\n"
        "    Given Ada is a customer\n    When she dances on her laptop\n"))
    done = pytest_in(project, "--run-dir", str(tmp_path / "run"))
    assert done.returncode == 1, done.stdout[-3000:]
    result = results_of(tmp_path / "run")["she dances"]
    assert result["outcome"] == "error" and result["why"] == "a step of the scenario is not defined"
    assert result["step"] == {"keyword": "When", "text": "she dances on her laptop", "file": "features/undefined.feature",
                              "line": 5, "undefined": True}
    rebuilt = run([*PORTALCHECK, "report", str(tmp_path / "run")], tmp_path)
    assert rebuilt.returncode == 3, rebuilt.stdout + rebuilt.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    verdicts = {rule["id"]: rule["verdict"] for rule in summary["rules"]}
    assert verdicts["LL-4"] == "ERROR" and not summary["findings"]


def test_a_failed_scenario_outside_any_rule_is_reported_and_fails_the_run(tmp_path: Path) -> None:
    project = qa_project(tmp_path, untagged=(
        "Feature: ours\n  Scenario: too many invitations after one\n"
        "    Given Ada was invited\n    Then the merchant is told there were too many invitations\n"))
    done = pytest_in(project, "--run-dir", str(tmp_path / "run"))
    assert done.returncode == 1, done.stdout[-3000:]
    result = results_of(tmp_path / "run")["too many invitations after one"]
    assert result["rules"] == [] and result["outcome"] == "failed"
    rebuilt = run([*PORTALCHECK, "report", str(tmp_path / "run")], tmp_path)
    assert rebuilt.returncode == 1 and "FAILED outside any rule: too many invitations after one" in rebuilt.stderr


@pytest.mark.parametrize(
    ("feature", "said"),
    [
        ("Feature: tags\n  @smoke @INV-1\n  Scenario: tagged oddly\n    Given Ada is a customer\n", "'smoke' not found in `markers`"),
        ("Feature: spelled\n  Some text.\n\n  Scenaro: misspelled\n    Given Ada is a customer\n",
         "oops.feature:4: 'Scenaro' is not a Gherkin keyword (did you mean 'Scenario'?)"),
        ("Feature: spelled\n\n  Scenario: fine\n    Given Ada is a customer\n\n  Scenaro: misspelled\n    Given Ada is a customer\n",
         "oops.feature:6: not valid Gherkin"),
    ],
    ids=["unregistered tag", "misspelled keyword first", "misspelled keyword later"],
)
def test_a_feature_file_that_does_not_collect_is_an_error_that_says_where(tmp_path: Path, feature: str, said: str) -> None:
    done = pytest_in(qa_project(tmp_path, oops=feature), "--run-dir", str(tmp_path / "run"))
    assert done.returncode == 2, done.stdout[-3000:]
    assert said in done.stdout, done.stdout[-3000:]


def test_a_browser_that_cannot_start_is_an_error_of_the_run(tmp_path: Path) -> None:
    done = run([*PORTALCHECK, "run", "--chromium", "/usr/bin/true", "--", "-k", "INV-1"], tmp_path)
    assert done.returncode == 3, done.stdout[-2000:] + done.stderr[-2000:]
    assert "ERROR INV-1" in done.stderr and "the browser could not start" in done.stderr
    assert "FAIL" not in done.stderr.replace("FAILED", "")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def vendor_profile(folder: Path, control_url: str, sink_port: int) -> Path:
    text = REFERENCE.read_text().replace('control_url = ""', f'control_url = "{control_url}"')
    text = text.replace("port = 0", f"port = {sink_port}").replace("mail_timeout_s = 10.0", "mail_timeout_s = 2.0")
    path = folder / "vendor.toml"
    path.write_text(text)
    return path


def test_the_preflight_stops_a_profile_that_does_not_fit_within_seconds(tmp_path: Path) -> None:
    sends_to = free_port()
    with ReferencePortal(smtp_host="127.0.0.1", smtp_port=sends_to) as portal:  # a vendor's portal
        profile = vendor_profile(tmp_path, portal.control_url, free_port())  # the sink listens elsewhere
        started = time.monotonic()
        done = run([*PORTALCHECK, "run", "--profile", profile.name, "--", "-q"], tmp_path,
                   PORTALCHECK_CONTROL_TOKEN=portal.token)
        took = time.monotonic() - started
    assert done.returncode == 3, done.stdout[-2000:] + done.stderr[-2000:]
    assert "no invitation reached the sink" in done.stderr and "'sink.port'" in done.stderr
    summary = json.loads(next((tmp_path / "reports").glob("*/summary.json")).read_text())
    assert summary["verdicts"].get("ERROR") == 1 and "FAIL" not in summary["verdicts"]
    assert took < 60, f"the run should stop at the preflight, not run every scenario ({took:.0f} s)"


def test_a_relative_profile_resolves_where_the_user_is_and_reports_go_there(tmp_path: Path) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "mine.toml").write_text(REFERENCE.read_text())
    done = run([*PORTALCHECK, "run", "--profile", "profiles/mine.toml", "--", "-k", "INV-1", "-q"], tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    folders = [path for path in (tmp_path / "reports").iterdir() if not path.is_symlink()]
    assert len(folders) == 1 and (folders[0] / "index.html").exists()
    assert json.loads((folders[0] / "target.json").read_text())["profile"] == str(tmp_path / "profiles" / "mine.toml")


def test_collect_only_and_plain_developer_runs_leave_no_report_folder(tmp_path: Path) -> None:
    collected = run([sys.executable, "-m", "pytest", str(ROOT / "features"), "--co", "-q", "--profile", str(REFERENCE)], tmp_path)
    assert collected.returncode == 0, collected.stdout[-2000:]
    narrowed = run([sys.executable, "-m", "pytest", str(ROOT / "features"), "-q", "-k", "INV-1"], tmp_path)
    assert narrowed.returncode == 0, narrowed.stdout[-2000:]
    assert not (tmp_path / "reports").exists()


def test_run_folders_made_in_the_same_second_never_collide(tmp_path: Path) -> None:
    folders = {new_run_folder(tmp_path) for _ in range(50)}
    assert len(folders) == 50 and all(folder.is_dir() for folder in folders)
