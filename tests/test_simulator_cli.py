"""`python -m simulator`: bad arguments exit 2 with one error line; `--port 0` serves and says where."""

from __future__ import annotations

import queue
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Iterator

import httpx2
import pytest

from fake_mail import MailSink
from simulator.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 20.0


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


BAD_ARGUMENTS = {
    "no-smtp": ["--control-token", "t"],
    "no-token": ["--smtp", "127.0.0.1:2525"],
    "smtp-without-port": ["--smtp", "localhost", "--control-token", "t"],
    "smtp-port-zero": ["--smtp", "localhost:0", "--control-token", "t"],
    "smtp-port-too-big": ["--smtp", "localhost:70000", "--control-token", "t"],
    "smtp-without-host": ["--smtp", ":2525", "--control-token", "t"],
    "port-not-a-number": ["--smtp", "localhost:2525", "--control-token", "t", "--port", "http"],
    "port-too-big": ["--smtp", "localhost:2525", "--control-token", "t", "--port", "65536"],
    "negative-port": ["--smtp", "localhost:2525", "--control-token", "t", "--port", "-1"],
    "blank-token": ["--smtp", "localhost:2525", "--control-token", "  "],
    "unknown-option": ["--smtp", "localhost:2525", "--control-token", "t", "--verbose"],
    "smtp-auth-without-starttls": ["--smtp", "localhost:2525", "--control-token", "t", "--smtp-auth", "u:p"],
    "smtp-auth-without-password": ["--smtp", "localhost:2525", "--control-token", "t", "--smtp-starttls", "--smtp-auth", "u"],
    "smtp-cafile-and-insecure": [
        "--smtp", "localhost:2525", "--control-token", "t", "--smtp-starttls", "--smtp-cafile", "ca.pem", "--smtp-insecure"
    ],
    "smtp-cafile-unreadable": [
        "--smtp", "localhost:2525", "--control-token", "t", "--smtp-starttls", "--smtp-cafile", "/nonexistent/ca.pem"
    ],
    "smtp-insecure-without-starttls": ["--smtp", "localhost:2525", "--control-token", "t", "--smtp-insecure"],
}


def assert_one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error:" in line]
    assert len(errors) == 1 and lines[-1] == errors[0], stderr
    assert "Traceback" not in stderr
    return errors[0]


@pytest.mark.parametrize("argv", BAD_ARGUMENTS.values(), ids=BAD_ARGUMENTS.keys())
def test_bad_arguments_exit_2_with_one_error_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert assert_one_error_line(captured.err).startswith("python -m simulator: error:")


def test_port_in_use_exits_2_naming_the_address(busy_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--smtp", "localhost:2525", "--control-token", "t", "--port", str(busy_port)])
    assert exited.value.code == 2
    line = assert_one_error_line(capsys.readouterr().err)
    assert f"cannot listen on 127.0.0.1:{busy_port}" in line


def test_a_real_process_with_bad_arguments_exits_2() -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "simulator", "--smtp", "nonsense", "--control-token", "t"],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )
    assert finished.returncode == 2
    assert "expected HOST:PORT" in assert_one_error_line(finished.stderr)


class Running:
    """A `python -m simulator` process and the lines it printed, read by a thread into a queue."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "simulator", *args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._stopped: tuple[int, str] | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def printed_until(self, prefix: str) -> list[str]:
        seen: list[str] = []
        while True:
            line = self.lines.get(timeout=START_TIMEOUT_S)
            assert line is not None, f"exited early: {seen}, stderr: {self.stop()[1]}"
            seen.append(line)
            if line.startswith(prefix):
                return seen

    def stop(self) -> tuple[int, str]:
        """Terminate (if still running) and collect; idempotent."""
        if self._stopped is not None:
            return self._stopped
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=10)
        assert self.process.stderr is not None
        stderr = self.process.stderr.read()
        self.process.stdout.close()  # type: ignore[union-attr]
        self.process.stderr.close()
        self._stopped = (self.process.returncode, stderr)
        return self._stopped


@pytest.fixture
def start_simulator(simulator_mail: Any) -> Iterator[Any]:
    started: list[Running] = []

    def start(*args: str) -> Running:
        started.append(Running("--smtp", f"127.0.0.1:{simulator_mail.port}", "--control-token", "cli-token", *args))
        return started[-1]

    try:
        yield start
    finally:
        for running in started:
            running.stop()


def test_port_0_prints_the_urls_and_serves(start_simulator: Any) -> None:
    running = start_simulator("--port", "0")
    lines = running.printed_until("ready")
    urls = dict(line.split(None, 1) for line in lines)
    base = urls["ready"]
    assert base.startswith("http://127.0.0.1:") and not base.endswith(":0")
    assert urls["control"] == f"{base}/control" and urls["portal"] == f"{base}/s/<site>"
    with httpx2.Client(base_url=base, timeout=10) as http:
        assert http.get("/control/capabilities").status_code == 401
        auth = {"Authorization": "Bearer cli-token"}
        answer = http.get("/control/capabilities", headers=auth)
        assert answer.status_code == 200 and answer.json()["contract"] == "1"
        site = http.post("/control/sites", headers=auth).json()
        assert site["portal_url"].startswith(f"{base}/s/")
        assert http.get(site["portal_url"] + "/login").status_code == 200
    code, stderr = running.stop()
    assert "Traceback" not in stderr


def test_ipv6_host_gets_a_bracketed_url(start_simulator: Any) -> None:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    running = start_simulator("--port", "0", "--host", "::1")
    base = running.printed_until("ready")[-1].split(None, 1)[1]
    assert base.startswith("http://[::1]:")
    with httpx2.Client(base_url=base, timeout=10) as http:
        answer = http.get("/control/capabilities", headers={"Authorization": "Bearer cli-token"})
    assert answer.status_code == 200


def test_delivers_an_invitation_through_a_relay_requiring_starttls_and_auth() -> None:
    address = "ada-over-tls@example.com"  # the relay is this test's own
    with MailSink(require_starttls=True, auth={"portal": "relay:pw"}) as relay:
        running = Running(
            "--smtp", f"127.0.0.1:{relay.smtp_port}", "--control-token", "cli-token", "--port", "0",
            "--smtp-starttls", "--smtp-auth", "portal:relay:pw", "--smtp-cafile", str(relay.tls_ca_file),
        )
        try:
            base = running.printed_until("ready")[-1].split(None, 1)[1]
            auth = {"Authorization": "Bearer cli-token"}
            with httpx2.Client(base_url=base, timeout=10, headers=auth) as http:
                site = http.post("/control/sites").json()["id"]
                customer = http.post(
                    f"/control/sites/{site}/customers", json={"email": address, "first_name": "Ada", "last_name": "L"}
                ).json()
                assert http.post(f"/control/sites/{site}/customers/{customer['id']}/invitations").status_code == 202
            invitation = relay.mailbox(address).wait_for(timeout=START_TIMEOUT_S)
            assert invitation.headers.get("X-Portal-Email-Kind") == "invitation"
            assert f"/s/{site}/invitation/" in (invitation.text or "")
        finally:
            code, stderr = running.stop()
        assert "Traceback" not in stderr
