"""The portalcheck command: clear errors for bad input, and `serve` that a person can use."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
from click.testing import CliRunner

from portalcheck.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_run_with_a_missing_profile_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["run", "--profile", "/nonexistent/profile.toml"])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_report_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert "results.json" in result.output and "explore/" in result.output
    assert not (tmp_path / "index.html").exists()


def test_report_takes_a_folder_of_explore_findings_alone(tmp_path: Path) -> None:
    from tests.test_report_explore import finding, write

    write(tmp_path, "MU-3-seed7.json", finding())
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 1, result.output  # the explorer found something: the portal failed
    assert "Found by exploring" in (tmp_path / "index.html").read_text()


def test_serve_prints_where_to_go_and_the_portal_answers() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "portalcheck.cli", "serve", "--port", "0", "--inbox-port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()  # type: ignore[union-attr]
    try:
        seen: dict[str, str] = {}
        while "demo" not in seen:
            line = lines.get(timeout=60)
            key, _, value = line.partition(" ")
            seen[key] = value.strip()
        sign_in = httpx.get(seen["portal"].split()[0])
        assert sign_in.status_code == 200 and "Sign in to your billing portal" in sign_in.text
        inbox = httpx.get(seen["inbox"] + "api/messages")
        assert inbox.status_code == 200 and "invited" in inbox.text
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        process.stdout.close()
