"""A second portal, written apart from the simulator, passes the whole suite (issue 5).

It has another URL layout, other markup and other email subjects, and its own profile: when the
suite passes against it too, the steps depend on CONTRACT v1 and the profile only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from pytest_bdd.feature import get_features

from tests import portal_process
from tests.portal_process import PortalProcess

pytestmark = pytest.mark.long(80)  # seconds, in CI: see tests/conftest.py

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "tests" / "alt_portal" / "profile.toml"
SUITE_TIMEOUT_S = 900.0


def scenario_count() -> int:
    """Scenarios as pytest-bdd binds them: one per scenario, one per row of an outline's examples."""
    return sum(
        sum(len(list(examples.as_contexts())) for examples in scenario.examples) or 1
        for feature in get_features([str(ROOT / "features")])
        for scenario in feature.scenarios.values()
    )


@pytest.fixture
def alt_portal() -> Iterator[PortalProcess]:
    yield from portal_process.started("tests.alt_portal")


@pytest.fixture
def control(alt_portal: PortalProcess) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {alt_portal.token}"}
    with httpx.Client(base_url=alt_portal.url, headers=headers, timeout=10) as client:
        yield client


def test_the_control_api_needs_the_token(alt_portal: PortalProcess) -> None:
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
    return portal_process.concrete_profile(PROFILE, folder, control_url, sink_port)


def test_the_whole_suite_passes_against_the_alt_portal_on_two_workers(alt_portal: PortalProcess, tmp_path: Path) -> None:
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
    # Its management URL names no customer (a link id and a signature): MU-8's URL "altered to
    # name Ben" has nothing to alter, and is the one scenario not applicable.
    assert summary["scenarios"] == {"total": expected, "by_outcome": {"passed": expected - 1, "not_applicable": 1}}, (
        f"expected all {expected} scenarios but one to pass, nothing skipped: {summary['scenarios']}"
    )
    skipped = {scenario["name"] for rule in summary["rules"] for scenario in rule["scenarios"] if scenario["outcome"] == "not_applicable"}
    assert skipped == {"A management URL altered to name another customer grants nothing"}, skipped
    assert summary["verdicts"] == {"PASS": len(summary["rules"])} and summary["conformant"], summary["verdicts"]
    for produced in ("index.html", "junit.xml", "cucumber.json", "results.json"):
        assert (run_dir / produced).exists(), f"the run wrote no {produced}"
    assert "Traceback" not in portal_said, portal_said
