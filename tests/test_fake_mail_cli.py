"""``python -m fake_mail``: the standalone sink."""

from __future__ import annotations

import re
import signal
import smtplib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fake_mail.__main__ import main, parse_args
from fake_mail.serving import bind

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def server() -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "fake_mail", "--smtp-port", "0", "--http-port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--smtp-port", "many"], "not a port number: 'many'"),
        (["--http-port", "70000"], "port out of range 0-65535: 70000"),
        (["--max-recipients", "0"], "must be at least 1"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    args: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and complaint in err


def test_defaults() -> None:
    args = parse_args([])
    assert (args.host, args.smtp_port, args.http_port, args.no_http) == ("127.0.0.1", 1025, 1080, False)


def test_a_port_in_use_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    with bind("127.0.0.1", 0) as taken:
        assert main(["--smtp-port", str(taken.getsockname()[1]), "--no-http"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "cannot listen on 127.0.0.1" in err


@pytest.mark.parametrize("stop_with", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serves_on_printed_ports_and_stops_cleanly(server: subprocess.Popen[str], stop_with: signal.Signals) -> None:
    assert server.stdout is not None
    smtp_line = server.stdout.readline()
    http_line = server.stdout.readline()
    smtp_port = int(re.fullmatch(r"fake_mail SMTP on smtp://127\.0\.0\.1:(\d+)\n", smtp_line).group(1))  # type: ignore[union-attr]
    http_url = re.fullmatch(r"fake_mail HTTP on (http://127\.0\.0\.1:\d+)/\n", http_line).group(1)  # type: ignore[union-attr]

    with smtplib.SMTP("127.0.0.1", smtp_port) as client:
        client.sendmail("p@portal.example", ["ada@example.com"], b"Subject: standalone\r\n\r\nhi\r\n")
    listed = httpx.get(f"{http_url}/api/messages", params={"to": "ada@example.com"}, timeout=10).json()
    assert [m["subject"] for m in listed] == ["standalone"]

    server.send_signal(stop_with)
    out, err = server.communicate(timeout=30)
    assert server.returncode == 0
    assert out == "fake_mail stopping\n"
    assert err == ""
