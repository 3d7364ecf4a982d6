"""Benchmark fake_mail: ingest rate against its limits, and wake-up latency.

    .venv/bin/python bench/bench_fake_mail.py [--threads 8] [--messages 250]

Ingest: one client (smtplib, N threads each reusing one connection, in a
process of its own so no server shares its interpreter) sends the same
invitation-sized mail to
  * fake_mail (MailSink),
  * a bare aiosmtpd handler that only appends to a list: the ceiling of
    this stack, with the same SMTP options and socket set-up,
  * MailDev 3 from the npm registry, when npm can install it.
Latency: from smtplib's ``sendmail`` returning (end of DATA) to a test
thread blocked in ``wait_for(subject=...)`` returning with the mail, for a
reader in-process (``MailSink.mailbox``) and one over HTTP
(``RemoteSink.mailbox``: the long-poll ``/api/messages/wait``), same run.
Also: 50 connections x 200 mails into fake_mail, all counted.

Prints figures only; asserts nothing about wall time.
"""

from __future__ import annotations

import argparse
import json
import queue
import shutil
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from email import policy
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fake_mail import MailSink, RemoteSink
from fake_mail.serving import SmtpServer, bind

HOST = "127.0.0.1"


def invitation(to: str, subject: str) -> bytes:
    """A mail shaped like the portal's: multipart/alternative, about 1.5 KB."""
    mail = EmailMessage()
    mail["From"] = "Billing Portal <no-reply@portal.example>"
    mail["To"] = to
    mail["Subject"] = subject
    url = "https://portal.example/invitations/accept?token=0123456789abcdef0123456789abcdef"
    mail.set_content(f"Hello,\n\nYou have been invited to the billing portal.\nAccept: {url}\n\n" * 3)
    mail.add_alternative(
        f'<html><body><p>Hello,</p><p>You have been invited.</p><a href="{url}">Accept the invitation</a>'
        "</body></html>",
        subtype="html",
    )
    return mail.as_bytes(policy=policy.SMTP)


# -- the client, run in a process of its own ------------------------------------


def client(port: int, threads: int, messages: int) -> None:
    """Send ``threads`` x ``messages`` mails; print JSON {sent, refused, seconds}."""
    connections = [smtplib.SMTP(HOST, port) for _ in range(threads)]
    for connection in connections:
        connection.ehlo()
    start = threading.Barrier(threads + 1)
    refused = [0] * threads
    # Built beforehand: composing a mail costs the client more than sending it.
    template = invitation("{to}", "Invitation {n}")
    mails = [
        [
            (
                f"user{i}-{n % 10}@example.com",
                template.replace(b"{to}", f"user{i}-{n % 10}@example.com".encode()).replace(
                    b"{n}", f"{i}/{n}".encode()
                ),
            )
            for n in range(messages)
        ]
        for i in range(threads)
    ]

    def send(index: int) -> None:
        connection = connections[index]
        start.wait()
        for to, raw in mails[index]:
            try:
                connection.sendmail("no-reply@portal.example", [to], raw)
            except smtplib.SMTPException:
                refused[index] += 1

    workers = [threading.Thread(target=send, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - began
    for connection in connections:
        connection.quit()
    print(json.dumps({"sent": threads * messages - sum(refused), "refused": sum(refused), "seconds": seconds}))


def run_client(port: int, threads: int, messages: int) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "client", str(port), str(threads), str(messages)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout
    result: dict[str, float] = json.loads(output)
    return result


# -- the servers ---------------------------------------------------------------


class BareHandler:
    """The least an aiosmtpd handler can do: keep the bytes."""

    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.received.append(envelope.original_content)  # type: ignore[attr-defined]
        return "250 OK"


def ingest_bare(threads: int, messages: int) -> tuple[float, int]:
    handler = BareHandler()
    server = SmtpServer(
        handler, bind(HOST, 0), server_hostname="bench", data_size_limit=10 * 1024 * 1024, enable_SMTPUTF8=True
    )
    server.start()
    try:
        result = run_client(server.port, threads, messages)
    finally:
        server.stop()
    return result["sent"] / result["seconds"], len(handler.received)


def ingest_fake_mail(threads: int, messages: int) -> tuple[float, int]:
    with MailSink(HOST, max_messages=None) as sink:  # unbounded: every mail is counted
        result = run_client(sink.smtp_port, threads, messages)
        stored = len(sink.messages())
    return result["sent"] / result["seconds"], stored


def ingest_maildev(threads: int, messages: int) -> tuple[float | None, str]:
    npm = shutil.which("npm")
    node = shutil.which("node")
    if npm is None or node is None:
        return None, "npm/node not found"
    with tempfile.TemporaryDirectory(prefix="maildev-") as prefix:
        try:
            subprocess.run(
                [npm, "install", "--prefix", prefix, "maildev@3", "--no-audit", "--no-fund", "--loglevel=error"],
                check=True,
                capture_output=True,
                text=True,
                timeout=180,
            )
        except (subprocess.SubprocessError, OSError) as error:
            detail = getattr(error, "stderr", "") or str(error)
            return None, f"npm install maildev@3 failed: {detail.strip().splitlines()[-1:]}"
        entry = Path(prefix, "node_modules", "maildev", "package.json")
        version = json.loads(entry.read_text())["version"]
        binary = Path(prefix, "node_modules", "maildev", json.loads(entry.read_text())["bin"]["maildev"])
        smtp_sock, web_sock = bind(HOST, 0), bind(HOST, 0)
        smtp_port, web_port = smtp_sock.getsockname()[1], web_sock.getsockname()[1]
        smtp_sock.close()  # free ports for MailDev to take (a small race, fine here)
        web_sock.close()
        process = subprocess.Popen(
            [node, str(binary), "--smtp", str(smtp_port), "--web", str(web_port), "--ip", HOST, "--web-ip", HOST],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        ready = threading.Event()

        def drain() -> None:
            # MailDev logs a line per mail; keep reading so it never blocks.
            assert process.stdout is not None
            for line in process.stdout:
                if "Press Ctrl+C" in line:
                    ready.set()
            ready.set()

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        try:
            if not ready.wait(30) or process.poll() is not None:
                return None, "MailDev did not start"
            result = run_client(smtp_port, threads, messages)
        finally:
            process.terminate()
            process.wait(10)
            reader.join(5)
        return result["sent"] / result["seconds"], f"MailDev {version}"


def wake_latency(count: int, *, remote: bool) -> list[float]:
    """Per mail: sendmail return -> wait_for return (ms), the reader blocked before the send.

    ``remote``: the reader is a RemoteSink over the sink's HTTP API, else the in-process Mailbox.
    """
    after_send: list[float] = []
    with MailSink(HOST, http_port=0 if remote else None) as sink, smtplib.SMTP(HOST, sink.smtp_port) as connection:
        reader = RemoteSink(sink.http_url or "") if remote else None
        box = reader.mailbox("ada@example.com") if reader is not None else sink.mailbox("ada@example.com")
        # Set when the reader (its thread, or its HTTP request on the server) opens its watch.
        waiting = threading.Event()
        open_watch = sink.store.watch

        def watch(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
            waiting.set()
            return open_watch(*args, **kwargs)  # type: ignore[arg-type]

        sink.store.watch = watch  # type: ignore[method-assign]
        orders: queue.Queue[tuple[int, int]] = queue.Queue()
        woke: queue.Queue[float] = queue.Queue()

        def waiter() -> None:
            for _ in range(count):
                number, cursor = orders.get()
                box.wait_for(subject=f"^Latency {number}$", after=cursor, timeout=10)
                woke.put(time.perf_counter())

        thread = threading.Thread(target=waiter)
        thread.start()
        try:
            for number in range(count):
                waiting.clear()
                orders.put((number, box.cursor()))
                raw = invitation("ada@example.com", f"Latency {number}")
                if not waiting.wait(10):
                    raise RuntimeError("the reader never began to wait")
                connection.sendmail("no-reply@portal.example", ["ada@example.com"], raw)
                sent = time.perf_counter()
                after_send.append((woke.get(timeout=30) - sent) * 1000)
        finally:
            thread.join()
            if reader is not None:
                reader.close()
    return after_send


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--messages", type=int, default=250, help="per thread")
    parser.add_argument("--latency", type=int, default=200, help="mails timed for wake-up")
    parser.add_argument("--no-maildev", action="store_true")
    args = parser.parse_args()
    began = time.perf_counter()
    total = args.threads * args.messages
    print(f"ingest: {args.threads} connections x {args.messages} mails ({total}), client in its own process")

    # Interleave rounds so drift in the machine's load hits both alike; keep the best.
    bare_rates, fake_rates = [], []
    for _ in range(2):
        rate, kept = ingest_bare(args.threads, args.messages)
        bare_rates.append(rate)
        assert kept == total, f"bare handler kept {kept} of {total}"
        rate, kept = ingest_fake_mail(args.threads, args.messages)
        fake_rates.append(rate)
        assert kept == total, f"fake_mail kept {kept} of {total}"
    bare, fake = max(bare_rates), max(fake_rates)
    print(f"  bare aiosmtpd handler : {bare:8.0f} mails/s  (rounds: {', '.join(f'{r:.0f}' for r in bare_rates)})")
    print(f"  fake_mail             : {fake:8.0f} mails/s  (rounds: {', '.join(f'{r:.0f}' for r in fake_rates)})")

    maildev: float | None = None
    if args.no_maildev:
        print("  MailDev               : skipped (--no-maildev)")
    else:
        maildev, note = ingest_maildev(args.threads, args.messages)
        if maildev is None:
            print(f"  MailDev               : unavailable ({note})")
        else:
            print(f"  {note:<22}: {maildev:8.0f} mails/s")

    many_rate, many_kept = ingest_fake_mail(50, 200)
    print(f"  fake_mail 50 x 200    : {many_rate:8.0f} mails/s, kept {many_kept} of 10000")

    # Interleaved halves, so drift in the machine's load hits both readers alike.
    local: list[float] = []
    remote: list[float] = []
    for _ in range(2):
        local += wake_latency(args.latency // 2, remote=False)
        remote += wake_latency(args.latency // 2, remote=True)
    print(f"wake-up over {len(local)} mails each, reader blocked in wait_for(subject=...) before the send:")
    print("  end of DATA (sendmail returned) -> wait_for returned  (negative: woke before the client had its 250)")
    for name, values in (("in-process Mailbox", local), ("RemoteSink over HTTP", remote)):
        print(
            f"  {name:<21}: p50 {percentile(values, 0.5):7.3f} ms, p95 {percentile(values, 0.95):7.3f} ms, "
            f"p99 {percentile(values, 0.99):7.3f} ms"
        )

    print("ratios:")
    print(f"  fake_mail / bare    : {fake / bare:.2f}  (aim >= 0.9)")
    if maildev:
        print(f"  fake_mail / MailDev : {fake / maildev:.2f}  (aim >= 1.3)")
    else:
        print("  fake_mail / MailDev : n/a")
    p50 = percentile(local, 0.5)
    remote_p50 = percentile(remote, 0.5)
    print(f"  wake-up p50         : {p50:.3f} ms in-process  (aim <= 2 ms)")
    print(f"  remote wake-up p50  : {remote_p50:.3f} ms over HTTP  (aim <= 5 ms)")
    print(
        f"  remote - in-process : {remote_p50 - p50:+.3f} ms at p50, "
        f"{percentile(remote, 0.95) - percentile(local, 0.95):+.3f} ms at p95"
    )
    print(f"total {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "client":
        client(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
