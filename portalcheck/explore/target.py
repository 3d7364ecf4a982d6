"""What a run of the explorer works against: the control API, the mail sink and a browser.

The mail sink is the one `portalcheck run` reads (`portalcheck.sinks`): a sink service at the
profile's `[sink] api`, else one started here, plain SMTP or with the profile's STARTTLS and AUTH.
With the reference profile the bundled simulator is started here (with any fault switched on)
and sends to that sink as the suite's fixtures have it; with a vendor's profile the control
token comes from the environment variable the profile names.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from pathlib import Path
from typing import Any, Iterator

import httpx
from playwright.sync_api import Browser, sync_playwright

import fake_mail
from simulator.faults import Faults

from .. import chromium
from ..control import ControlClient
from ..profile import Profile
from ..reference import ReferencePortal
from ..sinks import SinkUnavailable, reference_delivery, running_sink


class RunProblem(RuntimeError):
    """The explorer could not do its part (exit status 2): not a finding about the portal."""


@dataclasses.dataclass
class Target:
    profile: Profile
    control: ControlClient
    sink: Any
    browser: Browser
    description: str


@contextlib.contextmanager
def open_target(profile: Profile, *, faults: tuple[str, ...] = (), chromium_path: str | None = None) -> Iterator[Target]:
    """Everything a walk needs, released on leaving: the simulator and sink when we started them."""
    with contextlib.ExitStack() as stack:
        if faults and not profile.is_reference:
            raise RunProblem("--fault switches the bundled simulator's faults; this profile names a portal of its own")
        try:
            Faults.named(faults)  # a misspelt fault is told here, before a simulator or a browser starts
        except ValueError as error:
            raise RunProblem(str(error)) from None
        token = "" if profile.is_reference else os.environ.get(profile.control_token_env, "")
        if not profile.is_reference and not token:
            raise RunProblem(f"profile {profile.path}: set {profile.control_token_env} to the control token")
        sink = _sink(profile, stack)
        if profile.is_reference:
            smtp_host, smtp_port, relay = reference_delivery(profile, sink)
            fault_args = tuple(arg for name in faults for arg in ("--fault", name))
            try:
                portal = stack.enter_context(ReferencePortal(smtp_host=smtp_host, smtp_port=smtp_port, extra_args=fault_args + relay))
            except RuntimeError as error:
                raise RunProblem(str(error)) from None
            url, token = portal.control_url, portal.token
            described = "the bundled simulator" + (f" with fault {', '.join(faults)}" if faults else "")
        else:
            url, described = profile.control_url, profile.name
        http = stack.enter_context(httpx.Client(timeout=10.0))
        control = ControlClient(url, token, http=http)
        try:
            executable = chromium.find(chromium_path)
        except chromium.ChromiumNotFound as error:
            raise RunProblem(str(error)) from None
        playwright = stack.enter_context(sync_playwright())
        browser = chromium.launch(playwright, Path(executable))
        stack.callback(browser.close)
        yield Target(profile, control, sink, browser, described)


def _sink(profile: Profile, stack: contextlib.ExitStack) -> Any:
    """The profile's sink, running (until `stack` closes) and answering, or a RunProblem that
    says which setting failed."""
    try:
        sink = stack.enter_context(running_sink(profile))
    except SinkUnavailable as error:
        raise RunProblem(str(error)) from None
    except ValueError as error:  # a sink the profile's settings cannot make (its certificate, say)
        raise RunProblem(f"[sink]: {error}") from None
    if profile.sink_api:
        try:
            sink.cursor()  # a sink service that does not answer would pass for a portal that sends no mail
        except fake_mail.SinkUnavailable as error:
            raise RunProblem(f"[sink] api: {error}") from None
    return sink
