"""Shards: every scenario in exactly one part, the same split on every machine, balanced."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from portalcheck.shards import Shard, ShardError, ShardSelector, load_durations, parse_shard, select, split

pytest_plugins = ["pytester"]

NODES = [f"features/test_conformance.py::test_scenario_{i:02d}" for i in range(23)]


@pytest.mark.parametrize(("text", "expected"), [("1/4", Shard(1, 4)), ("4/4", Shard(4, 4)), (" 2 / 3 ", Shard(2, 3)), ("1/1", Shard(1, 1))])
def test_k_of_n_is_parsed(text: str, expected: Shard) -> None:
    assert parse_shard(text) == expected
    assert str(expected) == f"{expected.k}/{expected.n}"


@pytest.mark.parametrize(
    ("text", "says"),
    [("3/2", "K must be between 1 and N"), ("0/2", "K must be between 1 and N"), ("1/0", "N must be at least 1"),
     ("a/b", "is not K/N"), ("2", "is not K/N"), ("-1/2", "is not K/N"), ("1/2/3", "is not K/N"), ("", "is not K/N")],
)
def test_a_shard_that_cannot_be_is_refused_saying_why(text: str, says: str) -> None:
    with pytest.raises(ShardError, match=says):
        parse_shard(text)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 23, 30])
def test_every_node_is_in_exactly_one_shard(n: int) -> None:
    parts = split(NODES, n)
    assert len(parts) == n
    flat = [node for part in parts for node in part]
    assert sorted(flat) == sorted(NODES) and len(flat) == len(set(flat))


def test_without_durations_the_shards_differ_in_count_by_at_most_one() -> None:
    sizes = [len(part) for part in split(NODES, 4)]
    assert max(sizes) - min(sizes) <= 1 and sum(sizes) == len(NODES)


def test_the_split_does_not_depend_on_the_order_of_collection() -> None:
    durations = {node: float(i % 7) for i, node in enumerate(NODES)}
    shuffled = NODES[:]
    random.Random(12).shuffle(shuffled)
    assert split(shuffled, 3) == split(NODES, 3)
    assert split(shuffled, 3, durations) == split(NODES, 3, dict(reversed(list(durations.items()))))
    assert [select(shuffled, Shard(k, 3), durations) for k in (1, 2, 3)] == split(NODES, 3, durations)


def test_durations_balance_the_time_longest_first() -> None:
    durations = {"a": 10.0, "b": 6.0, "c": 5.0, "d": 4.0, "e": 1.0}
    # a -> 1 (10); b -> 2 (6); c -> 2 (11); d -> 1 (14); e -> 2 (12).
    assert split(durations, 2, durations) == [["a", "d"], ["b", "c", "e"]]
    by_count = split(durations, 2)
    assert sorted(len(part) for part in by_count) == [2, 3]


def test_a_node_the_earlier_run_did_not_time_counts_as_the_median() -> None:
    durations = {"a": 1.0, "b": 2.0, "c": 9.0}  # median 2
    parts = split(["a", "b", "c", "new"], 2, durations)
    # c (9) alone on one shard; new (2), b (2), a (1) on the other: 5 < 9.
    assert parts == [["c"], ["a", "b", "new"]]
    # Were "new" counted as 0 or as 9 the split would differ; here it weighs exactly as "b".
    assert split(["a", "b", "c", "new"], 2, {**durations, "new": 2.0}) == parts


def test_durations_of_nodes_no_longer_collected_are_ignored() -> None:
    durations = {"gone": 1000.0, "a": 1.0, "b": 1.0, "c": 1.0}
    assert split(["a", "b", "c"], 3, durations) == [["a"], ["b"], ["c"]]


def test_durations_are_read_from_an_earlier_results_json(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps([{"nodeid": "x::a", "duration_s": 1.5, "outcome": "passed"}, {"nodeid": "x::b", "duration_s": 0}]))
    assert load_durations(path) == {"x::a": 1.5, "x::b": 0.0}


@pytest.mark.parametrize(
    ("content", "says"),
    [("not json", "not JSON"), ('{"a": 1}', "not a results.json"), ('[{"nodeid": "a"}]', "entry 0"),
     ('[{"nodeid": "a", "duration_s": -1}]', "entry 0"), ('[{"nodeid": 3, "duration_s": 1}]', "entry 0")],
)
def test_durations_that_cannot_be_read_are_refused(tmp_path: Path, content: str, says: str) -> None:
    path = tmp_path / "results.json"
    path.write_text(content)
    with pytest.raises(ShardError, match=says):
        load_durations(path)
    with pytest.raises(ShardError, match="no such file"):
        load_durations(tmp_path / "missing.json")


def test_the_selector_is_refused_for_an_impossible_shard() -> None:
    with pytest.raises(ShardError):
        ShardSelector(3, 2)
    with pytest.raises(ShardError, match="is not K/N"):
        ShardSelector.from_options("2 of 3")


def test_the_selector_is_made_from_the_runner_s_options(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps([{"nodeid": "x::a", "duration_s": 2.0}]))
    selector = ShardSelector.from_options("2/3", path)
    assert (selector.shard, selector.durations) == (Shard(2, 3), {"x::a": 2.0})
    assert ShardSelector.from_options("1/2").durations == {}
    with pytest.raises(ShardError, match="no such file"):
        ShardSelector.from_options("1/2", tmp_path / "missing.json")


TINY_MODULE = """
import pytest

@pytest.mark.parametrize("i", range(7))
def test_case(i):
    pass

def test_other():
    pass
"""


def _run_shard(pytester: pytest.Pytester, k: int, n: int, *args: str) -> tuple[pytest.RunResult, list[str]]:
    pytester.makepyfile(test_tiny=TINY_MODULE)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:xdist", "-q", "-rA", *args,
                                          plugins=[ShardSelector(k, n)])
    ran = [line.split()[1] for line in result.outlines if line.startswith("PASSED ")]
    return result, ran


def test_the_selector_runs_its_part_and_reports_the_rest_deselected(pytester: pytest.Pytester) -> None:
    runs = [_run_shard(pytester, k, 3) for k in (1, 2, 3)]
    all_ran = [node for _, ran in runs for node in ran]
    assert len(all_ran) == 8 and len(set(all_ran)) == 8
    for (result, ran), k in zip(runs, (1, 2, 3)):
        result.assert_outcomes(passed=len(ran), deselected=8 - len(ran))
        assert sorted(ran) == select(all_ran, Shard(k, 3))


def test_the_selector_splits_what_k_left(pytester: pytest.Pytester) -> None:
    result, ran = _run_shard(pytester, 1, 2, "-k", "case")
    assert len(ran) == 4 and all("test_case[" in node for node in ran)
    result.assert_outcomes(passed=4, deselected=4)
