"""Splitting the suite's scenarios into N shards, so N machines can each run one part.

The split depends only on the set of node IDs, N and the durations: every machine collects the
same scenarios, computes the same split and keeps its own part, with nothing to coordinate.
With durations from an earlier run's results.json the parts are balanced by time (greedy, longest
first, onto the least-loaded shard; a scenario the earlier run did not time counts as the median),
else by count.
"""

from __future__ import annotations

import dataclasses
import json
import re
import statistics
from pathlib import Path
from typing import Iterable, Mapping

import pytest

_SHARD_RE = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


class ShardError(ValueError):
    """A shard that cannot be: bad "K/N" text, or durations that cannot be read."""


@dataclasses.dataclass(frozen=True)
class Shard:
    """Shard `k` of `n`, counting from 1."""

    k: int
    n: int

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ShardError(f"shard {self.k}/{self.n}: N must be at least 1")
        if not 1 <= self.k <= self.n:
            raise ShardError(f"shard {self.k}/{self.n}: K must be between 1 and N")

    def __str__(self) -> str:
        return f"{self.k}/{self.n}"


def parse_shard(text: str) -> Shard:
    """"2/4" -> Shard(2, 4); anything else is a ShardError that says what was expected."""
    found = _SHARD_RE.fullmatch(text)
    if not found:
        raise ShardError(f"shard {text!r} is not K/N (for example 1/4: the first of four shards)")
    return Shard(int(found.group(1)), int(found.group(2)))


def split(nodeids: Iterable[str], n: int, durations: Mapping[str, float] | None = None) -> list[list[str]]:
    """All `n` parts, each sorted; every node ID in exactly one. Input order does not matter."""
    if n < 1:
        raise ShardError(f"cannot split into {n} shards: N must be at least 1")
    nodes = sorted(set(nodeids))
    weight = _weights(nodes, durations or {})
    parts: list[list[str]] = [[] for _ in range(n)]
    loads = [0.0] * n
    # Longest first; ties by node ID, so the order is total and the split reproducible.
    for node in sorted(nodes, key=lambda node: (-weight[node], node)):
        lightest = min(range(n), key=lambda index: (loads[index], len(parts[index]), index))
        parts[lightest].append(node)
        loads[lightest] += weight[node]
    return [sorted(part) for part in parts]


def select(nodeids: Iterable[str], shard: Shard, durations: Mapping[str, float] | None = None) -> list[str]:
    """The node IDs of `shard`, sorted."""
    return split(nodeids, shard.n, durations)[shard.k - 1]


def load_durations(results_path: Path) -> dict[str, float]:
    """{nodeid: duration_s} from an earlier run's results.json."""
    try:
        entries = json.loads(Path(results_path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ShardError(f"durations {results_path}: no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ShardError(f"durations {results_path}: not JSON: {error}") from None
    if not isinstance(entries, list):
        raise ShardError(f"durations {results_path}: not a results.json (a list of scenario results)")
    durations: dict[str, float] = {}
    for index, entry in enumerate(entries):
        nodeid = entry.get("nodeid") if isinstance(entry, dict) else None
        duration = entry.get("duration_s") if isinstance(entry, dict) else None
        if not isinstance(nodeid, str) or isinstance(duration, bool) or not isinstance(duration, (int, float)) or duration < 0:
            raise ShardError(f"durations {results_path}: entry {index} lacks a nodeid and a duration_s of 0 or more")
        durations[nodeid] = float(duration)
    return durations


def _weights(nodes: list[str], durations: Mapping[str, float]) -> dict[str, float]:
    known = [durations[node] for node in nodes if node in durations]
    if not known:
        return {node: 1.0 for node in nodes}  # nothing timed: balance by count
    median = statistics.median(known)
    return {node: float(durations.get(node, median)) for node in nodes}


class ShardSelector:
    """pytest plugin: keep this shard's items, deselect the others (reported as deselected).

    Runs after -k and -m have narrowed the collection (trylast), so the shards split what the
    run would have run. Under xdist, register it in every process (e.g. from pytest_configure):
    each computes the same split, so the workers' collections agree.
    """

    def __init__(self, k: int, n: int, durations: Mapping[str, float] | None = None) -> None:
        self.shard = Shard(k, n)
        self.durations = dict(durations or {})

    @classmethod
    def from_options(cls, shard: str, durations_path: Path | None = None) -> ShardSelector:
        """From a "K/N" option and an optional earlier results.json; ShardError if either is bad."""
        parsed = parse_shard(shard)
        return cls(parsed.k, parsed.n, load_durations(durations_path) if durations_path else None)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        mine = set(select((item.nodeid for item in items), self.shard, self.durations))
        kept = [item for item in items if item.nodeid in mine]
        others = [item for item in items if item.nodeid not in mine]
        if others:
            config.hook.pytest_deselected(items=others)
            items[:] = kept

    def pytest_report_header(self, config: pytest.Config) -> str:
        balance = "by durations" if self.durations else "by count"
        return f"portalcheck: shard {self.shard}, balanced {balance}"
