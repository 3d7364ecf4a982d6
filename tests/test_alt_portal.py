"""A second portal, written apart from the simulator, passes the whole suite (issue 5).

It has another URL layout, other markup and other email subjects, and its own profile: when the
suite passes against it too, the steps depend on CONTRACT v1 and the profile only.
"""

from __future__ import annotations

import json
import os
import queue
import re
import secrets
import socket
import subprocess
import sys
import threading
import tomllib
from pathlib import Path
from typing import IO, Iterator

import httpx
import pytest
from pytest_bdd.feature import get_features

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "tests" / "alt_portal" / "profile.toml"
START_TIMEOUT_S = 20.0
SUITE_TIMEOUT_S = 900.0


def free_port() -> int:
    """A port nobody listens on now, for the suite's mail sink (which binds it later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scenario_count() -> int:
    """Scenarios as pytest-bdd binds them: one per scenario, one per row of an outline's examples."""
    return sum(
        sum(len(list(examples.as_contexts())) for examples in scenario.examples) or 1
        for feature in get_features([str(ROOT / "features")])
        for scenario in feature.scenarios.values()
    )


class AltPortal:
    """`python -m tests.alt_portal` in a child process, started when it says `ready`."""

    def __init__(self, smtp_port: int) -> None:
        self.token = secrets.token_urlsafe(24)
        self.smtp_port = smtp_port
        self.url = ""
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.alt_portal", "--port", "0", "--smtp", f"127.0.0.1:{smtp_port}",
             f"--control-token={self.token}"],  # one argument: a token may start with "-"
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        assert self._process.stdout is not None
        self._reader = threading.Thread(target=self._pump, args=(self._process.stdout,), daemon=True)
        self._reader.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line)
        self._lines.put(None)

    def wait_ready(self) -> None:
        while True:
            try:
                line = self._lines.get(timeout=START_TIMEOUT_S)
            except queue.Empty:
                raise AssertionError(f"the alt portal did not say ready within {START_TIMEOUT_S}s: {self.output}") from None
            if line is None:
                raise AssertionError(f"the alt portal exited on start: {''.join(self.output)}")
            self.output.append(line)
            if line.startswith("ready "):
                self.url = line.split()[1]
                return

    def stop(self) -> str:
        """Stop the process; what it printed after `ready` (errors, tracebacks)."""
        if self._process.poll() is None:
            self._process.terminate()
        self._process.wait(timeout=10)
        self._reader.join(timeout=10)
        assert self._process.stdout is not None
        self._process.stdout.close()
        while (line := self._lines.get_nowait() if not self._lines.empty() else None) is not None:
            self.output.append(line)
        return "".join(self.output)


@pytest.fixture
def alt_portal() -> Iterator[AltPortal]:
    portal = AltPortal(smtp_port=free_port())
    try:
        portal.wait_ready()
        yield portal
    finally:
        portal.stop()


@pytest.fixture
def control(alt_portal: AltPortal) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {alt_portal.token}"}
    with httpx.Client(base_url=alt_portal.url, headers=headers, timeout=10) as client:
        yield client


def test_the_control_api_needs_the_token(alt_portal: AltPortal) -> None:
    with httpx.Client(base_url=alt_portal.url, timeout=10) as anonymous:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            answer = anonymous.get("/control/capabilities", headers=headers)
            assert answer.status_code == 401
            assert answer.json()["error"] and answer.json()["detail"]


def test_the_control_api_answers_as_contract_v1(control: httpx.Client) -> None:
    assert control.get("/control/capabilities").json() == {"contract": "1", "password_login": True, "clock": True}
    assert control.get("/control/sites/nosuchsite/policy").status_code == 404
    site = control.post("/control/sites")
    assert site.status_code == 201 and site.json()["portal_url"].endswith(f"/portal/{site.json()['id']}")
    base = f"/control/sites/{site.json()['id']}"
    assert control.put(f"{base}/policy", json={"colour": "red"}).status_code == 422
    assert control.put(f"{base}/policy", json={"login_link_ttl_s": -1}).status_code == 422
    assert control.put(f"{base}/policy", json={"login_link_ttl_s": 600}).json()["login_link_ttl_s"] == 600
    assert control.post(f"{base}/customers", json={"email": "not an address"}).status_code == 422
    ada = control.post(f"{base}/customers", json={"email": "ada@example.com", "first_name": "Ada", "last_name": "L"})
    assert ada.status_code == 201 and ada.json()["email_verified"] is False
    again = {"email": "ADA@example.com", "first_name": "Ada", "last_name": "L"}
    assert control.post(f"{base}/customers", json=again).status_code == 409
    assert control.get(f"{base}/customers/999").status_code == 404
    assert control.delete(f"{base}/customers/{ada.json()['id']}/invitations").status_code == 422
    assert control.put(f"{base}/customers/{ada.json()['id']}/password", json={"password": "pw-123456"}).status_code == 422
    assert control.post(f"{base}/clock/advance", json={"seconds": 0}).status_code == 422
    assert control.post(f"{base}/clock/advance", json={"seconds": 60}).status_code == 200
    assert control.delete(base).status_code == 204
    assert control.get(f"{base}/policy").status_code == 404


def concrete_profile(folder: Path, control_url: str, sink_port: int) -> Path:
    """The shipped profile with the run's control URL and sink port filled in."""
    text = PROFILE.read_text(encoding="utf-8")
    text = re.sub(r'(?m)^control_url = ".*"$', f'control_url = "{control_url}"', text, count=1)
    text = re.sub(r"(?m)^port = \d+$", f"port = {sink_port}", text, count=1)
    written = tomllib.loads(text)
    assert written["target"]["control_url"] == control_url and written["sink"]["port"] == sink_port
    path = folder / "alt_portal.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_whole_suite_passes_against_the_alt_portal_on_two_workers(alt_portal: AltPortal, tmp_path: Path) -> None:
    """Two workers against a vendor's portal: the controller runs the one sink the portal sends
    to, and both workers read it over HTTP (a second sink on the same port could not bind)."""
    profile = concrete_profile(tmp_path, alt_portal.url, alt_portal.smtp_port)
    token_env = tomllib.loads(profile.read_text(encoding="utf-8"))["target"]["control_token_env"]
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_XDIST", "PYTEST_CURRENT"))}
    env[token_env] = alt_portal.token
    finished = subprocess.run(
        [sys.executable, "-m", "portalcheck.cli", "run", "--profile", str(profile), "--reports", str(tmp_path / "reports"),
         "-n", "2", "--", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=SUITE_TIMEOUT_S,
    )
    output = finished.stdout + finished.stderr
    portal_said = alt_portal.stop()
    assert finished.returncode == 0, f"the suite failed against the alt portal:\n{output[-20000:]}\nportal:\n{portal_said}"
    (run_dir,) = [path for path in (tmp_path / "reports").iterdir() if path.is_dir() and not path.is_symlink()]
    summary = json.loads((run_dir / "summary.json").read_text())
    expected = scenario_count()
    assert summary["scenarios"] == {"total": expected, "by_outcome": {"passed": expected}}, (
        f"expected all {expected} scenarios to pass, nothing skipped: {summary['scenarios']}"
    )
    assert summary["verdicts"] == {"PASS": len(summary["rules"])} and summary["conformant"], summary["verdicts"]
    for produced in ("index.html", "junit.xml", "cucumber.json", "results.json"):
        assert (run_dir / produced).exists(), f"the run wrote no {produced}"
    assert "Traceback" not in portal_said, portal_said
