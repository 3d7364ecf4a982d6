"""What a run of the explorer works against: the control API, the mail sink and a browser.

With the reference profile the bundled simulator is started here (with any fault switched on),
beside a mail sink of our own, as the suite's fixtures do; with a vendor's profile the control
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

from fake_mail import MailSink

from .. import chromium
from ..control import ControlClient
from ..profile import Profile
from ..reference import ReferencePortal


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
        if profile.is_reference:
            sink = MailSink(host=profile.sink_host, smtp_port=profile.sink_port)
            sink.start()
            stack.callback(sink.stop)
            fault_args = tuple(arg for name in faults for arg in ("--fault", name))
            try:
                portal = stack.enter_context(ReferencePortal(smtp_host=sink.host, smtp_port=sink.smtp_port, extra_args=fault_args))
            except RuntimeError as error:
                raise RunProblem(str(error)) from None
            url, token = portal.control_url, portal.token
            described = "the bundled simulator" + (f" with fault {', '.join(faults)}" if faults else "")
        else:
            if faults:
                raise RunProblem("--fault switches the bundled simulator's faults; this profile names a portal of its own")
            token = os.environ.get(profile.control_token_env, "")
            if not token:
                raise RunProblem(f"profile {profile.path}: set {profile.control_token_env} to the control token")
            sink = MailSink(host=profile.sink_host, smtp_port=profile.sink_port)
            try:
                sink.start()
            except OSError as error:
                raise RunProblem(f"[sink] cannot listen on {profile.sink_host}:{profile.sink_port}: {error}") from None
            stack.callback(sink.stop)
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
