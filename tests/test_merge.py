"""Merging shard run folders: one run's results, JUnit, cucumber and evidence, or a clear refusal."""

from __future__ import annotations

import datetime
import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from portalcheck import SUITE_VERSION
from portalcheck.merge import (
    MergeError, RunManifestError, features_digest, merge, read_run_manifest, run_manifest, write_run_manifest,
)
from portalcheck.shards import Shard

DIGEST = "ab" * 32
T0 = datetime.datetime(2026, 12, 1, 20, 0, tzinfo=datetime.timezone.utc)


def make_shard_run(
    folder: Path, k: int, n: int, scenarios: list[tuple[str, str, str]], *,
    profile: Path | None = None, digest: str = DIGEST, manifest: dict[str, Any] | None = None,
    target: dict[str, Any] | None = None, absolute_evidence: bool = False, problems: list[dict[str, str]] | None = None,
) -> Path:
    """A shard's run folder as `portalcheck run --shard K/N` leaves it.

    `scenarios`: (nodeid, rule ID, outcome); a failed one has an evidence folder, named in
    results.json relative to the run folder (absolute, as older runners wrote it, on request).
    Its cucumber feature is named by the rule's area (MU-3 -> features/mu.feature).
    """
    folder.mkdir(parents=True)
    if profile is None:
        profile = folder.parent / "profile.toml"
        if not profile.exists():
            profile.write_text('[target]\nname = "Reference"\n')
    results, cases, features = [], [], {}
    for line, (nodeid, rule, outcome) in enumerate(scenarios, start=1):
        evidence = ""
        if outcome == "failed":
            evidence_dir = folder / nodeid.split("::")[-1]
            evidence_dir.mkdir()
            (evidence_dir / "page.html").write_text(f"<p>{nodeid}</p>")
            evidence = str(evidence_dir) if absolute_evidence else evidence_dir.name
        results.append({"nodeid": nodeid, "name": nodeid, "feature": rule.split("-")[0], "rules": [rule],
                        "outcome": outcome, "message": "", "evidence": evidence, "duration_s": 1.0})
        failure = '<failure message="boom">boom</failure>' if outcome == "failed" else ""
        cases.append(f'<testcase classname="features.test_conformance" name="{nodeid}" time="1.000">{failure}</testcase>')
        uri = f"features/{rule.split('-')[0].lower()}.feature"
        features.setdefault(uri, {"keyword": "Feature", "uri": uri, "name": uri, "id": uri, "line": 1,
                                  "description": "", "tags": [], "elements": []})
        features[uri]["elements"].append({"keyword": "Scenario", "id": nodeid, "name": nodeid, "line": 10 * k + line,
                                          "type": "scenario", "tags": [], "steps": []})
    failures = sum(outcome == "failed" for _, _, outcome in scenarios)
    (folder / "results.json").write_text(json.dumps(results))
    (folder / "problems.json").write_text(json.dumps(problems or []))
    (folder / "junit.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">'
        f'<testsuite name="pytest" errors="0" failures="{failures}" skipped="0" tests="{len(scenarios)}" time="{len(scenarios)}.5"'
        f' timestamp="2026-12-01T20:0{k}:00" hostname="runner-{k}">{"".join(cases)}</testsuite></testsuites>'
    )
    (folder / "cucumber.json").write_text(json.dumps(list(features.values())))
    described = {"name": "Reference", "profile": str(profile), "control_url": f"http://127.0.0.1:{8000 + k} (bundled)",
                 "capabilities": {"clock": True, "password_login": True}, "policy": {"login_link_ttl_s": 600},
                 "browser": "chromium-headless-shell 131 (/usr/bin/chromium-headless-shell)", "expected_deviations": {}}
    (folder / "target.json").write_text(json.dumps({**described, **(target or {})}))
    written = run_manifest(profile_path=profile, profile_name="Reference", shard=Shard(k, n), features_digest=digest,
                           started_at=T0 + datetime.timedelta(minutes=k))
    write_run_manifest(folder, {**written, **(manifest or {})})
    return folder


def two_shards(tmp_path: Path) -> list[Path]:
    return [
        make_shard_run(tmp_path / "s1", 1, 2, [("f::test_a", "MU-3", "passed"), ("f::test_b", "LL-1", "failed")]),
        make_shard_run(tmp_path / "s2", 2, 2, [("f::test_c", "MU-3", "passed"), ("f::test_d", "INV-1", "passed")]),
    ]


def test_shards_merge_into_one_run_with_one_report(tmp_path: Path) -> None:
    out = tmp_path / "merged"
    summary = merge(list(reversed(two_shards(tmp_path))), out)
    results = json.loads((out / "results.json").read_text())
    assert [entry["nodeid"] for entry in results] == ["f::test_a", "f::test_b", "f::test_c", "f::test_d"]
    assert summary["scenarios"] == {"total": 4, "by_outcome": {"passed": 3, "failed": 1}}
    verdicts = {rule["id"]: rule["verdict"] for rule in summary["rules"]}
    assert verdicts["MU-3"] == "PASS" and verdicts["LL-1"] == "FAIL" and verdicts["INV-1"] == "PASS"
    assert json.loads((out / "summary.json").read_text())["verdicts"] == summary["verdicts"]
    assert "LL-1" in (out / "index.html").read_text()


def test_the_evidence_is_copied_and_the_results_point_at_the_copy(tmp_path: Path) -> None:
    out = tmp_path / "merged"
    merge(two_shards(tmp_path), out)
    failed = next(entry for entry in json.loads((out / "results.json").read_text()) if entry["outcome"] == "failed")
    assert failed["evidence"] == "test_b"
    assert (out / "test_b" / "page.html").read_text() == "<p>f::test_b</p>"
    assert 'href="test_b/' in (out / "index.html").read_text()


def test_evidence_named_absolute_by_an_older_runner_points_into_the_merged_folder(tmp_path: Path) -> None:
    first = make_shard_run(tmp_path / "s1", 1, 2, [("f::test_b", "LL-1", "failed")], absolute_evidence=True)
    second = make_shard_run(tmp_path / "s2", 2, 2, [("f::test_c", "MU-3", "passed")])
    merge([first, second], tmp_path / "out")
    (entry, _) = json.loads((tmp_path / "out" / "results.json").read_text())
    assert entry["evidence"] == str((tmp_path / "out" / "test_b").resolve())


def test_evidence_folders_of_the_same_name_in_two_shards_are_both_kept(tmp_path: Path) -> None:
    first = make_shard_run(tmp_path / "s1", 1, 2, [("f::test_b", "LL-1", "failed")])
    second = make_shard_run(tmp_path / "s2", 2, 2, [("g::test_b", "LL-1", "failed")])
    merge([first, second], tmp_path / "out")
    entries = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [entry["evidence"] for entry in entries] == ["test_b", "test_b.shard-2"]
    assert (tmp_path / "out" / "test_b.shard-2" / "page.html").read_text() == "<p>g::test_b</p>"


def test_problems_of_the_run_are_merged_once_each(tmp_path: Path) -> None:
    broken = {"where": "features/x.feature", "message": "could not parse"}
    first = make_shard_run(tmp_path / "s1", 1, 2, [("f::test_a", "MU-3", "passed")], problems=[broken])
    second = make_shard_run(tmp_path / "s2", 2, 2, [("f::test_c", "MU-3", "passed")],
                            problems=[broken, {"where": "steps", "message": "other"}])
    merge([first, second], tmp_path / "out")
    assert json.loads((tmp_path / "out" / "problems.json").read_text()) == [broken, {"where": "steps", "message": "other"}]


def test_junit_is_one_testsuite_with_every_testcase_and_the_counts_summed(tmp_path: Path) -> None:
    out = tmp_path / "merged"
    merge(two_shards(tmp_path), out)
    root = ET.parse(out / "junit.xml").getroot()
    (suite,) = root.findall("testsuite")
    assert [case.get("name") for case in suite.iter("testcase")] == ["f::test_a", "f::test_b", "f::test_c", "f::test_d"]
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("4", "1", "0", "0")
    assert suite.get("time") == "5.000" and suite.get("timestamp") == "2026-12-01T20:01:00"
    assert suite.get("hostname") == "runner-1,runner-2"


def test_cucumber_features_of_the_same_uri_are_merged(tmp_path: Path) -> None:
    out = tmp_path / "merged"
    merge(two_shards(tmp_path), out)
    features = {feature["uri"]: feature for feature in json.loads((out / "cucumber.json").read_text())}
    assert sorted(features) == ["features/inv.feature", "features/ll.feature", "features/mu.feature"]
    assert [element["id"] for element in features["features/mu.feature"]["elements"]] == ["f::test_a", "f::test_c"]


def test_the_merged_run_says_it_was_merged_and_from_what(tmp_path: Path) -> None:
    out = tmp_path / "merged"
    merge(two_shards(tmp_path), out)
    manifest = read_run_manifest(out)
    assert manifest["shard"] is None and manifest["started_at"] == "2026-12-01T20:01:00+00:00"
    assert [(part["k"], part["n"]) for part in manifest["merged_from"]] == [(1, 2), (2, 2)]
    assert manifest["suite_version"] == SUITE_VERSION and manifest["features_digest"] == DIGEST
    assert json.loads((out / "target.json").read_text())["control_url"] == "http://127.0.0.1:8001 (bundled)"


def test_shards_on_different_browsers_name_both(tmp_path: Path) -> None:
    first = make_shard_run(tmp_path / "s1", 1, 2, [("f::test_a", "MU-3", "passed")])
    second = make_shard_run(tmp_path / "s2", 2, 2, [("f::test_c", "MU-3", "passed")], target={"browser": "chromium 130"})
    merge([first, second], tmp_path / "out")
    assert json.loads((tmp_path / "out" / "target.json").read_text())["browser"].endswith("; chromium 130")


def _refusal(tmp_path: Path, folders: list[Path]) -> str:
    out = tmp_path / "merged"
    with pytest.raises(MergeError) as refused:
        merge(folders, out)
    assert not out.exists() and not list(tmp_path.glob(".merged.partial-*"))
    return str(refused.value)


@pytest.mark.parametrize(
    ("manifest", "says"),
    [({"suite_version": "0.0.9"}, "different suite versions"), ({"profile_digest": "cd" * 32}, "different profiles"),
     ({"features_digest": "cd" * 32}, "different features"),
     ({"selection": {"pytest_args": ["-k", "MU"], "durations_digest": None}}, "chose their scenarios differently"),
     ({"selection": {"pytest_args": [], "durations_digest": "cd" * 32}}, "chose their scenarios differently")],
)
def test_shards_of_different_runs_are_refused(tmp_path: Path, manifest: dict[str, Any], says: str) -> None:
    first = make_shard_run(tmp_path / "s1", 1, 2, [("f::test_a", "MU-3", "passed")])
    second = make_shard_run(tmp_path / "s2", 2, 2, [("f::test_c", "MU-3", "passed")], manifest=manifest)
    message = _refusal(tmp_path, [first, second])
    assert says in message and "shard 1/2" in message and "shard 2/2" in message


def test_shards_of_a_different_split_are_refused(tmp_path: Path) -> None:
    first = make_shard_run(tmp_path / "s1", 1, 2, [("f::test_a", "MU-3", "passed")])
    second = make_shard_run(tmp_path / "s2", 2, 3, [("f::test_c", "MU-3", "passed")])
    assert "into 2 and 3 shards" in _refusal(tmp_path, [first, second])


def test_a_duplicate_shard_is_refused(tmp_path: Path) -> None:
    first = make_shard_run(tmp_path / "s1", 1, 2, [("f::test_a", "MU-3", "passed")])
    again = make_shard_run(tmp_path / "again", 1, 2, [("f::test_a", "MU-3", "passed")])
    message = _refusal(tmp_path, [first, again])
    assert "shard 1/2 appears twice" in message and "again" in message


def test_missing_shards_are_named(tmp_path: Path) -> None:
    second = make_shard_run(tmp_path / "s2", 2, 4, [("f::test_c", "MU-3", "passed")])
    assert "shard(s) 1/4, 3/4, 4/4 missing" in _refusal(tmp_path, [second])


def test_overlapping_shards_are_refused(tmp_path: Path) -> None:
    first = make_shard_run(tmp_path / "s1", 1, 2, [("f::test_a", "MU-3", "passed")])
    second = make_shard_run(tmp_path / "s2", 2, 2, [("f::test_a", "MU-3", "passed")])
    assert "f::test_a ran in shard 1/2" in _refusal(tmp_path, [first, second])


def test_shards_describing_different_targets_are_refused(tmp_path: Path) -> None:
    first = make_shard_run(tmp_path / "s1", 1, 2, [("f::test_a", "MU-3", "passed")])
    second = make_shard_run(tmp_path / "s2", 2, 2, [("f::test_c", "MU-3", "passed")], target={"policy": {"login_link_ttl_s": 900}})
    assert "their 'policy' differs" in _refusal(tmp_path, [first, second])


def test_a_whole_run_or_a_folder_without_run_json_is_not_a_shard(tmp_path: Path) -> None:
    whole = make_shard_run(tmp_path / "whole", 1, 1, [("f::test_a", "MU-3", "passed")], manifest={"shard": None})
    assert "not a shard" in _refusal(tmp_path, [whole])
    bare = tmp_path / "bare"
    bare.mkdir()
    assert "run.json: no such file" in _refusal(tmp_path, [bare])
    assert "no such folder" in _refusal(tmp_path, [tmp_path / "nowhere"])
    assert "no shard run folders" in _refusal(tmp_path, [])


def test_a_shard_lacking_a_file_the_others_have_is_refused(tmp_path: Path) -> None:
    first, second = two_shards(tmp_path)
    (second / "junit.xml").unlink()
    assert "shard 2/2" in (message := _refusal(tmp_path, [first, second])) and "no junit.xml" in message
    (second / "results.json").write_text("{not json")
    assert "results.json: not JSON" in _refusal(tmp_path, [first, second])


def test_merge_will_not_overwrite_or_write_into_a_shard(tmp_path: Path) -> None:
    first, second = two_shards(tmp_path)
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")
    with pytest.raises(MergeError, match="not an empty folder"):
        merge([first, second], taken)
    assert [p.name for p in taken.iterdir()] == ["keep.txt"]
    with pytest.raises(MergeError, match="inside shard 1/2"):
        merge([first, second], first / "merged")
    assert not (first / "merged").exists()
    (tmp_path / "empty").mkdir()
    merge([first, second], tmp_path / "empty")
    assert (tmp_path / "empty" / "results.json").exists()


@pytest.mark.parametrize(
    ("change", "says"),
    [({"shard": {"k": 3, "n": 2}}, "'shard' must be null"), ({"shard": {"k": True, "n": 2}}, "'shard' must be null"),
     ({"features_digest": "xyz"}, "SHA-256"), ({"started_at": "yesterday"}, "ISO 8601"),
     ({"started_at": "2026-12-01T20:00:00"}, "with its offset"), ({"suite_version": 1}, "'suite_version' must be a string"),
     ({"selection": {"pytest_args": "-k MU"}}, "'selection' must be"), ({"selection": {"pytest_args": [], "durations_digest": "x"}}, "'selection' must be")],
)
def test_a_run_json_that_is_wrong_is_refused_naming_the_key(tmp_path: Path, change: dict[str, Any], says: str) -> None:
    profile = tmp_path / "profile.toml"
    profile.write_text("x")
    write_run_manifest(tmp_path, {**run_manifest(profile_path=profile, profile_name="P", shard=None, features_digest=DIGEST), **change})
    with pytest.raises(RunManifestError, match=says):
        read_run_manifest(tmp_path)


def test_run_json_round_trips(tmp_path: Path) -> None:
    profile = tmp_path / "profile.toml"
    profile.write_text("[target]\n")
    written = run_manifest(profile_path=profile, profile_name="P", shard=Shard(2, 3), features_digest=DIGEST, started_at=T0)
    write_run_manifest(tmp_path, written)
    assert read_run_manifest(tmp_path) == written == {
        "suite_version": SUITE_VERSION, "profile_name": "P",
        "profile_digest": hashlib.sha256(b"[target]\n").hexdigest(),
        "features_digest": DIGEST, "shard": {"k": 2, "n": 3}, "started_at": "2026-12-01T20:00:00+00:00",
        "selection": {"pytest_args": [], "durations_digest": None},
    }
    durations = tmp_path / "results.json"
    durations.write_text("[]")
    selected = run_manifest(profile_path=profile, profile_name="P", shard=Shard(2, 3), features_digest=DIGEST,
                            pytest_args=["-m", "must"], durations_path=durations)
    assert selected["selection"] == {"pytest_args": ["-m", "must"], "durations_digest": hashlib.sha256(b"[]").hexdigest()}
    write_run_manifest(tmp_path, selected)
    assert read_run_manifest(tmp_path) == selected
    with pytest.raises(ValueError, match="timezone-aware"):
        run_manifest(profile_path=profile, profile_name="P", shard=None, features_digest=DIGEST, started_at=T0.replace(tzinfo=None))


def test_the_features_digest_covers_names_and_contents_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "features").mkdir()
    (tmp_path / "steps" / "__pycache__").mkdir(parents=True)
    (tmp_path / "features" / "a.feature").write_text("Feature: A")
    (tmp_path / "steps" / "s.py").write_text("x = 1")
    (tmp_path / "steps" / "__pycache__" / "s.cpython-311.pyc").write_bytes(b"\0")
    folders = [tmp_path / "features", tmp_path / "steps"]
    before = features_digest(folders, root=tmp_path)
    assert before == features_digest(list(reversed(folders)), root=tmp_path)
    assert before == features_digest([tmp_path / "steps" / "s.py", tmp_path / "features" / "a.feature"], root=tmp_path)
    (tmp_path / "steps" / "__pycache__" / "s.cpython-311.pyc").write_bytes(b"\1")
    assert features_digest(folders, root=tmp_path) == before
    (tmp_path / "steps" / "s.py").write_text("x = 2")
    assert features_digest(folders, root=tmp_path) != before
    (tmp_path / "steps" / "s.py").write_text("x = 1")
    (tmp_path / "steps" / "s.py").rename(tmp_path / "steps" / "t.py")
    assert features_digest(folders, root=tmp_path) != before
    with pytest.raises(ValueError, match="is not under"):
        features_digest([tmp_path / "features"], root=tmp_path / "steps")
    with pytest.raises(FileNotFoundError, match="no such file"):
        features_digest([tmp_path / "nowhere"], root=tmp_path)
