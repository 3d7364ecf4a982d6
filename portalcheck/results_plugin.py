"""`pytest -p portalcheck.results_plugin`: write `<run-dir>/results.json`, as `portalcheck run` does.

For runs started as plain pytest processes (the teeth check), where no caller can hand pytest a
`ResultCollector` object. Only the controller collects: under xdist the workers' reports come to it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .results import ResultCollector


@pytest.hookimpl(trylast=True)  # after portalcheck.plugin has settled the run folder
def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    run_dir = getattr(config.option, "run_dir", None)
    if run_dir is None:
        raise pytest.UsageError("portalcheck.results_plugin needs --run-dir (or the portalcheck plugin)")
    config.pluginmanager.register(ResultCollector(Path(run_dir) / "results.json"), "portalcheck-results")
