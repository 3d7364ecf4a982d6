"""A single-page-app portal is judged as fairly as a server-rendered one (issue 9, point 9).

`tests/spa_portal` draws every view in the browser from a JSON API: forms go out by fetch, cookies
come on fetch responses, a refusal is a 4xx on the API call while the page was a 200, and the
script takes the token out of the address bar. Correct in every rule, it must pass the whole
suite through its own profile; with one of its faults on, the suite must still catch the rule.
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
from playwright.sync_api import Browser, Route

from portalcheck import profile, report, rules
from portalcheck.steps.screenplay.devices import PageState, new_device
from tests import portal_process
from tests.portal_process import PortalProcess
from tests.spa_portal.faults import FAULTS

pytestmark = pytest.mark.long(150)  # seconds, in CI: see tests/conftest.py

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "tests" / "spa_portal" / "profile.toml"
SUITE_TIMEOUT_S = 900.0
LEVELS = {rule.id: rule.level for rule in rules.load()}


def started(faults: tuple[str, ...] = ()) -> Iterator[PortalProcess]:
    return portal_process.started("tests.spa_portal", tuple(f"--fault={name}" for name in faults))


@pytest.fixture
def spa_portal() -> Iterator[PortalProcess]:
    yield from started()


@pytest.fixture
def control(spa_portal: PortalProcess) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {spa_portal.token}"}
    with httpx.Client(base_url=spa_portal.url, headers=headers, timeout=10) as client:
        yield client


def test_it_is_a_single_page_app(spa_portal: PortalProcess, control: httpx.Client) -> None:
    """What makes the suite's run against it worth anything: pages are one 200 shell without
    cookies, and answers, cookies and refusals come on the API."""
    site = control.post("/control/sites").json()
    base = site["portal_url"]
    ada = control.post(f"/control/sites/{site['id']}/customers", json={"email": "ada@example.com", "first_name": "Ada", "last_name": "L"})
    assert ada.status_code == 201
    with httpx.Client(timeout=10) as browser:
        pages = [browser.get(f"{base}/{path}") for path in ("signin", "account", "accept?t=" + "x" * 30, "manage?l=1")]
        assert {page.status_code for page in pages} == {200} and len({page.text for page in pages}) == 1
        assert all("set-cookie" not in page.headers for page in pages)
        json_headers = {"Content-Type": "application/json"}
        refused = browser.post(f"{base}/api/links/signin", json={"token": "y" * 30}, headers=json_headers)
        assert refused.status_code == 400 and refused.json()["error"] == "invalid"
        assert "SameSite=Lax" in refused.headers["set-cookie"] and "HttpOnly" in refused.headers["set-cookie"]
        assert browser.post(f"{base}/api/login-link", json={"email": "no at sign"}).status_code == 400
        sent = browser.post(f"{base}/api/login-link", json={"email": "ada@example.com"})
        assert sent.status_code == 200 and sent.json() == {"to": "ada@example.com"}
        # A form posted from another site can send neither JSON nor a same-origin request (SEC-4).
        forged = browser.post(f"{base}/api/login-link", data={"email": "ada@example.com"}, headers={"Sec-Fetch-Site": "cross-site"})
        assert forged.status_code == 403
        assert browser.post(f"{base}/signin", data={"email": "ada@example.com"}).status_code == 405


# A sign-in page that sends its form by fetch and draws the refusal in place, under the same
# heading: the view before the action shows the same page marker as its answer.
DRAWS_IN_PLACE = """<!doctype html><html lang="en"><head><title>Sign in</title></head><body><main>
<h1>Sign in to billing</h1><form aria-label="Email me a sign-in link"><label for="e">Your email address</label>
<input id="e" name="email"><button type="submit">Email me a link</button></form></main><script>
document.querySelector("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = JSON.stringify(Object.fromEntries(new FormData(event.target)));
  const answer = await fetch("/api/login-link", {method: "POST", headers: {"Content-Type": "application/json"}, body});
  const refusal = (await answer.json()).detail;
  document.querySelector("main").innerHTML = `<h1>Sign in to billing</h1><p role="alert">${refusal}</p>`;
});
</script></body></html>"""


def test_a_device_judges_the_answer_a_page_draws_in_place(browser: Browser, tmp_path: Path) -> None:
    """The view after a form sent by fetch, and its status: not the page's 200, not the view
    before the action. (Cookies on fetch responses: SES-5 against the app, with and without its fault.)"""

    def serve(route: Route) -> None:
        if route.request.url.endswith("/api/login-link"):
            route.fulfill(status=400, json={"detail": "Enter a valid email address."})
        else:
            route.fulfill(status=200, body=DRAWS_IN_PLACE, content_type="text/html")

    device = new_device("laptop", browser, profile.load(concrete_profile(tmp_path, "http://127.0.0.1:1", 2525)))
    try:
        device.context.route("http://portal.test/**", serve)
        device.open("http://portal.test/signin")
        device.submit("login_link_form", {"login_link_email": "not an address"}, "login_link_submit")
        assert "Enter a valid email address." in device.page.locator("main").inner_text()
        assert device.state() is PageState.SIGNED_OUT
        assert [answer.status for answer in device.answers_carrying("not an address")] == [400]
        assert device.final_status() == 400 and [r.status for r in device.responses] == []
    finally:
        device.close()


def concrete_profile(folder: Path, control_url: str, sink_port: int) -> Path:
    return portal_process.concrete_profile(PROFILE, folder, control_url, sink_port)


def run_suite(portal: PortalProcess, folder: Path, *pytest_args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    """The suite against `portal` through its profile, on one worker; its run and summary."""
    profile = concrete_profile(folder, portal.url, portal.smtp_port)
    token_env = tomllib.loads(profile.read_text(encoding="utf-8"))["target"]["control_token_env"]
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_XDIST", "PYTEST_CURRENT"))}
    env[token_env] = portal.token
    finished = subprocess.run(
        [sys.executable, "-m", "portalcheck.cli", "run", "--profile", str(profile), "--reports", str(folder / "reports"),
         "--", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", *pytest_args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=SUITE_TIMEOUT_S,
    )
    summaries = [path / "summary.json" for path in (folder / "reports").iterdir() if path.is_dir() and not path.is_symlink()]
    assert len(summaries) == 1 and summaries[0].exists(), (
        f"the run wrote no summary: {summaries}\n{(finished.stdout + finished.stderr)[-8000:]}"
    )
    return finished, json.loads(summaries[0].read_text())


def test_the_whole_suite_passes_against_the_spa_portal(spa_portal: PortalProcess, tmp_path: Path) -> None:
    finished, summary = run_suite(spa_portal, tmp_path)
    output = finished.stdout + finished.stderr
    portal_said = spa_portal.stop()
    assert finished.returncode == 0, f"the suite failed against the SPA portal:\n{output[-20000:]}\nportal:\n{portal_said}"
    outcomes, total = summary["scenarios"]["by_outcome"], summary["scenarios"]["total"]
    # Its management URL names no customer: MU-8's URL "altered to name Ben" is not applicable.
    assert outcomes == {"passed": total - 1, "not_applicable": 1}, f"every scenario but one should pass, none skipped: {outcomes}"
    skipped = {scenario["name"] for rule in summary["rules"] for scenario in rule["scenarios"] if scenario["outcome"] == "not_applicable"}
    assert skipped == {"A management URL altered to name another customer grants nothing"}, skipped
    assert summary["verdicts"] == {"PASS": len(summary["rules"])} and summary["conformant"], summary["verdicts"]
    assert "Traceback" not in portal_said, portal_said


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_fault_of_the_spa_fails_its_rule(fault: str, tmp_path: Path) -> None:
    """The rule's scenarios against the faulty app: the rule gets its level's verdict, by a check."""
    rule, _ = FAULTS[fault]
    expected = report.VERDICT_ON_FAILURE[LEVELS[rule]]
    for portal in started((fault,)):
        finished, summary = run_suite(portal, tmp_path, "-m", rule)
        output = (finished.stdout + finished.stderr)[-8000:]
        verdict = next((entry for entry in summary.get("rules", []) if entry["id"] == rule), {})
        assert verdict.get("verdict") == expected, f"{fault} should make {rule} {expected}, not {verdict.get('verdict')}:\n{output}"
        failed = [scenario for scenario in verdict["scenarios"] if scenario["outcome"] != "passed"]
        # Failed on a check of the rule ("failed", the portal's doing), not by accident: a crash
        # or a timeout in a step is an "error", the suite's.
        assert failed and all(scenario["outcome"] == "failed" for scenario in failed), failed
        assert not [scenario for scenario in failed if "Timeout" in scenario["message"]], failed
