"""Which Chromium the suite drives, and the flags it needs in this sandbox.

Debian's headless shell is preferred to its full Chromium run headless: the suite only ever runs
headless, and the shell spends about 40% of the CPU seconds per suite run (63 against 162, with
the same 74 scenarios passing), which halves the run's wall time on a 2-core machine.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from playwright.sync_api import Browser, Playwright

ENV = "PORTALCHECK_CHROMIUM"
# Both from Debian's chromium source package; Playwright's own browser download cannot work here.
CANDIDATES = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
ARGS = [
    # No sandbox as root, and no calls home (the network is closed: they fail, many at a time).
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # Software compositing in the browser process: one process fewer per worker.
    "--in-process-gpu",
]


class ChromiumNotFound(Exception):
    pass


def find(explicit: str | None = None) -> Path:
    """`explicit` (the --chromium option), else $PORTALCHECK_CHROMIUM, else Debian's headless
    shell, else Debian's chromium. A path that was asked for by name must be an executable."""
    asked = explicit or os.environ.get(ENV)
    if asked:
        path = Path(asked)
        if not (path.is_file() and os.access(path, os.X_OK)):
            source = "--chromium" if explicit else ENV
            raise ChromiumNotFound(f"{source}: {asked} is not an executable file")
        return path
    for candidate in CANDIDATES:
        if os.access(candidate, os.X_OK):
            return Path(candidate)
    raise ChromiumNotFound(
        f"no Chromium found at {' or '.join(CANDIDATES)}: install Debian's chromium-headless-shell"
        f" (./dev setup does), or name one with --chromium PATH or {ENV}"
    )


def launch(playwright: Playwright, executable: Path) -> Browser:
    return playwright.chromium.launch(executable_path=str(executable), args=ARGS, headless=True)


def connect(playwright: Playwright, ws_url: str, executable: Path) -> Browser:
    """A browser of a Playwright server (`playwright run-server --unsafe`), started there from
    `executable` (a path on the server's machine) with the suite's flags.

    Playwright's own browser download cannot work here, so the server must launch a Chromium it
    already has; a run-server takes the client's executablePath and args only with `--unsafe`.
    """
    options = {"executablePath": str(executable), "args": ARGS, "headless": True}
    return playwright.chromium.connect(ws_url, headers={"x-playwright-launch-options": json.dumps(options)})


def describe(executable: Path, browser: Browser, ws_url: str | None = None) -> str:
    """For the report: which build ran the scenarios, and where."""
    where = f" on the Playwright server at {ws_url}" if ws_url else ""
    return f"{executable.name} {browser.version} ({executable}){where}"
