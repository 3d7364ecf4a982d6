"""The markers a run of the suite knows (a rule ID, a contract check's ID, a level, a capability), and its shard."""

from __future__ import annotations

from pathlib import Path

import pytest

from .. import rules
from ..shards import ShardError, ShardSelector

CAPABILITY_MARKS = {"password": "password_login", "clock": "clock"}
LEVEL_MARKS = ("must", "should", "ref")
# A scenario `portalcheck explore` found and wrote, pasted into features/ as it came.
EXPLORED_MARK = "explored"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.option.strict_markers = True  # a tag nobody registered is an error, in QA's features too
    for rule in rules.load():
        config.addinivalue_line("markers", f"{rule.id}: {rule.level} — {rule.text}")
    for check in rules.contract_checks():
        config.addinivalue_line("markers", f"{check.id}: a contract check, not a rule of the policy — {check.text}")
    for level in LEVEL_MARKS:
        config.addinivalue_line("markers", f"{level}: a rule of level {level.upper()}")
    for mark, capability in CAPABILITY_MARKS.items():
        config.addinivalue_line("markers", f"{mark}: needs the target capability {capability}")
    config.addinivalue_line("markers", f"{EXPLORED_MARK}: a scenario portalcheck explore found and wrote")
    if config.getoption("shard"):
        # In every process: under xdist the workers collect, and each computes the same split.
        durations = config.getoption("shard_durations")
        try:
            selector = ShardSelector.from_options(config.getoption("shard"), Path(durations) if durations else None)
        except ShardError as error:
            raise pytest.UsageError(f"--shard: {error}") from None
        config.pluginmanager.register(selector, "portalcheck-shard")
