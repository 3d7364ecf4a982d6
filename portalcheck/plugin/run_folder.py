"""Where a run of record leaves its results: results.json, JUnit XML, cucumber JSON, evidence."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from .. import bundled
from ..merge import features_digest, run_manifest, write_run_manifest
from ..results import ResultCollector
from ..run_folders import new_run_folder
from ..shards import parse_shard
from .options import is_worker, keeps_a_record, load_profile


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
    write_run_manifest(run_dir, describe_run(config))


def describe_run(config: pytest.Config) -> dict[str, Any]:
    """run.json: what ran (suite, profile, features and steps, shard, selection), for merge and bundle."""
    profile = load_profile(config)
    shard, durations = config.getoption("shard"), config.getoption("shard_durations")
    selection = [*(["-k", config.option.keyword] if config.option.keyword else []),
                 *(["-m", config.option.markexpr] if config.option.markexpr else [])]
    return run_manifest(
        profile_path=profile.path, profile_name=profile.name,
        shard=parse_shard(shard) if shard else None,
        features_digest=features_digest(suite_sources(), root=bundled.features().parent),
        pytest_args=selection, durations_path=Path(durations) if durations else None,
    )


def suite_sources() -> list[Path]:
    """The files whose text decides what a run checks: the bundled features and the steps."""
    return [bundled.features(), bundled.steps()]


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """A folder this run made and in which no scenario ran is taken away again."""
    collector = config.pluginmanager.get_plugin(RESULTS)
    if config.stash.get(_MADE_HERE, False) and collector is not None and not collector.results:
        shutil.rmtree(config.option.run_dir, ignore_errors=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    """A run that checked nothing says so in words, not only by pytest's exit status 5."""
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and not is_worker(config):
        terminalreporter.write_line("portalcheck: no scenario was selected: nothing was checked", red=True)


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
