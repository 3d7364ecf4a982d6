"""The suite's command-line options and markers, and whether a pytest run is a run of record."""

from __future__ import annotations

from pathlib import Path

import pytest

from .. import chromium, rules
from ..profile import Profile, ProfileError, load
from ..shards import ShardError, ShardSelector

CAPABILITY_MARKS = {"password": "password_login", "clock": "clock"}
LEVEL_MARKS = ("must", "should", "ref")


def pytest_addoption(parser: pytest.Parser) -> None:
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


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    for rule in rules.load():
        config.addinivalue_line("markers", f"{rule.id}: {rule.level} — {rule.text}")
    for level in LEVEL_MARKS:
        config.addinivalue_line("markers", f"{level}: a rule of level {level.upper()}")
    for mark, capability in CAPABILITY_MARKS.items():
        config.addinivalue_line("markers", f"{mark}: needs the target capability {capability}")
    if config.getoption("shard"):
        # In every process: under xdist the workers collect, and each computes the same split.
        durations = config.getoption("shard_durations")
        try:
            selector = ShardSelector.from_options(config.getoption("shard"), Path(durations) if durations else None)
        except ShardError as error:
            raise pytest.UsageError(f"--shard: {error}") from None
        config.pluginmanager.register(selector, "portalcheck-shard")


def load_profile(config: pytest.Config) -> Profile:
    try:
        return load(config.getoption("profile"))
    except ProfileError as error:
        raise pytest.UsageError(str(error)) from None


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def keeps_a_record(config: pytest.Config) -> bool:
    """A run of record writes a run folder: one given a folder or a profile, and not collect-only.

    A developer's plain `pytest features -k MU-3` leaves nothing behind; its evidence goes to a
    temporary folder named in the failure.
    """
    wanted = bool(config.getoption("run_dir") or config.getoption("profile"))
    return wanted and not config.getoption("collectonly")
