"""The suite's command-line options, and what they make of a pytest run: whether the suite is on
at all, and whether the run keeps a record."""

from __future__ import annotations

import pytest

from .. import chromium
from ..profile import Profile, ProfileError, load


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("portalcheck", type="bool", default=False,
                  help="turn the portalcheck suite (its fixtures, steps and checks) on for this project")
    group = parser.getgroup("portalcheck")
    group.addoption("--profile", default=None, help="target profile (TOML); default: the bundled simulator")
    group.addoption(
        "--run-dir", default=None,
        help="folder for this run's results and evidence (default with --profile: ./reports/<time>)",
    )
    group.addoption(
        "--simulator-fault", action="append", default=[], metavar="NAME",
        help="start the bundled simulator with this fault switched on (to prove the suite has teeth)",
    )
    group.addoption(
        "--chromium", default=None, metavar="PATH",
        help=f"the Chromium to drive (default: ${chromium.ENV}, else {' or '.join(chromium.CANDIDATES)})",
    )
    group.addoption(
        "--browser-ws", default=None, metavar="URL",
        help="drive the browser of a Playwright server (`playwright run-server`) at this ws:// URL instead of a local Chromium",
    )
    group.addoption("--shard", default=None, metavar="K/N", help="run only the K-th of N deterministic parts of the scenarios")
    group.addoption(
        "--shard-durations", default=None, metavar="RESULTS_JSON",
        help="balance the shards by the scenario durations in an earlier run's results.json (default: by count)",
    )


_PROFILE = pytest.StashKey[Profile]()


def load_profile(config: pytest.Config) -> Profile:
    """The run's profile, read and checked once (every scenario's set-up asks for it)."""
    if _PROFILE not in config.stash:
        try:
            config.stash[_PROFILE] = load(config.getoption("profile"))
        except ProfileError as error:
            raise pytest.UsageError(str(error)) from None
    return config.stash[_PROFILE]


def is_on(config: pytest.Config) -> bool:
    """Installed, the plugin is known to every pytest run; it acts only in runs that ask for it."""
    asked = config.getoption("profile") or config.getoption("run_dir") or config.getoption("simulator_fault")
    return bool(asked or config.getini("portalcheck"))


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def keeps_a_record(config: pytest.Config) -> bool:
    """A run of record writes a run folder: one given a folder or a profile, and not collect-only.

    A developer's plain `pytest features -k MU-3` leaves nothing behind; its evidence goes to a
    temporary folder named in the failure.
    """
    wanted = bool(config.getoption("run_dir") or config.getoption("profile"))
    return wanted and not config.getoption("collectonly")
