"""Signed bundles: a run travels as one file; any change to it, or another key, is refused by name."""

from __future__ import annotations

import datetime
import io
import json
import stat
import tarfile
from pathlib import Path
from typing import Callable

import pytest
from test_merge import DIGEST, make_shard_run

from portalcheck import SUITE_VERSION
from portalcheck.bundle import BundleError, keygen, make_bundle, verify_bundle

SIGNED_AT = datetime.datetime(2026, 12, 1, 21, 30, tzinfo=datetime.timezone.utc)


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path, str]:
    private, public = tmp_path / "signing.pem", tmp_path / "signing.pub.pem"
    return private, public, keygen(private, public)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return make_shard_run(tmp_path / "run", 1, 1, [("f::test_a", "MU-3", "passed"), ("f::test_b", "LL-1", "failed")])


@pytest.fixture
def bundle(tmp_path: Path, run_dir: Path, keys: tuple[Path, Path, str]) -> Path:
    out = tmp_path / "run.bundle.tar.gz"
    make_bundle(run_dir, keys[0], out, signed_at=SIGNED_AT)
    return out


def rewritten(bundle: Path, change: Callable[[str, bytes], bytes | None], extra: dict[str, bytes] | None = None) -> Path:
    """A copy of `bundle` with each member's bytes passed through `change` (None: left out)."""
    out = bundle.with_name("tampered.tar.gz")
    with tarfile.open(bundle, "r:gz") as source, tarfile.open(out, "w:gz") as target:
        for member in source.getmembers():
            extracted = source.extractfile(member)
            assert extracted is not None
            data = change(member.name, extracted.read())
            if data is not None:
                member.size = len(data)
                target.addfile(member, io.BytesIO(data))
        for name, data in (extra or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            target.addfile(info, io.BytesIO(data))
    return out


def flip_in(wanted: str, offset: int = -2) -> Callable[[str, bytes], bytes]:
    def change(name: str, data: bytes) -> bytes:
        if name != wanted:
            return data
        changed = bytearray(data)
        changed[offset] ^= 0x01
        return bytes(changed)
    return change


def test_a_bundle_verifies_and_says_what_was_signed_by_which_key_and_when(bundle: Path, run_dir: Path, keys: tuple[Path, Path, str]) -> None:
    verified = verify_bundle(bundle, keys[1])
    assert verified.fingerprint == keys[2] and keys[2].startswith("sha256:") and len(keys[2]) == 7 + 64
    assert verified.signed_at == SIGNED_AT
    manifest = verified.manifest
    assert manifest["suite_version"] == SUITE_VERSION and manifest["features_digest"] == DIGEST
    assert manifest["profile"]["name"] == "Reference" and manifest["target"]["name"] == "Reference"
    assert manifest["browser"].startswith("chromium-headless-shell") and manifest["shard"] == {"k": 1, "n": 1}
    on_disk = sorted("run/" + p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*") if p.is_file())
    assert sorted(manifest["files"]) == on_disk and "run/test_b/page.html" in on_disk


def test_a_bundle_holds_the_run_files_the_manifest_and_its_signature(bundle: Path, run_dir: Path) -> None:
    with tarfile.open(bundle, "r:gz") as archive:
        names = archive.getnames()
        results = archive.extractfile("run/results.json")
        assert results is not None and results.read() == (run_dir / "results.json").read_bytes()
        signature = archive.extractfile("manifest.sig")
        assert signature is not None and len(signature.read()) == 64
    assert {"manifest.json", "manifest.sig", "run/run.json", "run/target.json"} <= set(names)


@pytest.mark.parametrize("name", ["run/results.json", "run/test_b/page.html", "run/junit.xml"])
def test_a_byte_changed_in_a_run_file_is_refused_naming_it(bundle: Path, keys: tuple[Path, Path, str], name: str) -> None:
    with pytest.raises(BundleError, match=f"^{name}: changed after signing"):
        verify_bundle(rewritten(bundle, flip_in(name)), keys[1])


@pytest.mark.parametrize("name", ["manifest.json", "manifest.sig"])
def test_a_byte_changed_in_the_manifest_or_its_signature_is_refused(bundle: Path, keys: tuple[Path, Path, str], name: str) -> None:
    with pytest.raises(BundleError, match="manifest.sig does not verify manifest.json") as refused:
        verify_bundle(rewritten(bundle, flip_in(name, offset=40)), keys[1])
    assert f"{name} or" in str(refused.value) or f"or {name}" in str(refused.value)


def test_another_key_is_refused_naming_both(tmp_path: Path, bundle: Path, keys: tuple[Path, Path, str]) -> None:
    other = keygen(tmp_path / "other.pem", tmp_path / "other.pub.pem")
    with pytest.raises(BundleError) as refused:
        verify_bundle(bundle, tmp_path / "other.pub.pem")
    assert f"does not verify under {other}" in str(refused.value) and f"signed by {keys[2]}" in str(refused.value)


def test_a_member_not_in_the_manifest_is_refused(bundle: Path, keys: tuple[Path, Path, str]) -> None:
    tampered = rewritten(bundle, lambda name, data: data, extra={"run/extra.txt": b"hello"})
    with pytest.raises(BundleError, match="^run/extra.txt: in the bundle but not in the signed manifest"):
        verify_bundle(tampered, keys[1])


def test_a_listed_file_that_is_missing_is_refused(bundle: Path, keys: tuple[Path, Path, str]) -> None:
    tampered = rewritten(bundle, lambda name, data: None if name == "run/junit.xml" else data)
    with pytest.raises(BundleError, match="^run/junit.xml: in the signed manifest but missing"):
        verify_bundle(tampered, keys[1])


@pytest.mark.parametrize("name", ["../evil", "/etc/evil", "run/../../evil", "run//evil", "./run/x", "C:/evil", "run\\..\\evil"])
def test_member_names_that_could_escape_are_refused(bundle: Path, keys: tuple[Path, Path, str], name: str) -> None:
    with pytest.raises(BundleError, match="unsafe member name"):
        verify_bundle(rewritten(bundle, lambda n, data: data, extra={name: b"x"}), keys[1])


def test_links_and_duplicates_in_the_archive_are_refused(bundle: Path, keys: tuple[Path, Path, str]) -> None:
    linked = bundle.with_name("linked.tar.gz")
    with tarfile.open(bundle, "r:gz") as source, tarfile.open(linked, "w:gz") as target:
        for member in source.getmembers():
            target.addfile(member, source.extractfile(member))
        link = tarfile.TarInfo("run/link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        target.addfile(link)
    with pytest.raises(BundleError, match="^run/link: not a regular file"):
        verify_bundle(linked, keys[1])
    doubled = rewritten(bundle, lambda n, data: data, extra={"run/results.json": b"[]"})
    with pytest.raises(BundleError, match="^run/results.json: in the bundle twice"):
        verify_bundle(doubled, keys[1])


def test_a_damaged_or_foreign_file_is_refused(tmp_path: Path, bundle: Path, keys: tuple[Path, Path, str]) -> None:
    damaged = bytearray(bundle.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    (tmp_path / "damaged.tar.gz").write_bytes(bytes(damaged))
    with pytest.raises(BundleError):
        verify_bundle(tmp_path / "damaged.tar.gz", keys[1])
    (tmp_path / "foreign.tar.gz").write_text("hello")
    with pytest.raises(BundleError, match="not a readable bundle"):
        verify_bundle(tmp_path / "foreign.tar.gz", keys[1])
    with pytest.raises(BundleError, match="no such file"):
        verify_bundle(tmp_path / "nowhere.tar.gz", keys[1])


def test_keygen_keeps_the_private_key_private_and_never_overwrites(tmp_path: Path, keys: tuple[Path, Path, str]) -> None:
    private, public, _ = keys
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in private.read_bytes() and b"PUBLIC KEY" in public.read_bytes()
    before = private.read_bytes(), public.read_bytes()
    with pytest.raises(BundleError, match="exists: refusing to overwrite"):
        keygen(private, tmp_path / "new.pub.pem")
    with pytest.raises(BundleError, match="exists: refusing to overwrite"):
        keygen(tmp_path / "new.pem", public)
    assert (private.read_bytes(), public.read_bytes()) == before
    assert not (tmp_path / "new.pem").exists() and not (tmp_path / "new.pub.pem").exists()


def test_bundling_refuses_bad_input_and_writes_nothing(tmp_path: Path, run_dir: Path, bundle: Path, keys: tuple[Path, Path, str]) -> None:
    private, public, _ = keys
    before = bundle.read_bytes()
    with pytest.raises(BundleError, match="exists: refusing to overwrite"):
        make_bundle(run_dir, private, bundle)
    assert bundle.read_bytes() == before
    with pytest.raises(BundleError, match="inside the run folder"):
        make_bundle(run_dir, private, run_dir / "self.tar.gz")
    with pytest.raises(BundleError, match="not an unencrypted Ed25519 private key"):
        make_bundle(run_dir, public, tmp_path / "b1.tar.gz")
    with pytest.raises(BundleError, match="not an unencrypted Ed25519 public key"):
        verify_bundle(bundle, private)
    (run_dir / "run.json").unlink()
    with pytest.raises(BundleError, match="run.json: no such file"):
        make_bundle(run_dir, private, tmp_path / "b2.tar.gz")
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".gz") == ["run.bundle.tar.gz"]
    assert not list(tmp_path.glob(".*partial*"))


def test_a_symlink_in_the_run_folder_is_refused(tmp_path: Path, run_dir: Path, keys: tuple[Path, Path, str]) -> None:
    (run_dir / "passwd").symlink_to("/etc/passwd")
    with pytest.raises(BundleError, match="a symlink"):
        make_bundle(run_dir, keys[0], tmp_path / "b.tar.gz")
    assert not (tmp_path / "b.tar.gz").exists()


def test_a_merged_run_bundles_with_what_it_was_merged_from(tmp_path: Path, keys: tuple[Path, Path, str]) -> None:
    from portalcheck.merge import merge

    shards = [make_shard_run(tmp_path / f"s{k}", k, 2, [(f"f::test_{k}", "MU-3", "passed")]) for k in (1, 2)]
    merge(shards, tmp_path / "merged")
    make_bundle(tmp_path / "merged", keys[0], tmp_path / "merged.tar.gz")
    manifest = verify_bundle(tmp_path / "merged.tar.gz", keys[1]).manifest
    assert manifest["shard"] is None and [part["k"] for part in manifest["merged_from"]] == [1, 2]
    assert json.loads((tmp_path / "merged" / "summary.json").read_text())["scenarios"]["total"] == 2
