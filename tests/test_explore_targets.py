"""The explorer against the other portals and sinks a profile can name (issue 11: "any profiled
portal"): tests/alt_portal (server-rendered, another layout), tests/spa_portal (a single-page
app answering by fetch) and two of its faults, seen on its API's answers; a sink that requires
STARTTLS and AUTH, a sink service read over HTTP, and sinks that are a run problem.

Each test starts its portal as its own tests do (tests/portal_process.py) and a target of its own
(Playwright's sync API allows one instance a thread); a fixed seed and a small budget keep each
within seconds.
"""

from __future__ import annotations

import smtplib
import socket
import tomllib
from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner
from playwright.sync_api import Response

from fake_mail import MailSink, RemoteSink
from portalcheck import profile
from portalcheck.explore import actions as act
from portalcheck.explore import finding as findings
from portalcheck.explore.command import explore as explore_command
from portalcheck.explore.devices import Devices
from portalcheck.explore.machine import Run, explore
from portalcheck.explore.replay import replay
from portalcheck.explore.target import Target, open_target
from portalcheck.profile import REFERENCE
from tests import portal_process
from tests.portal_process import PortalProcess

ROOT = Path(__file__).resolve().parents[1]


def profile_of(portal: PortalProcess, module: str, folder: Path) -> tuple[Path, dict[str, str]]:
    """The portal's shipped profile with its address filled in, and the environment naming its token."""
    template = ROOT / "tests" / module.split(".")[-1] / "profile.toml"
    path = portal_process.concrete_profile(template, folder, portal.url, portal.smtp_port)
    return path, {tomllib.loads(path.read_text())["target"]["control_token_env"]: portal.token}


def walked(target: Target, *, walks: int, steps: int, budget_s: float, at_least: int) -> Run:
    """The walks, which must find nothing, and must have walked `at_least` steps to say so."""
    lines: list[str] = []
    run = explore(target, seed=11, walks=walks, steps=steps, time_budget_s=budget_s, progress=lines.append)
    assert run.failing is None, "\n".join(item.describe() for item in run.failing[1]) + f"\nafter {run.failing[0]}"
    assert run.steps >= at_least, f"the run hardly walked: {lines[-1:]}"
    return run


@pytest.fixture
def judged_loads(monkeypatch: pytest.MonkeyPatch) -> list[Response]:
    """Every answer a step judged (status, cookies, headers), as the walk handed it to its devices."""
    seen: list[Response] = []
    judge = Devices.http_problems

    def recording(self: Devices, responses: list[Response], **options: Any) -> Any:
        seen.extend(responses)
        return judge(self, responses, **options)

    monkeypatch.setattr(Devices, "http_problems", recording)
    return seen


@pytest.mark.parametrize("module", ["tests.alt_portal", "tests.spa_portal"])
def test_explore_finds_nothing_on_another_correct_portal(module: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         judged_loads: list[Response]) -> None:
    for portal in portal_process.started(module):
        path, env = profile_of(portal, module, tmp_path)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        with open_target(profile.load(path)) as target:
            walked(target, walks=6, steps=10, budget_s=25, at_least=40)
        said = portal.stop()
        assert "Traceback" not in said, said
    kinds = {response.request.resource_type for response in judged_loads}
    # The single-page app answers by fetch: those answers are what a step judges there.
    assert "document" in kinds and ("fetch" in kinds) == (module == "tests.spa_portal"), kinds


def test_explore_takes_the_password_forms_and_races_of_the_single_page_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not drawn but taken, as a finding is replayed: password logins turned on, a password signing
    her in on a new device, a wrong one, a login link opened on two devices at once; each agreeing
    with the model. (They wait on every channel through `Devices.submit` and `goto_together`: a
    wait for a page load read the sign-in view, still drawn after `history.pushState`, as the answer.)"""
    actions = [act.AddCustomer("Ada"), act.Invite("Ada"), act.OpenEmailLink("Ada", "laptop", "invitation"),
               act.SetPolicy("password_login_enabled", True), act.SetPassword("Ada"), act.SignInWithPassword("Ada", "phone"),
               act.TryWrongPassword("Ada"), act.AskForLoginLink("Ada", "laptop"), act.OpenLinkOnTwoDevices("Ada")]
    for portal in portal_process.started("tests.spa_portal"):
        path, env = profile_of(portal, "tests.spa_portal", tmp_path)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        with open_target(profile.load(path)) as target:
            again = replay(target, actions)
        assert [action.kind for action in again.taken] == [action.kind for action in actions], [item.describe() for item in again.found]
        assert again.found == [], "\n".join(item.describe() for item in again.found)


@pytest.mark.parametrize("module", ["tests.alt_portal", "tests.spa_portal"])
def test_a_form_posted_from_another_site_agrees_with_the_model_on_another_portal(
    module: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SEC-4 as a walk takes it, on a portal of another build: refused on a signed-in device and a
    new one, nothing sent, and nothing counted towards LL-8 (the sixth request gets its link)."""
    actions = [act.AddCustomer("Ada"), act.Invite("Ada"), act.OpenEmailLink("Ada", "laptop", "invitation"),
               *[act.AskForLoginLinkFromAnotherSite("Ada", "laptop")] * 3, *[act.AskForLoginLinkFromAnotherSite("Ada", "phone")] * 2,
               act.AskForLoginLink("Ada", "phone")]
    for portal in portal_process.started(module):
        path, env = profile_of(portal, module, tmp_path)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        with open_target(profile.load(path)) as target:
            again = replay(target, actions)
        assert again.found == [], "\n".join(item.describe() for item in again.found)
        assert len(again.taken) == len(actions)


def test_explore_finds_a_fault_of_the_single_page_app_on_its_api(tmp_path: Path) -> None:
    """tests/spa_portal's `ses5_no_samesite` sets its session cookie without SameSite, and only
    ever on a fetch answer: exploring alone finds it, as SES-5, and writes the scenario."""
    for portal in portal_process.started("tests.spa_portal", ("--fault=ses5_no_samesite",)):
        path, env = profile_of(portal, "tests.spa_portal", tmp_path)
        found = CliRunner().invoke(explore_command, ["--profile", str(path), "--seed", "1", "--walks", "10", "--steps", "8",
                                                     "--time-budget", "10", "--out", str(tmp_path / "found")], env=env)
        assert found.exit_code == 1, found.output
        saved = findings.load(tmp_path / "found" / "SES-5-seed1.json")
        assert {item["channel"].split(":")[0] for item in saved.contradictions} == {"cookies"}, saved.contradictions
        assert "SameSite" not in saved.contradictions[0]["observed"] and "@SES-5 @should" in saved.feature, saved.feature


def test_a_server_error_of_the_single_page_apps_api_is_found_where_the_page_was_a_200(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """tests/spa_portal's `sec5_server_error` answers a malformed token with a 500 from its API,
    under a shell page that is a 200: a garbled invitation link is a SEC-5 finding on its status.
    (Replayed, not drawn: seed 1 draws no garbled link within 40 s.)"""
    for portal in portal_process.started("tests.spa_portal", ("--fault=sec5_server_error",)):
        path, env = profile_of(portal, "tests.spa_portal", tmp_path)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        with open_target(profile.load(path)) as target:
            again = replay(target, [act.AddCustomer("Ada"), act.Invite("Ada"), act.OpenEmailLink("Ada", "laptop", "invitation", damage="garbled")])
    assert [(item.rule, item.channel) for item in again.found] == [("SEC-5", "status:Ada's laptop")], again.found
    assert again.found[0].observed.startswith("500 from ") and "/api/" in again.found[0].observed, again.found[0].observed


def relay_profile(folder: Path, sink_lines: str) -> Path:
    """The reference profile with more `[sink]` lines (as tests/test_relay_profile.py writes it)."""
    path = folder / "sink.toml"
    path.write_text(REFERENCE.read_text().replace("port = 0", f"port = 0\n{sink_lines}", 1))
    return path


def test_explore_delivers_through_a_sink_that_requires_starttls_and_auth(tmp_path: Path) -> None:
    with open_target(profile.load(relay_profile(tmp_path, 'starttls = "require"\nauth = "qa:s3cret"'))) as target:
        with smtplib.SMTP(target.sink.host, target.sink.smtp_port, timeout=10) as plain:
            plain.ehlo()
            assert plain.mail("someone@example.com")[0] == 530  # the sink takes no mail in the clear
        walked(target, walks=3, steps=8, budget_s=15, at_least=12)
        assert target.sink.messages(), "the walks' emails came through STARTTLS and AUTH"


def test_explore_reads_a_sink_service_named_by_sink_api(tmp_path: Path) -> None:
    with MailSink(http_port=0) as service:
        path = relay_profile(tmp_path, f'api = "{service.http_url}"')
        path.write_text(path.read_text().replace("port = 0", f"port = {service.smtp_port}", 1))
        with open_target(profile.load(path)) as target:
            assert isinstance(target.sink, RemoteSink)
            walked(target, walks=3, steps=6, budget_s=10, at_least=8)
        assert service.messages(), "the walks read their emails from the sink service"


def test_a_sink_service_that_does_not_answer_is_a_run_problem(tmp_path: Path) -> None:
    path = relay_profile(tmp_path, f'api = "http://127.0.0.1:{portal_process.free_port()}"')
    done = CliRunner().invoke(explore_command, ["--profile", str(path), "--time-budget", "5"])
    assert done.exit_code == 2 and "explore: [sink] api: fake_mail at http://127.0.0.1:" in done.output, done.output


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])


def test_a_sink_that_cannot_listen_is_a_run_problem(tmp_path: Path, taken_port: int) -> None:
    path = relay_profile(tmp_path, 'starttls = "offer"')
    path.write_text(path.read_text().replace("port = 0", f"port = {taken_port}", 1))
    done = CliRunner().invoke(explore_command, ["--profile", str(path), "--time-budget", "5"])
    assert done.exit_code == 2 and f"explore: [sink] cannot listen on 127.0.0.1:{taken_port}" in done.output, done.output
