"""A long Schemathesis run against the control API, beside the CI-bounded one, in one script.

    .venv/bin/python bench/bench_fuzz.py [--examples 300] [--steps 60] [--seed N]

The simulator runs under uvicorn on a thread of this process (the real argon2 cost), an SMTP
sink beside it. Schemathesis loads /control/openapi.json from it and runs its coverage, fuzzing
and stateful phases with the checks of tests/test_control_fuzz.py (no server error, every
answer as the document describes, forbidden data refused, 405 with Allow). First the baseline:
the bounded run CI makes (25 examples an operation, 20 stateful steps, seed 13); then the long
run (a random seed unless --seed). Prints the cases each ran per phase, the CPU each took, the
ratios, and every finding of the long run. Asserts nothing; exits 1 when there are findings.
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from schemathesis.engine import Status, events, from_schema

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fake_mail.serving import HttpServer, SmtpServer, bind  # noqa: E402
from simulator.app import Settings, create_app  # noqa: E402

HOST = "127.0.0.1"
TOKEN = "bench-token"
CHECKS = [  # as tests/test_control_fuzz.py
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "ignored_auth",
    "unsupported_method",
]


class Sink:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 OK"


def live_records(url: str) -> dict[str, str]:
    """A site and customer for the path parameters, and a site for `deleteSite` to delete."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        site, doomed = (client.post("/control/sites").json()["id"] for _ in range(2))
        body = {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"}
        customer = client.post(f"/control/sites/{site}/customers", json=body).json()["id"]
    return {"site": site, "customer": str(customer), "doomed": doomed}


def run(url: str, *, examples: int, steps: int, seed: int) -> tuple[collections.Counter[str], list[str], float]:
    records = live_records(url)
    config = schemathesis.Config.from_dict(
        {
            "seed": seed,
            "headers": {"Authorization": f"Bearer {TOKEN}"},
            "generation": {"mode": "all", "max-examples": examples, "database": "none"},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "phases": {"examples": {"enabled": False}, "stateful": {"enabled": True, "max-steps": steps}},
            "parameters": {"site": records["site"], "customer": records["customer"]},
            "operations": [{"include-operation-id": "deleteSite", "parameters": {"site": records["doomed"]}}],
        }
    )
    schema = schemathesis.openapi.from_url(f"{url}/control/openapi.json", config=config)
    cases: collections.Counter[str] = collections.Counter()
    findings: set[str] = set()
    started = time.process_time()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            cases[event.phase.name] += len(event.recorder.cases)
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.status == Status.FAILURE:
                        case = event.recorder.cases[case_id].value
                        title = check.failure_info.failure.title if check.failure_info else ""
                        findings.add(f"{check.name} on {case.method} {case.path}: {title}\n    {case.as_curl_command()}")
        elif isinstance(event, events.NonFatalError):
            findings.add(f"schemathesis could not test {event.label}: {event.value}")
        elif isinstance(event, events.FatalError):
            findings.add(f"schemathesis could not run: {event.exception}")
    return cases, sorted(findings), time.process_time() - started


def report(name: str, cases: collections.Counter[str], cpu: float) -> None:
    total = sum(cases.values())
    phases = ", ".join(f"{phase.lower()} {count}" for phase, count in sorted(cases.items()))
    print(f"{name:9} {total:6} cases ({phases}) in {cpu:6.1f} s CPU, {total / cpu:6.1f} cases/s")


def main() -> int:
    cli = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--examples", type=int, default=300, help="fuzzing examples an operation (default 300)")
    cli.add_argument("--steps", type=int, default=60, help="stateful steps a scenario (default 60)")
    cli.add_argument("--seed", type=int, help="seed of the long run (default: a random one, printed)")
    args = cli.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)

    relay = SmtpServer(Sink(), bind(HOST, 0), server_hostname="sink")
    relay.start()
    sock = bind(HOST, 0)
    url = f"http://{HOST}:{sock.getsockname()[1]}"
    server = HttpServer(create_app(Settings(public_url=url, control_token=TOKEN, smtp_host=HOST, smtp_port=relay.port)), sock)
    server.start()
    try:
        baseline, baseline_findings, baseline_cpu = run(url, examples=25, steps=20, seed=13)
        report("baseline", baseline, baseline_cpu)
        long, findings, long_cpu = run(url, examples=args.examples, steps=args.steps, seed=seed)
        report("long", long, long_cpu)
    finally:
        server.stop()
        relay.stop()
    print(
        f"long/baseline: {sum(long.values()) / sum(baseline.values()):.1f}x the cases,"
        f" {long_cpu / baseline_cpu:.1f}x the CPU (seed {seed})"
    )
    print(f"findings: baseline {len(baseline_findings)}, long {len(findings)}")
    for finding in baseline_findings + findings:
        print(f"  {finding}")
    return 1 if baseline_findings or findings else 0


if __name__ == "__main__":
    sys.exit(main())
