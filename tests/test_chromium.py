"""Which Chromium the suite drives: the one asked for, else Debian's headless shell, else chromium."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portalcheck import chromium

ROOT = Path(__file__).resolve().parent.parent


def executable(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(chromium.ENV, raising=False)


def test_the_option_wins_over_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(chromium.ENV, str(executable(tmp_path, "from-env")))
    assert chromium.find(str(executable(tmp_path, "from-option"))) == tmp_path / "from-option"


def test_the_environment_wins_over_the_debian_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(chromium.ENV, str(executable(tmp_path, "from-env")))
    monkeypatch.setattr(chromium, "CANDIDATES", (str(executable(tmp_path, "shell")),))
    assert chromium.find() == tmp_path / "from-env"


def test_the_headless_shell_comes_before_the_full_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_env: None) -> None:
    shell, full = executable(tmp_path, "shell"), executable(tmp_path, "full")
    monkeypatch.setattr(chromium, "CANDIDATES", (str(shell), str(full)))
    assert chromium.find() == shell
    shell.unlink()
    assert chromium.find() == full


@pytest.mark.parametrize("source", ["option", "environment"])
def test_a_path_asked_for_must_be_an_executable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str) -> None:
    not_executable = tmp_path / "chromium"
    not_executable.write_text("")
    if source == "environment":
        monkeypatch.setenv(chromium.ENV, str(not_executable))
    with pytest.raises(chromium.ChromiumNotFound, match=f"{'--chromium' if source == 'option' else chromium.ENV}: .* is not an executable"):
        chromium.find(str(not_executable) if source == "option" else None)


def test_no_chromium_at_all_says_how_to_get_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_env: None) -> None:
    monkeypatch.setattr(chromium, "CANDIDATES", (str(tmp_path / "none"),))
    with pytest.raises(chromium.ChromiumNotFound, match="install Debian's chromium-headless-shell"):
        chromium.find()


def test_a_missing_chromium_stops_the_run_before_any_scenario(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "features", "--chromium", str(tmp_path / "nowhere"), "-q",
         "-p", "no:cacheprovider", "--run-dir", str(tmp_path / "run")],
        capture_output=True, text=True, cwd=ROOT, timeout=120, env=os.environ,
    )
    assert done.returncode == 4, done.stdout + done.stderr
    assert f"--chromium: {tmp_path / 'nowhere'} is not an executable file" in done.stderr
    assert "passed" not in done.stdout
