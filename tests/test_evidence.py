"""A failing scenario leaves evidence behind and names it: screenshots, traces, emails, control calls."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from portalcheck.profile import REFERENCE

ROOT = Path(__file__).resolve().parent.parent


def test_a_failing_scenario_saves_and_names_its_evidence(tmp_path: Path) -> None:
    # A profile whose "verify this device" mark matches nothing (the preflight does not look for
    # it): a scenario that expects the verify page must then fail.
    profile = tmp_path / "blind.toml"
    text = REFERENCE.read_text()
    text = text.replace("verify_device = \"role=heading[name=/^Verify/]\"", "verify_device = \"role=heading[name='No such heading']\"")
    text = text.replace("page_timeout_s = 10.0", "page_timeout_s = 2.0")
    profile.write_text(text)
    run_dir = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "features/test_conformance.py", "-q", "-p", "no:cacheprovider",
         "-k", "test_a_device_that_is_not_verified_is_asked_to_verify_it",
         "--profile", str(profile), "--run-dir", str(run_dir)],
        capture_output=True, text=True, cwd=ROOT, timeout=180,
    )
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    folders = [path for path in run_dir.iterdir() if path.is_dir()]
    assert len(folders) == 1, list(run_dir.iterdir())
    evidence = folders[0]
    names = sorted(path.name for path in evidence.iterdir())
    assert "control-calls.jsonl" in names
    assert any(name.endswith("-laptop.png") for name in names), names
    assert any(name.endswith("-laptop-trace.zip") for name in names), names
    assert any(name.endswith(".eml") for name in names), names
    calls = [json.loads(line) for line in (evidence / "control-calls.jsonl").read_text().splitlines()]
    assert any(call["path"].endswith("/invitations") and call["status"] == 202 for call in calls)
    assert str(evidence) in done.stdout, "the failure message should name where the evidence is"
