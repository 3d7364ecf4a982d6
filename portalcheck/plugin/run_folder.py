"""Where a run of record leaves its results: results.json, JUnit XML, cucumber JSON, evidence."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from ..results import ResultCollector
from ..run_folders import new_run_folder
from .options import is_worker, keeps_a_record

RESULTS = "portalcheck-results"
_MADE_HERE = pytest.StashKey[bool]()
_EVIDENCE_ROOT = pytest.StashKey[Path]()


@pytest.hookimpl(tryfirst=True)  # before junitxml and pytest-bdd read their paths
def pytest_configure(config: pytest.Config) -> None:
    if is_worker(config):
        config.option.run_dir = config.workerinput["portalcheck_run_dir"]  # type: ignore[attr-defined]
        return
    if not keeps_a_record(config):
        config.option.run_dir = None
        return
    if not config.option.run_dir:
        config.option.run_dir = str(new_run_folder(Path.cwd() / "reports"))
        config.stash[_MADE_HERE] = True
    run_dir = Path(config.option.run_dir).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)  # pytest-bdd's cucumber writer does not make it
    config.option.run_dir = str(run_dir)
    config.option.xmlpath = config.option.xmlpath or str(run_dir / "junit.xml")
    config.option.cucumber_json_path = config.option.cucumber_json_path or str(run_dir / "cucumber.json")
    config.pluginmanager.register(ResultCollector(run_dir / "results.json"), RESULTS)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """A folder this run made and in which no scenario ran is taken away again."""
    collector = config.pluginmanager.get_plugin(RESULTS)
    if config.stash.get(_MADE_HERE, False) and collector is not None and not collector.results:
        shutil.rmtree(config.option.run_dir, ignore_errors=True)


def run_dir(config: pytest.Config) -> Path | None:
    return Path(config.option.run_dir) if config.option.run_dir else None


def evidence_root(config: pytest.Config) -> Path:
    """The run folder, or for a run that keeps no record, a temporary folder of its own."""
    folder = run_dir(config)
    if folder is not None:
        return folder
    if _EVIDENCE_ROOT not in config.stash:
        config.stash[_EVIDENCE_ROOT] = Path(tempfile.mkdtemp(prefix="portalcheck-evidence-"))
    return config.stash[_EVIDENCE_ROOT]
