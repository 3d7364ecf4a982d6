"""keygen, bundle, verify and merge from the command line: what they print and how they exit."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_merge import make_shard_run

from portalcheck.distributed_cli import COMMANDS, bundle, keygen, merge, verify


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path, str]:
    private, public = tmp_path / "k.pem", tmp_path / "k.pub.pem"
    result = CliRunner().invoke(keygen, ["--key", str(private), "--pub", str(public)])
    assert result.exit_code == 0, result.output
    fingerprint = next(line.split()[-1] for line in result.output.splitlines() if "fingerprint" in line)
    return private, public, fingerprint


def shards(tmp_path: Path, outcome: str = "passed") -> list[str]:
    return [str(make_shard_run(tmp_path / "s1", 1, 2, [("f::test_a", "MU-3", outcome)])),
            str(make_shard_run(tmp_path / "s2", 2, 2, [("f::test_c", "INV-1", "passed")]))]


def test_the_commands_are_exported_for_the_main_group() -> None:
    assert [command.name for command in COMMANDS] == ["keygen", "bundle", "verify", "merge"]


def test_keygen_prints_the_fingerprint_and_refuses_to_overwrite(tmp_path: Path, keys: tuple[Path, Path, str]) -> None:
    assert keys[2].startswith("sha256:")
    before = keys[0].read_bytes()
    result = CliRunner().invoke(keygen, ["--key", str(keys[0]), "--pub", str(tmp_path / "other.pub")])
    assert result.exit_code == 2 and "refusing to overwrite" in result.stderr
    assert keys[0].read_bytes() == before and not (tmp_path / "other.pub").exists()


def test_merge_then_bundle_then_verify(tmp_path: Path, keys: tuple[Path, Path, str]) -> None:
    runner = CliRunner()
    merged = runner.invoke(merge, [*shards(tmp_path), "--out", str(tmp_path / "merged")])
    assert merged.exit_code == 0, merged.output
    assert "merged 2 shards, 2 scenarios" in merged.stdout and "index.html" in merged.stdout
    signed = runner.invoke(bundle, [str(tmp_path / "merged"), "--key", str(keys[0])])
    assert signed.exit_code == 0, signed.output
    out = tmp_path / "merged.bundle.tar.gz"
    assert out.exists() and str(out) in signed.stdout
    checked = runner.invoke(verify, [str(out), "--pub", str(keys[1])])
    assert checked.exit_code == 0, checked.output
    assert f"signed by  {keys[2]}" in checked.stdout
    assert "signed at  20" in checked.stdout and "merged from 2 shards" in checked.stdout
    assert "profile    Reference" in checked.stdout and "browser    chromium-headless-shell" in checked.stdout


def test_merge_exits_as_report_does_when_a_must_rule_fails(tmp_path: Path) -> None:
    result = CliRunner().invoke(merge, [*shards(tmp_path, outcome="failed"), "--out", str(tmp_path / "merged")])
    assert result.exit_code == 1 and "1 FAIL" in result.stdout


def test_merge_refuses_missing_shards_with_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    first = shards(tmp_path)[0]
    result = CliRunner().invoke(merge, [first, "--out", str(tmp_path / "merged")])
    assert result.exit_code == 2
    assert "cannot merge: shard(s) 2/2 missing" in result.stderr and "Usage" not in result.stderr
    assert not (tmp_path / "merged").exists()


def test_verify_refuses_a_changed_bundle_with_exit_1_naming_the_file(tmp_path: Path, keys: tuple[Path, Path, str]) -> None:
    run_dir = make_shard_run(tmp_path / "run", 1, 1, [("f::test_a", "MU-3", "passed")])
    out = tmp_path / "b.tar.gz"
    assert CliRunner().invoke(bundle, [str(run_dir), "--key", str(keys[0]), "--out", str(out)]).exit_code == 0
    tampered = tmp_path / "t.tar.gz"
    with tarfile.open(out, "r:gz") as source, tarfile.open(tampered, "w:gz") as target:
        for member in source.getmembers():
            extracted = source.extractfile(member)
            assert extracted is not None
            data = extracted.read()
            if member.name == "run/results.json":
                data = data.replace(b"passed", b"failed")
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    result = CliRunner().invoke(verify, [str(tampered), "--pub", str(keys[1])])
    assert result.exit_code == 1
    assert "refused" in result.stderr and "run/results.json: changed after signing" in result.stderr
    assert result.stdout == ""


def test_verify_refuses_another_key_with_exit_1(tmp_path: Path, keys: tuple[Path, Path, str]) -> None:
    run_dir = make_shard_run(tmp_path / "run", 1, 1, [("f::test_a", "MU-3", "passed")])
    out = tmp_path / "b.tar.gz"
    assert CliRunner().invoke(bundle, [str(run_dir), "--key", str(keys[0]), "--out", str(out)]).exit_code == 0
    other = CliRunner().invoke(keygen, ["--key", str(tmp_path / "o.pem"), "--pub", str(tmp_path / "o.pub")])
    result = CliRunner().invoke(verify, [str(out), "--pub", str(tmp_path / "o.pub")])
    assert result.exit_code == 1 and f"signed by {keys[2]}" in result.stderr and other.exit_code == 0


def test_bundle_refuses_a_folder_that_is_not_a_run_with_exit_2(tmp_path: Path, keys: tuple[Path, Path, str]) -> None:
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(bundle, [str(tmp_path / "empty"), "--key", str(keys[0])])
    assert result.exit_code == 2 and "run.json: no such file" in result.stderr
    assert not (tmp_path / "empty.bundle.tar.gz").exists()

