"""A test portal of ours (`tests.alt_portal`, `tests.spa_portal`) in a child process, and its
profile with the run's control URL and sink port filled in."""

from __future__ import annotations

import queue
import re
import secrets
import socket
import subprocess
import sys
import threading
import tomllib
from pathlib import Path
from typing import IO, Iterator

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 20.0


def free_port() -> int:
    """A port nobody listens on now, for the suite's mail sink (which binds it later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PortalProcess:
    """`python -m MODULE` sending its mail to `smtp_port`, started when it says `ready URL`."""

    def __init__(self, module: str, smtp_port: int, extra_args: tuple[str, ...] = ()) -> None:
        self.module = module
        self.token = secrets.token_urlsafe(24)
        self.smtp_port = smtp_port
        self.url = ""
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        self._process = subprocess.Popen(
            [sys.executable, "-m", module, "--port", "0", "--smtp", f"127.0.0.1:{smtp_port}",
             f"--control-token={self.token}", *extra_args],  # one argument: a token may start with "-"
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        assert self._process.stdout is not None
        self._reader = threading.Thread(target=self._pump, args=(self._process.stdout,), daemon=True)
        self._reader.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line)
        self._lines.put(None)

    def wait_ready(self) -> None:
        while True:
            try:
                line = self._lines.get(timeout=START_TIMEOUT_S)
            except queue.Empty:
                raise AssertionError(f"{self.module} did not say ready within {START_TIMEOUT_S}s: {self.output}") from None
            if line is None:
                raise AssertionError(f"{self.module} exited on start: {''.join(self.output)}")
            self.output.append(line)
            if line.startswith("ready "):
                self.url = line.split()[1]
                return

    def stop(self) -> str:
        """Stop the process; what it printed (errors, tracebacks)."""
        if self._process.poll() is None:
            self._process.terminate()
        self._process.wait(timeout=10)
        self._reader.join(timeout=10)
        assert self._process.stdout is not None
        self._process.stdout.close()
        while not self._lines.empty():
            line = self._lines.get_nowait()
            if line is not None:
                self.output.append(line)
        return "".join(self.output)


def started(module: str, extra_args: tuple[str, ...] = ()) -> Iterator[PortalProcess]:
    portal = PortalProcess(module, smtp_port=free_port(), extra_args=extra_args)
    try:
        portal.wait_ready()
        yield portal
    finally:
        portal.stop()


def concrete_profile(template: Path, folder: Path, control_url: str, sink_port: int) -> Path:
    """The shipped profile with the run's control URL and sink port filled in."""
    text = template.read_text(encoding="utf-8")
    text = re.sub(r'(?m)^control_url = ".*"$', f'control_url = "{control_url}"', text, count=1)
    text = re.sub(r"(?m)^port = \d+$", f"port = {sink_port}", text, count=1)
    written = tomllib.loads(text)
    assert written["target"]["control_url"] == control_url and written["sink"]["port"] == sink_port
    path = folder / template.parent.with_suffix(".toml").name
    path.write_text(text, encoding="utf-8")
    return path
