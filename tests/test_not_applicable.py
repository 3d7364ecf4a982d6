"""A target without a capability gets N/A for the scenarios that need it: never failed, never hidden."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from portalcheck.profile import REFERENCE

ROOT = Path(__file__).resolve().parent.parent


def test_password_scenarios_are_not_applicable_to_a_target_without_password_logins(tmp_path: Path) -> None:
    profile = tmp_path / "no-passwords.toml"
    profile.write_text(REFERENCE.read_text().replace("password_login = true", "password_login = false"))
    done = subprocess.run(
        [sys.executable, "-m", "portalcheck.cli", "run", "--profile", str(profile), "--reports", str(tmp_path),
         "--", "-m", "password", "-p", "no:cacheprovider"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    (run_dir,) = [path for path in tmp_path.iterdir() if path.is_dir() and not path.is_symlink()]
    summary = json.loads((run_dir / "summary.json").read_text())
    verdicts = {rule["id"]: rule for rule in summary["rules"]}
    for rule_id in ("PW-1", "PW-2", "PW-3", "PW-4", "PW-5", "PW-6", "INV-8"):
        assert verdicts[rule_id]["verdict"] == "N/A", verdicts[rule_id]
        for scenario in verdicts[rule_id]["scenarios"]:
            assert scenario["outcome"] == "not_applicable"
            assert "lacks password_login" in scenario["message"], scenario["message"]
    assert set(summary["scenarios"]["by_outcome"]) == {"not_applicable"}
