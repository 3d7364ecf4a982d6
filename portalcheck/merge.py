"""One run folder from the run folders of a sharded run: results, JUnit, cucumber, evidence.

results.json is concatenated in shard order, problems.json too (repeats dropped: every shard
collects the whole suite), target.json taken once (the shards must describe the same target),
JUnit XML becomes one testsuite, cucumber features of the same URI become one feature.

Each shard's run folder carries a `run.json` (written by the runner) saying what ran:

    {
      "suite_version": "0.1.0",             # portalcheck.SUITE_VERSION of the runner
      "profile_name": "Reference simulator", # the profile's target.name
      "profile_digest": "<sha256 hex>",      # of the profile file's bytes (profile_digest)
      "features_digest": "<sha256 hex>",     # of the features and steps that ran (features_digest)
      "shard": {"k": 2, "n": 4},             # or null for a run of the whole suite
      "started_at": "2026-12-01T20:49:52+00:00",
      "selection": {"pytest_args": ["-k", "MU"], "durations_digest": "<sha256 hex>" or null}
    }

"selection" (optional) is what chose and split the scenarios: the pytest arguments given to the
run beyond the runner's own, and the SHA-256 of the durations file the split was balanced by.
Shards given different ones split different collections, and their union could silently miss
scenarios. Shards merge only when they ran the same suite version, profile, features and
selection, and all N of them are there, each once. The merged folder's run.json has "shard": null, the earliest
"started_at", and "merged_from": [{"k", "n", "started_at"}, ...].
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Iterable, Sequence

from . import SUITE_VERSION, report
from .shards import Shard, ShardError

RUN_MANIFEST = "run.json"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SAME_TARGET_EXCEPT = {"control_url", "browser", "profile"}  # differ by machine, not by target


class RunManifestError(ValueError):
    """A run.json that is missing or does not say what it must."""


class MergeError(Exception):
    """Shard run folders that do not make one run; the message says which and why."""


def profile_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def features_digest(paths: Iterable[Path], *, root: Path) -> str:
    """SHA-256 over the files (folders: every file in them but bytecode), in order of their
    path relative to `root`, each as `path NUL size NUL content`, so moving a byte between a
    file's name and its content changes the digest."""
    root = Path(root).resolve()
    files: dict[str, Path] = {}
    for path in paths:
        path = Path(path).resolve()
        if not path.exists():
            raise FileNotFoundError(f"features_digest: {path}: no such file or folder")
        found = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for file in found:
            if "__pycache__" in file.parts or file.suffix == ".pyc":
                continue
            if not file.is_relative_to(root):
                raise ValueError(f"features_digest: {file} is not under {root}")
            files[file.relative_to(root).as_posix()] = file
    digest = hashlib.sha256()
    for name in sorted(files):
        content = files[name].read_bytes()
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()


def run_manifest(
    *, profile_path: Path, profile_name: str, shard: Shard | None, features_digest: str,
    started_at: datetime.datetime | None = None, pytest_args: Sequence[str] = (), durations_path: Path | None = None,
) -> dict[str, Any]:
    """The run.json of a run starting now (or at `started_at`, which must be timezone-aware).

    `pytest_args`: the arguments that narrow the collection (-k, -m, ...), not the runner's own
    (run folder, profile path), which differ between machines."""
    started = started_at or datetime.datetime.now(datetime.timezone.utc)
    if started.tzinfo is None:
        raise ValueError("run_manifest: started_at must be timezone-aware")
    return {
        "suite_version": SUITE_VERSION,
        "profile_name": profile_name,
        "profile_digest": profile_digest(profile_path),
        "features_digest": features_digest,
        "shard": None if shard is None else {"k": shard.k, "n": shard.n},
        "started_at": started.astimezone(datetime.timezone.utc).isoformat(timespec="seconds"),
        "selection": {
            "pytest_args": list(pytest_args),
            "durations_digest": None if durations_path is None else hashlib.sha256(Path(durations_path).read_bytes()).hexdigest(),
        },
    }


def write_run_manifest(run_dir: Path, manifest: dict[str, Any]) -> Path:
    """Write run.json whole (then rename), so a reader never meets half a file."""
    path = Path(run_dir) / RUN_MANIFEST
    partial = path.with_name(f"{RUN_MANIFEST}.{os.getpid()}")
    partial.write_text(json.dumps(manifest, indent=2))
    os.replace(partial, path)
    return path


def read_run_manifest(run_dir: Path) -> dict[str, Any]:
    """run.json of `run_dir`, checked; RunManifestError names the file and the key that is wrong."""
    path = Path(run_dir) / RUN_MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunManifestError(f"{path}: no such file (was the run made by `portalcheck run`?)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RunManifestError(f"{path}: not JSON: {error}") from None
    if not isinstance(data, dict):
        raise RunManifestError(f"{path}: not a JSON object")
    for key in ("suite_version", "profile_name", "profile_digest", "features_digest", "started_at"):
        if not isinstance(data.get(key), str):
            raise RunManifestError(f"{path}: {key!r} must be a string")
    for key in ("profile_digest", "features_digest"):
        if not _HEX64.fullmatch(data[key]):
            raise RunManifestError(f"{path}: {key!r} must be a SHA-256 in hex")
    try:
        aware = datetime.datetime.fromisoformat(data["started_at"]).tzinfo is not None
    except ValueError:
        aware = False
    if not aware:
        raise RunManifestError(f"{path}: 'started_at' is not an ISO 8601 time with its offset: {data['started_at']!r}")
    selection = data.get("selection")
    if selection is not None and not (
        isinstance(selection, dict) and isinstance(selection.get("pytest_args"), list)
        and all(isinstance(arg, str) for arg in selection["pytest_args"])
        and (selection.get("durations_digest") is None or _HEX64.fullmatch(str(selection["durations_digest"])))
    ):
        raise RunManifestError(f"{path}: 'selection' must be {{\"pytest_args\": [...], \"durations_digest\": hex or null}}")
    shard = data.get("shard", ...)
    if shard is ...:
        raise RunManifestError(f"{path}: 'shard' is missing (null for a run of the whole suite)")
    if shard is not None:
        try:
            Shard(shard["k"], shard["n"])
            valid = all(type(shard[key]) is int for key in ("k", "n"))
        except (ShardError, TypeError, KeyError):
            valid = False
        if not valid:
            raise RunManifestError(f"{path}: 'shard' must be null or {{\"k\": K, \"n\": N}} with 1 <= K <= N, not {shard!r}")
    return data


def merge(run_dirs: Sequence[Path], out_dir: Path) -> dict[str, Any]:
    """Merge shard run folders into `out_dir` (absent or empty) and build its report.

    Everything is read and checked before anything is written: a MergeError leaves no trace.
    Returns the summary, as report.build does.
    """
    if not run_dirs:
        raise MergeError("no shard run folders to merge")
    out_dir = Path(out_dir).resolve()
    shards = sorted((_read_shard(Path(folder)) for folder in run_dirs), key=lambda shard: shard.number.k)
    _check_same_run(shards)
    _check_out_dir(out_dir, shards)
    results = _merged_results(shards)
    target = _merged_target(shards)
    partial = out_dir.with_name(f".{out_dir.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        _write_merged(shards, results, target, partial, out_dir)
        if out_dir.exists():
            out_dir.rmdir()  # checked empty above
        partial.rename(out_dir)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    try:
        return report.build(out_dir)
    except BaseException:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise


def _write_merged(
    shards: list[_ShardRun], results: list[list[dict[str, Any]]], target: dict[str, Any] | None, into: Path, out_dir: Path
) -> None:
    renamed = _copy_evidence(shards, into)
    for shard, entries in zip(shards, results):
        for entry in entries:
            if isinstance(entry.get("evidence"), str) and entry["evidence"]:
                entry["evidence"] = _moved(entry["evidence"], renamed.get(shard.number.k, {}), out_dir)
    (into / "results.json").write_text(json.dumps([entry for entries in results for entry in entries], indent=2))
    if any(shard.problems is not None for shard in shards):
        problems = [problem for shard in shards for problem in shard.problems or []]
        once = [problem for i, problem in enumerate(problems) if problem not in problems[:i]]  # every shard collects all
        (into / "problems.json").write_text(json.dumps(once, indent=2))
    if target is not None:
        (into / "target.json").write_text(json.dumps(target, indent=2))
    if shards[0].junit is not None:
        _merged_junit(shards).write(into / "junit.xml", encoding="utf-8", xml_declaration=True)
    if shards[0].cucumber is not None:
        (into / "cucumber.json").write_text(json.dumps(_merged_cucumber(shards), indent=2))
    write_run_manifest(into, _merged_manifest(shards))


class _ShardRun:
    """One shard's run folder, read whole."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            self.manifest = read_run_manifest(folder)
        except RunManifestError as error:
            raise MergeError(str(error)) from None
        if self.manifest["shard"] is None:
            raise MergeError(f"{folder}: not a shard: its run.json says it ran the whole suite (no --shard)")
        self.number = Shard(self.manifest["shard"]["k"], self.manifest["shard"]["n"])
        results = self._json("results.json", required=True)
        if not isinstance(results, list) or not all(isinstance(e, dict) and isinstance(e.get("nodeid"), str) for e in results):
            raise MergeError(f"{folder / 'results.json'}: not a list of scenario results")
        self.results: list[dict[str, Any]] = results
        self.target: dict[str, Any] | None = self._json("target.json")
        self.problems: list[Any] | None = self._json("problems.json")
        if self.problems is not None and not isinstance(self.problems, list):
            raise MergeError(f"{folder / 'problems.json'}: not a list of problems")
        self.cucumber: list[dict[str, Any]] | None = self._json("cucumber.json")
        if self.cucumber is not None and not all(
            isinstance(f, dict) and isinstance(f.get("uri"), str) and isinstance(f.get("elements"), list) for f in self.cucumber
        ):
            raise MergeError(f"{folder / 'cucumber.json'}: not a list of cucumber features")
        self.junit = self._junit()

    def __str__(self) -> str:
        return f"shard {self.number} ({self.folder})"

    def _json(self, name: str, required: bool = False) -> Any:
        path = self.folder / name
        if not path.exists():
            if required:
                raise MergeError(f"{path}: no such file: not a portalcheck run folder")
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise MergeError(f"{path}: not JSON: {error}") from None

    def _junit(self) -> ET.Element | None:
        path = self.folder / "junit.xml"
        if not path.exists():
            return None
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as error:
            raise MergeError(f"{path}: not XML: {error}") from None
        if root.tag not in ("testsuites", "testsuite"):
            raise MergeError(f"{path}: not JUnit XML (its root is <{root.tag}>)")
        return root


def _read_shard(folder: Path) -> _ShardRun:
    if not folder.is_dir():
        raise MergeError(f"{folder}: no such folder")
    return _ShardRun(folder.resolve())


def _check_same_run(shards: list[_ShardRun]) -> None:
    first = shards[0]
    for shard in shards[1:]:
        for key, what in (("suite_version", "suite versions"), ("profile_digest", "profiles"), ("features_digest", "features")):
            if shard.manifest[key] != first.manifest[key]:
                mine, theirs = (_described(s, key) for s in (first, shard))
                raise MergeError(f"{first} and {shard} ran different {what} ({mine} and {theirs}): they are not one run")
        if shard.manifest.get("selection") != first.manifest.get("selection"):
            raise MergeError(
                f"{first} and {shard} chose their scenarios differently ({first.manifest.get('selection')} and"
                f" {shard.manifest.get('selection')}): their parts need not add up to one run"
            )
        if shard.number.n != first.number.n:
            raise MergeError(f"{first} and {shard} split the suite differently: into {first.number.n} and {shard.number.n} shards")
    seen: dict[int, _ShardRun] = {}
    for shard in shards:
        if shard.number.k in seen:
            raise MergeError(f"shard {shard.number} appears twice: {seen[shard.number.k].folder} and {shard.folder}")
        seen[shard.number.k] = shard
    missing = [k for k in range(1, first.number.n + 1) if k not in seen]
    if missing:
        raise MergeError(f"shard(s) {', '.join(f'{k}/{first.number.n}' for k in missing)} missing: a merge needs all {first.number.n}")
    for name, present in (("target.json", [s.target is not None for s in shards]), ("junit.xml", [s.junit is not None for s in shards]),
                          ("cucumber.json", [s.cucumber is not None for s in shards])):
        if any(present) and not all(present):
            lacking = next(s for s, here in zip(shards, present) if not here)
            raise MergeError(f"{lacking} has no {name}, while other shards have one")


def _described(shard: _ShardRun, key: str) -> str:
    value = shard.manifest[key]
    if key == "profile_digest":
        return f"{shard.manifest['profile_name']!r}, sha256 {value[:12]}"
    return value if key == "suite_version" else f"sha256 {value[:12]}"


def _check_out_dir(out_dir: Path, shards: list[_ShardRun]) -> None:
    for shard in shards:
        if out_dir == shard.folder or out_dir.is_relative_to(shard.folder):
            raise MergeError(f"--out {out_dir} is inside {shard}: merge into a folder of its own")
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise MergeError(f"--out {out_dir} exists and is not an empty folder: refusing to overwrite it")


def _merged_results(shards: list[_ShardRun]) -> list[list[dict[str, Any]]]:
    owner: dict[str, _ShardRun] = {}
    for shard in shards:
        for entry in shard.results:
            if entry["nodeid"] in owner:
                raise MergeError(f"{entry['nodeid']} ran in {owner[entry['nodeid']]} and in {shard}: shards must not overlap")
            owner[entry["nodeid"]] = shard
    return [[dict(entry) for entry in shard.results] for shard in shards]


def _merged_target(shards: list[_ShardRun]) -> dict[str, Any] | None:
    if shards[0].target is None:
        return None
    first = shards[0].target
    for shard in shards[1:]:
        assert shard.target is not None
        for key in sorted((set(first) | set(shard.target)) - _SAME_TARGET_EXCEPT):
            if first.get(key) != shard.target.get(key):
                raise MergeError(f"{shards[0]} and {shard} describe different targets: their {key!r} differs")
    browsers = list(dict.fromkeys(str(s.target["browser"]) for s in shards if s.target and s.target.get("browser")))
    merged = dict(first)
    if browsers:
        merged["browser"] = "; ".join(browsers)
    return merged


def _copy_evidence(shards: list[_ShardRun], into: Path) -> dict[int, dict[str, str]]:
    """Copy every shard's evidence folders; {k: {folder name: name in the merged folder}}."""
    renamed: dict[int, dict[str, str]] = {}
    for shard in shards:
        for folder in sorted(p for p in shard.folder.iterdir() if p.is_dir()):
            name = folder.name if not (into / folder.name).exists() else f"{folder.name}.shard-{shard.number.k}"
            shutil.copytree(folder, into / name)
            renamed.setdefault(shard.number.k, {})[folder.name] = name
    return renamed


def _moved(evidence: str, renamed: dict[str, str], out_dir: Path) -> str:
    """Where a result's evidence is once merged: relative stays relative (what the runner
    writes), absolute (older runners) points into `out_dir`."""
    path = Path(evidence)
    top = path.name if path.is_absolute() else path.parts[0]
    if top not in renamed:
        return evidence
    return str(out_dir / renamed[top]) if path.is_absolute() else str(Path(renamed[top], *path.parts[1:]))


def _merged_junit(shards: list[_ShardRun]) -> ET.ElementTree:
    suites = [suite for shard in shards if shard.junit is not None for suite in shard.junit.iter("testsuite")]
    combined = ET.Element("testsuite", {"name": suites[0].get("name", "pytest") if suites else "pytest"})
    for counter in ("errors", "failures", "skipped", "tests"):
        combined.set(counter, str(sum(int(suite.get(counter, "0")) for suite in suites)))
    combined.set("time", f"{sum(float(suite.get('time', '0')) for suite in suites):.3f}")
    stamps = [suite.get("timestamp") for suite in suites if suite.get("timestamp")]
    if stamps:
        combined.set("timestamp", min(stamps))  # type: ignore[type-var]
    hosts = list(dict.fromkeys(suite.get("hostname", "") for suite in suites if suite.get("hostname")))
    if hosts:
        combined.set("hostname", ",".join(hosts))
    for suite in suites:
        combined.extend(child for child in suite if child.tag != "testcase" and child.tag != "properties")
    properties = [prop for suite in suites for props in suite.findall("properties") for prop in props]
    if properties:
        ET.SubElement(combined, "properties").extend(properties)
    combined.extend(case for suite in suites for case in suite.iter("testcase"))
    root = ET.Element("testsuites", {"name": "pytest tests"})
    root.append(combined)
    return ET.ElementTree(root)


def _merged_cucumber(shards: list[_ShardRun]) -> list[dict[str, Any]]:
    features: dict[str, dict[str, Any]] = {}
    for shard in shards:
        for feature in shard.cucumber or []:
            if feature["uri"] not in features:
                features[feature["uri"]] = {**feature, "elements": list(feature["elements"])}
            else:
                features[feature["uri"]]["elements"].extend(feature["elements"])
    for feature in features.values():
        feature["elements"].sort(key=lambda element: element.get("line", 0) if isinstance(element, dict) else 0)
    return list(features.values())


def _merged_manifest(shards: list[_ShardRun]) -> dict[str, Any]:
    first = shards[0].manifest
    return {
        **{key: first[key] for key in ("suite_version", "profile_name", "profile_digest", "features_digest", "selection") if key in first},
        "shard": None,
        "started_at": min((s.manifest["started_at"] for s in shards), key=datetime.datetime.fromisoformat),
        "merged_from": [{"k": s.number.k, "n": s.number.n, "started_at": s.manifest["started_at"]} for s in shards],
    }
