"""Starting the bundled reference simulator as a real server process, on a free port."""

from __future__ import annotations

import queue
import secrets
import subprocess
import sys
import threading
import time
from typing import IO


class ReferencePortal:
    """`python -m simulator` in a child process, sending its mail to `smtp_host:smtp_port`."""

    def __init__(self, *, smtp_host: str, smtp_port: int, host: str = "127.0.0.1", port: int = 0,
                 extra_args: tuple[str, ...] = ()) -> None:
        self.token = secrets.token_urlsafe(24)
        self._args = [
            sys.executable, "-m", "simulator", "--host", host, "--port", str(port),
            # One argument, not two: a token that starts with "-" would read as an option.
            "--smtp", f"{smtp_host}:{smtp_port}", f"--control-token={self.token}", *extra_args,
        ]
        self._process: subprocess.Popen[str] | None = None
        self._pump: threading.Thread | None = None
        self.url = ""

    def start(self, timeout: float = 20.0) -> ReferencePortal:
        self._process = subprocess.Popen(
            self._args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        lines: queue.Queue[str | None] = queue.Queue()
        assert self._process.stdout is not None
        self._pump = threading.Thread(target=_pump, args=(self._process.stdout, lines), daemon=True)
        self._pump.start()
        seen: list[str] = []
        deadline = time.monotonic() + timeout  # for the whole start, however much it prints
        while True:
            try:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise queue.Empty
                line = lines.get(timeout=left)
            except queue.Empty:
                self.stop()
                raise RuntimeError(f"the reference simulator did not say 'ready' within {timeout}s: {''.join(seen[-20:])}") from None
            if line is None:
                self.stop()
                raise RuntimeError(f"the reference simulator exited on start: {''.join(seen[-20:])}")
            seen.append(line)
            if line.startswith("ready"):
                self.url = line.split()[1]
                return self

    @property
    def control_url(self) -> str:
        return self.url

    def wait(self) -> int:
        """Block until the simulator exits (for `portalcheck serve`)."""
        assert self._process is not None
        return self._process.wait()

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._pump is not None:
            self._pump.join(10)  # it reads to the end of the pipe; closing it under the reader would raise there
        if self._process is not None and self._process.stdout is not None:
            self._process.stdout.close()

    def __enter__(self) -> ReferencePortal:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    """Forward the child's output; after start-up it is only drained, so the pipe never fills."""
    for line in stream:
        lines.put(line)
    lines.put(None)
