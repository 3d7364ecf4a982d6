"""The suite's command-line options and markers, and whether a pytest run is a run of record."""

from __future__ import annotations

import pytest

from .. import chromium, rules

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


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    for rule in rules.load():
        config.addinivalue_line("markers", f"{rule.id}: {rule.level} — {rule.text}")
    for level in LEVEL_MARKS:
        config.addinivalue_line("markers", f"{level}: a rule of level {level.upper()}")
    for mark, capability in CAPABILITY_MARKS.items():
        config.addinivalue_line("markers", f"{mark}: needs the target capability {capability}")


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def keeps_a_record(config: pytest.Config) -> bool:
    """A run of record writes a run folder: one given a folder or a profile, and not collect-only.

    A developer's plain `pytest features -k MU-3` leaves nothing behind; its evidence goes to a
    temporary folder named in the failure.
    """
    wanted = bool(config.getoption("run_dir") or config.getoption("profile"))
    return wanted and not config.getoption("collectonly")
