"""Benchmark fake_mail's retention bound: resident memory while many mails go through a small bound.

    .venv/bin/python bench/bench_fake_mail_memory.py [--messages 100000] [--bound 10000]

Each sink runs in a process of its own (RSS never shrinks, so runs must not share one), fed over
SMTP by a client in yet another process, in ten equal batches; after each batch the sink's
process reads every stored mail's subject (as readers parse mail) and prints its RSS. The same
stream goes through the bound and, as the baseline, through no bound at all.

Plateau: the mean RSS over the batches after the store first reached the bound; the ratio of the
last batch's RSS to the first plateau batch's says whether memory stays flat (aim <= 1.1).
Prints figures only; asserts nothing about wall time.
"""

from __future__ import annotations

import argparse
import gc
import json
import smtplib
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fake_mail import MailSink

HOST = "127.0.0.1"
BATCHES = 10


def rss_mb() -> float:
    """This process's resident set, from /proc (no psutil needed)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def mail(n: int) -> bytes:
    """About 1.5 KB, shaped like the portal's invitation, each to a recipient of its own."""
    url = f"https://portal.example/s/site/invitation/{n:040d}"
    text = f"Hello,\r\n\r\nYou have been invited.\r\nAccept: {url}\r\n\r\n" * 12
    return (
        f"From: Billing Portal <no-reply@portal.example>\r\nTo: user{n}@example.com\r\n"
        f"Subject: Invitation {n}\r\nMessage-ID: <{n}@portal.example>\r\n\r\n{text}"
    ).encode()


def client(port: int, start: int, count: int) -> None:
    """Send mails ``start`` .. ``start + count - 1`` over one connection."""
    with smtplib.SMTP(HOST, port) as connection:
        for n in range(start, start + count):
            connection.sendmail("no-reply@portal.example", [f"user{n}@example.com"], mail(n))


def sink(messages: int, bound: int | None) -> None:
    """Serve, have the client send in batches, print one JSON line of RSS samples."""
    per_batch = messages // BATCHES
    samples: list[dict[str, float]] = []
    with MailSink(HOST, max_messages=bound) as running:
        gc.collect()
        samples.append({"sent": 0, "kept": 0, "rss_mb": rss_mb()})
        for batch in range(BATCHES):
            subprocess.run(
                [sys.executable, __file__, "client", str(running.smtp_port), str(batch * per_batch), str(per_batch)],
                check=True,
                timeout=600,
            )
            kept = running.messages()
            assert all(m.subject.startswith("Invitation ") for m in kept)  # parsed, as a reader would
            gc.collect()
            samples.append({"sent": (batch + 1) * per_batch, "kept": len(kept), "rss_mb": rss_mb()})
            del kept
        dropped = running.store.dropped
    print(json.dumps({"samples": samples, "dropped": dropped}))


def run_sink(messages: int, bound: int | None) -> dict[str, object]:
    output = subprocess.run(
        [sys.executable, __file__, "sink", str(messages), str(bound or 0)],
        check=True,
        capture_output=True,
        text=True,
        timeout=1800,
    ).stdout
    result: dict[str, object] = json.loads(output)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--bound", type=int, default=10_000)
    args = parser.parse_args()
    began = time.perf_counter()
    print(f"{args.messages} mails over SMTP in {BATCHES} batches; RSS of the sink's process after each batch")
    runs = {"bounded": run_sink(args.messages, args.bound), "unbounded": run_sink(args.messages, None)}
    for name, label in (("bounded", f"max_messages={args.bound}"), ("unbounded", "max_messages=None (baseline)")):
        samples = runs[name]["samples"]
        assert isinstance(samples, list)
        print(f"  {label}:")
        for sample in samples:
            print(f"    sent {sample['sent']:>7}  kept {sample['kept']:>7}  RSS {sample['rss_mb']:7.1f} MB")
    bounded = runs["bounded"]["samples"]
    unbounded = runs["unbounded"]["samples"]
    assert isinstance(bounded, list) and isinstance(unbounded, list)
    plateau = [s for s in bounded if s["sent"] > args.bound]  # the store has been full since before
    first, last = plateau[0]["rss_mb"], plateau[-1]["rss_mb"]
    mean = sum(s["rss_mb"] for s in plateau) / len(plateau)
    print("ratios:")
    print(f"  bounded: last / first plateau RSS : {last / first:.3f}  ({last:.1f} / {first:.1f} MB, "
          f"plateau mean {mean:.1f} MB; aim <= 1.1)")
    print(f"  bounded / unbounded at the end    : {last / unbounded[-1]['rss_mb']:.3f}  "
          f"({last:.1f} / {unbounded[-1]['rss_mb']:.1f} MB)")
    print(f"  dropped by the bound              : {runs['bounded']['dropped']}")
    print(f"total {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "client":
        client(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "sink":
        sink(int(sys.argv[2]), int(sys.argv[3]) or None)
    else:
        main()
