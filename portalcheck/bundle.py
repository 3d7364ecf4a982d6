"""A signed bundle of a run folder: one file a receiver can check came, unchanged, from a key.

Keys are Ed25519 in PEM: the private key PKCS#8 unencrypted (file mode 0600: keep it in a CI
secret), the public key SubjectPublicKeyInfo. A key's fingerprint is "sha256:" and the hex
SHA-256 of its 32 raw public bytes.

A bundle is a tar.gz of regular files only:

    run/<path>      every file of the run folder (results.json, index.html, evidence, ...)
    manifest.json   what was signed: UTF-8 JSON, {"format": "portalcheck-bundle/1",
                    "suite_version", "features_digest", "profile": {"name", "digest"},
                    "target": {"name", "control_url"}, "browser", "shard", "merged_from",
                    "run_started_at", "signed_at", "key_fingerprint",
                    "files": {"run/<path>": {"sha256", "size"}, ...}}
    manifest.sig    the 64-byte Ed25519 signature over manifest.json's exact bytes

Verifying never extracts: it reads the archive, checks the signature, then every file's digest,
and refuses a member the manifest does not list, a listed file that is missing, and any name
that could land outside the folder it is extracted into.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import io
import json
import os
import tarfile
import zlib
from pathlib import Path, PurePosixPath
from typing import IO, Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from . import report
from .merge import RunManifestError, read_run_manifest

FORMAT = "portalcheck-bundle/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
RUN_PREFIX = "run/"
_CHUNK = 1 << 16


class BundleError(Exception):
    """A bundle that cannot be made or is refused; the message names the file and why."""


@dataclasses.dataclass(frozen=True)
class Verified:
    """What a good bundle's signature covers: the manifest, the key that signed it, and when."""

    manifest: dict[str, Any]
    fingerprint: str
    signed_at: datetime.datetime


BUNDLE_NOTE = "bundle.json"


def fingerprint(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def keygen(private_path: Path, public_path: Path) -> str:
    """Write a new key pair; refuse to overwrite either file. Returns the key's fingerprint."""
    private_path, public_path = Path(private_path), Path(public_path)
    for path in (private_path, public_path):
        if path.exists() or path.is_symlink():
            raise BundleError(f"{path} exists: refusing to overwrite a key")
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    _write_new(private_path, private_pem, 0o600)
    try:
        _write_new(public_path, public_pem, 0o644)
    except BaseException:
        private_path.unlink()
        raise
    return fingerprint(key.public_key())


def _say_it_is_bundled(run_dir: Path, key_fingerprint: str, signed_at: datetime.datetime, bundle_name: str) -> None:
    """bundle.json, and the report page rebuilt to show it, before the files are digested: the
    page inside the bundle says it is part of one (the page alone proves nothing: verify does)."""
    (run_dir / BUNDLE_NOTE).write_text(json.dumps(
        {"bundle": bundle_name, "key_fingerprint": key_fingerprint, "signed_at": signed_at.isoformat(timespec="seconds")},
        indent=2,
    ))
    report.build(run_dir)


def make_bundle(run_dir: Path, key_path: Path, out_path: Path, *, signed_at: datetime.datetime | None = None) -> dict[str, Any]:
    """Sign `run_dir` into the new file `out_path`; returns the manifest that was signed."""
    run_dir, out_path = Path(run_dir).resolve(), Path(out_path).resolve()
    if not run_dir.is_dir():
        raise BundleError(f"{run_dir}: no such folder")
    try:
        run = read_run_manifest(run_dir)
    except RunManifestError as error:
        raise BundleError(str(error)) from None
    if not (run_dir / "results.json").is_file():
        raise BundleError(f"{run_dir}: no results.json: not a portalcheck run folder")
    if out_path.exists() or out_path.is_symlink():
        raise BundleError(f"{out_path} exists: refusing to overwrite it")
    if not out_path.parent.is_dir():
        raise BundleError(f"{out_path.parent}: no such folder")
    if out_path.is_relative_to(run_dir):
        raise BundleError(f"{out_path} is inside the run folder it would hold: write the bundle elsewhere")
    key = _load_private(Path(key_path))
    now = (signed_at or datetime.datetime.now(datetime.timezone.utc)).astimezone(datetime.timezone.utc)
    _say_it_is_bundled(run_dir, fingerprint(key.public_key()), now, out_path.name)
    files = _run_files(run_dir)
    target = _json_or_empty(run_dir / "target.json")
    partial = out_path.with_name(f".{out_path.name}.partial-{os.getpid()}")
    try:
        with tarfile.open(partial, "w:gz", format=tarfile.PAX_FORMAT) as archive:
            digests = {name: _add_file(archive, name, path, now) for name, path in files}
            manifest = {
                "format": FORMAT,
                "suite_version": run["suite_version"],
                "features_digest": run["features_digest"],
                "profile": {"name": run["profile_name"], "digest": run["profile_digest"]},
                "target": {"name": target.get("name"), "control_url": target.get("control_url")},
                "browser": target.get("browser"),
                "shard": run["shard"],
                "merged_from": run.get("merged_from"),
                "run_started_at": run["started_at"],
                "signed_at": now.isoformat(timespec="seconds"),
                "key_fingerprint": fingerprint(key.public_key()),
                "files": digests,
            }
            manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
            _add_bytes(archive, MANIFEST, manifest_bytes, now)
            _add_bytes(archive, SIGNATURE, key.sign(manifest_bytes), now)
        if out_path.exists():
            raise BundleError(f"{out_path} appeared while the bundle was written: refusing to overwrite it")
        os.replace(partial, out_path)
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def verify_bundle(path: Path, public_key_path: Path) -> Verified:
    """Check a bundle against a public key; BundleError names the file that fails and why."""
    public = _load_public(Path(public_key_path))
    expected = fingerprint(public)
    try:
        with tarfile.open(path, "r:gz") as archive:
            return _verify(archive, public, expected, Path(public_key_path))
    except FileNotFoundError:
        raise BundleError(f"{path}: no such file") from None
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise BundleError(f"{path}: not a readable bundle (a damaged or foreign tar.gz): {error}") from None


def _verify(archive: tarfile.TarFile, public: Ed25519PublicKey, expected: str, public_key_path: Path) -> Verified:
    members: dict[str, tarfile.TarInfo] = {}
    for member in archive.getmembers():
        _check_name(member.name)
        if not member.isreg():
            raise BundleError(f"{member.name}: not a regular file: a bundle holds files only")
        if member.name in members:
            raise BundleError(f"{member.name}: in the bundle twice")
        members[member.name] = member
    for name in (MANIFEST, SIGNATURE):
        if name not in members:
            raise BundleError(f"{name}: missing: not a signed portalcheck bundle")
    manifest_bytes = _read(archive, members[MANIFEST])
    try:
        public.verify(_read(archive, members[SIGNATURE]), manifest_bytes)
    except InvalidSignature:
        claimed = _claimed_fingerprint(manifest_bytes)
        if claimed is not None and claimed != expected:
            raise BundleError(
                f"{SIGNATURE}: does not verify under {expected} ({public_key_path}); {MANIFEST} says it was signed by {claimed}"
            ) from None
        raise BundleError(
            f"{SIGNATURE} does not verify {MANIFEST} under {expected}: {MANIFEST} or {SIGNATURE} was changed after signing"
        ) from None
    manifest = json.loads(manifest_bytes)
    listed = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(listed, dict) or manifest.get("format") != FORMAT or manifest.get("key_fingerprint") != expected:
        raise BundleError(f"{MANIFEST}: signed, but not a {FORMAT} manifest by {expected}")
    extra = sorted(set(members) - set(listed) - {MANIFEST, SIGNATURE})
    if extra:
        raise BundleError(f"{extra[0]}: in the bundle but not in the signed manifest")
    for name in sorted(listed):
        _check_name(name)
        if not name.startswith(RUN_PREFIX):
            raise BundleError(f"{name}: the manifest lists a file outside {RUN_PREFIX}")
        if name not in members:
            raise BundleError(f"{name}: in the signed manifest but missing from the bundle")
        digest, size = _digest(archive, members[name])
        if digest != listed[name].get("sha256") or size != listed[name].get("size"):
            raise BundleError(f"{name}: changed after signing (its SHA-256 is not the one in the signed manifest)")
    return Verified(manifest, expected, datetime.datetime.fromisoformat(manifest["signed_at"]))


def _check_name(name: str) -> None:
    """A member name that stays inside the folder it is extracted into, written one way only."""
    parts = PurePosixPath(name).parts
    if (
        not name or name.startswith("/") or "\\" in name or "\0" in name or ":" in name.split("/")[0]
        or any(part in ("..", ".") for part in name.split("/")) or "/".join(parts) != name
    ):
        raise BundleError(f"{name!r}: an unsafe member name (absolute, '..', or not normalised): refused")


def _run_files(run_dir: Path) -> list[tuple[str, Path]]:
    found = []
    for path in sorted(run_dir.rglob("*")):
        if path.is_symlink():
            raise BundleError(f"{path}: a symlink: a bundle holds regular files only")
        if path.is_file():
            found.append((RUN_PREFIX + path.relative_to(run_dir).as_posix(), path))
            _check_name(found[-1][0])
        elif not path.is_dir():
            raise BundleError(f"{path}: not a regular file")
    return found


class _Hashing(io.RawIOBase):
    """A reader that hashes what passes through it, so each file is read once."""

    def __init__(self, inner: IO[bytes]) -> None:
        self.inner, self.sha256, self.size = inner, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        data = self.inner.read(n)
        self.sha256.update(data)
        self.size += len(data)
        return data


def _add_file(archive: tarfile.TarFile, name: str, path: Path, now: datetime.datetime) -> dict[str, Any]:
    with path.open("rb") as file:
        info = _info(name, os.fstat(file.fileno()).st_size, now)
        hashing = _Hashing(file)
        archive.addfile(info, hashing)
    return {"sha256": hashing.sha256.hexdigest(), "size": hashing.size}


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes, now: datetime.datetime) -> None:
    archive.addfile(_info(name, len(data), now), io.BytesIO(data))


def _info(name: str, size: int, now: datetime.datetime) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(now.timestamp()), 0o644
    return info


def _read(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    extracted = archive.extractfile(member)
    assert extracted is not None  # a regular file, checked
    return extracted.read()


def _digest(archive: tarfile.TarFile, member: tarfile.TarInfo) -> tuple[str, int]:
    extracted = archive.extractfile(member)
    assert extracted is not None
    sha256, size = hashlib.sha256(), 0
    while chunk := extracted.read(_CHUNK):
        sha256.update(chunk)
        size += len(chunk)
    return sha256.hexdigest(), size


def _claimed_fingerprint(manifest_bytes: bytes) -> str | None:
    try:
        claimed = json.loads(manifest_bytes).get("key_fingerprint")
    except (ValueError, AttributeError):
        return None
    return claimed if isinstance(claimed, str) else None


def _json_or_empty(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (ValueError, UnicodeDecodeError) as error:
        raise BundleError(f"{path}: not JSON: {error}") from None
    if not isinstance(data, dict):
        raise BundleError(f"{path}: not a JSON object")
    return data


def _write_new(path: Path, data: bytes, mode: int) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise BundleError(f"{path} exists: refusing to overwrite a key") from None
    except OSError as error:
        raise BundleError(f"{path}: cannot write the key: {error.strerror}") from None
    with os.fdopen(descriptor, "wb") as file:
        os.fchmod(file.fileno(), mode)  # the umask cannot widen it, but may have narrowed it
        file.write(data)


def _load_private(path: Path) -> Ed25519PrivateKey:
    key = _load(path, serialization.load_pem_private_key, "private")
    if not isinstance(key, Ed25519PrivateKey):
        raise BundleError(f"{path}: not an Ed25519 private key")
    return key


def _load_public(path: Path) -> Ed25519PublicKey:
    key = _load(path, serialization.load_pem_public_key, "public")
    if not isinstance(key, Ed25519PublicKey):
        raise BundleError(f"{path}: not an Ed25519 public key")
    return key


def _load(path: Path, loader: Any, kind: str) -> Any:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BundleError(f"{path}: no such key file") from None
    try:
        return loader(data, password=None) if kind == "private" else loader(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise BundleError(f"{path}: not an unencrypted Ed25519 {kind} key in PEM ({error})") from None
