"""Runs spread over machines (issue 12), tried on one: shards as parallel processes against one
target reading one sink service, merged into the verdicts of one unsharded run; the browser on a
Playwright server; a signed bundle whose report page says it is one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Iterator

import pytest
from playwright._impl._driver import compute_driver_executable

from fake_mail import MailSink
from portalcheck.profile import REFERENCE
from portalcheck.reference import ReferencePortal

pytestmark = pytest.mark.long(40)  # seconds, in CI: see tests/conftest.py

ROOT = Path(__file__).resolve().parent.parent
PORTALCHECK = [sys.executable, "-m", "portalcheck.cli"]
NARROWED = ["--", "-q", "-k", "INV or REV"]  # enough rules to split, few enough for CI
TIMEOUT_S = 600


def portalcheck(*args: str, cwd: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*PORTALCHECK, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT), **env})


def finished(process: subprocess.Popen[str]) -> tuple[int, str]:
    output, _ = process.communicate(timeout=TIMEOUT_S)
    return process.returncode, output


def verdicts_of(run_dir: Path) -> dict[str, str]:
    return {rule["id"]: rule["verdict"] for rule in json.loads((run_dir / "summary.json").read_text())["rules"]}


def only_run_folder(reports: Path) -> Path:
    (folder,) = [path for path in reports.iterdir() if path.is_dir() and not path.is_symlink()]
    return folder


@pytest.fixture
def shared_target(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A portal run once (the simulator, as a vendor's would be), sending to one sink service
    that every shard reads through `[sink] api`; (profile, control token)."""
    with MailSink(http_port=0) as sink, ReferencePortal(smtp_host=sink.host, smtp_port=sink.smtp_port) as portal:
        text = REFERENCE.read_text().replace('control_url = ""', f'control_url = "{portal.control_url}"')
        text = text.replace("port = 0", f'port = {sink.smtp_port}\napi = "{sink.http_url}"')
        profile = tmp_path / "shared.toml"
        profile.write_text(text)
        yield profile, portal.token


def test_shards_run_in_parallel_merge_into_the_verdicts_of_one_run(tmp_path: Path, shared_target: tuple[Path, str]) -> None:
    profile, token = shared_target
    shards = [portalcheck("run", "--profile", str(profile), "--reports", f"shard{k}", "--shard", f"{k}/2", *NARROWED,
                          cwd=tmp_path, PORTALCHECK_CONTROL_TOKEN=token) for k in (1, 2)]
    outcomes = [finished(shard) for shard in shards]
    assert all(status == 0 for status, _ in outcomes), "\n".join(output[-3000:] for _, output in outcomes)
    whole_status, whole_output = finished(portalcheck("run", "--profile", str(profile), "--reports", "whole", *NARROWED,
                                                      cwd=tmp_path, PORTALCHECK_CONTROL_TOKEN=token))
    assert whole_status == 0, whole_output[-3000:]
    parts = [only_run_folder(tmp_path / f"shard{k}") for k in (1, 2)]
    counts = [len(json.loads((part / "results.json").read_text())) for part in parts]
    assert all(counts) and abs(counts[0] - counts[1]) <= 1, counts  # balanced by count
    merged = subprocess.run([*PORTALCHECK, "merge", *map(str, parts), "--out", "merged"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=TIMEOUT_S)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    whole = only_run_folder(tmp_path / "whole")
    assert verdicts_of(tmp_path / "merged") == verdicts_of(whole)
    assert sum(counts) == len(json.loads((whole / "results.json").read_text()))
    missing = subprocess.run([*PORTALCHECK, "merge", str(parts[0]), "--out", "half"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=TIMEOUT_S)
    assert missing.returncode != 0 and "2/2" in missing.stderr and "missing" in missing.stderr, missing.stderr


def test_the_browser_can_be_a_playwright_server(tmp_path: Path) -> None:
    node, cli = compute_driver_executable()
    server = subprocess.Popen([node, cli, "run-server", "--host", "127.0.0.1", "--port", "0", "--unsafe"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert server.stdout is not None
        said = server.stdout.readline()  # "Listening on ws://127.0.0.1:PORT/"
        assert said.startswith("Listening on ws://"), said
        ws_url = said.split()[-1]
        status, output = finished(portalcheck("run", "--browser-ws", ws_url, "--", "-q", "-k", "INV-1", cwd=tmp_path))
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()  # type: ignore[union-attr]
    assert status == 0, output[-3000:]
    target = json.loads((only_run_folder(tmp_path / "reports") / "target.json").read_text())
    assert f"on the Playwright server at {ws_url}" in target["browser"]


def test_a_bundled_report_says_it_is_part_of_a_signed_bundle(tmp_path: Path) -> None:
    status, output = finished(portalcheck("run", "--", "-q", "-k", "INV-1", cwd=tmp_path))
    assert status == 0, output[-3000:]
    run_dir = only_run_folder(tmp_path / "reports")
    assert "signed bundle" not in (run_dir / "index.html").read_text()
    for command in (["keygen", "--key", "k.pem", "--pub", "k.pub.pem"], ["bundle", str(run_dir), "--key", "k.pem", "--out", "run.tgz"],
                    ["verify", "run.tgz", "--pub", "k.pub.pem"]):
        done = subprocess.run([*PORTALCHECK, *command], cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT_S)
        assert done.returncode == 0, done.stdout + done.stderr
    with tarfile.open(tmp_path / "run.tgz") as archive:
        page = archive.extractfile("run/index.html").read().decode()  # type: ignore[union-attr]
    assert "Part of the signed bundle <code>run.tgz</code>" in page and "portalcheck verify run.tgz" in page
