"""The sink the suite starts can speak as a relay that insists on STARTTLS and AUTH (issue 9.5):
the bundled simulator then delivers through both, or no mail would arrive and the run would stop
at its preflight."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from portalcheck.profile import REFERENCE, ProfileError, load

ROOT = Path(__file__).resolve().parent.parent


def relay_profile(folder: Path, sink_lines: str) -> Path:
    path = folder / "relay.toml"
    path.write_text(REFERENCE.read_text().replace("port = 0", f"port = 0\n{sink_lines}", 1))
    return path


def test_the_suite_delivers_through_a_sink_that_requires_starttls_and_auth(tmp_path: Path) -> None:
    profile = relay_profile(tmp_path, 'starttls = "require"\nauth = "qa:s3cret"')
    done = subprocess.run([sys.executable, "-m", "portalcheck.cli", "run", "--profile", str(profile), "--", "-q", "-k", "INV-1 or LL-1"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    (run_dir,) = [path for path in (tmp_path / "reports").iterdir() if not path.is_symlink()]
    outcomes = {result["outcome"] for result in json.loads((run_dir / "results.json").read_text())}
    assert outcomes == {"passed"}


@pytest.mark.parametrize(
    ("lines", "said"),
    [('auth = "qa:s3cret"', "'sink.auth' needs 'sink.starttls'"), ('starttls = "always"', "'sink.starttls' must be"),
     ('starttls = "offer"\nauth = "nopassword"', "'sink.auth' must be")],
)
def test_relay_keys_are_checked(tmp_path: Path, lines: str, said: str) -> None:
    with pytest.raises(ProfileError, match=said):
        load(relay_profile(tmp_path, lines))
