"""`portalcheck keygen | bundle | verify | merge`: a run split over machines, merged, signed, checked.

The commands are plain click commands in `COMMANDS`, for the main group to add. Refusals print
one line, `portalcheck: ...`, on stderr, without usage text: bad input exits 2; `verify` exits 1
when it refuses a bundle; `merge` exits as `portalcheck report` does for the merged run.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from . import bundle as bundles
from . import report
from .merge import MergeError
from .merge import merge as merge_runs

EXIT_REFUSED, EXIT_USAGE = 1, 2


@click.command()
@click.option("--key", "private_path", type=click.Path(dir_okay=False), default="portalcheck-signing.pem", show_default=True,
              help="Where to write the private key (mode 0600; keep it in a CI secret).")
@click.option("--pub", "public_path", type=click.Path(dir_okay=False), default="portalcheck-signing.pub.pem", show_default=True,
              help="Where to write the public key, to give to whoever verifies.")
def keygen(private_path: str, public_path: str) -> None:
    """Make an Ed25519 key pair (PEM) to sign run bundles with. Never overwrites a file."""
    try:
        fingerprint = bundles.keygen(Path(private_path), Path(public_path))
    except bundles.BundleError as error:
        _refuse(str(error), EXIT_USAGE)
    click.echo(f"portalcheck: private key {private_path} (keep it secret)")
    click.echo(f"portalcheck: public key  {public_path}")
    click.echo(f"portalcheck: fingerprint {fingerprint}")


@click.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--key", "key_path", required=True, type=click.Path(exists=True, dir_okay=False), help="The private key (PEM).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None,
              help="The bundle to write. Default: <RUN_DIR>.bundle.tar.gz beside the run folder.")
def bundle(run_dir: str, key_path: str, out_path: str | None) -> None:
    """Sign a run folder into one file: its files, a manifest of their digests, the signature."""
    folder = Path(run_dir).resolve()
    out = Path(out_path) if out_path else folder.with_name(f"{folder.name}.bundle.tar.gz")
    try:
        manifest = bundles.make_bundle(folder, Path(key_path), out)
    except bundles.BundleError as error:
        _refuse(str(error), EXIT_USAGE)
    click.echo(f"portalcheck: signed {len(manifest['files'])} files of {folder} with {manifest['key_fingerprint']}")
    click.echo(f"portalcheck: bundle at {out}")


@click.command()
@click.argument("bundle_path", metavar="BUNDLE", type=click.Path(exists=True, dir_okay=False))
@click.option("--pub", "public_path", required=True, type=click.Path(exists=True, dir_okay=False), help="The signer's public key (PEM).")
def verify(bundle_path: str, public_path: str) -> None:
    """Check a bundle's signature and every file's digest; say what was signed, by whom, when.

    Exits 1, naming the file, when anything was changed, added or left out, or another key signed it.
    """
    try:
        verified = bundles.verify_bundle(Path(bundle_path), Path(public_path))
    except bundles.BundleError as error:
        _refuse(f"refused {bundle_path}: {error}", EXIT_REFUSED)
    manifest = verified.manifest
    target, profile = manifest.get("target") or {}, manifest.get("profile") or {}
    click.echo(f"portalcheck: verified {bundle_path}: {len(manifest['files'])} files, every digest as signed")
    click.echo(f"signed by  {verified.fingerprint}")
    click.echo(f"signed at  {verified.signed_at.isoformat()}")
    click.echo(f"suite      {manifest.get('suite_version')}, features sha256 {manifest.get('features_digest')}")
    click.echo(f"profile    {profile.get('name')} (sha256 {profile.get('digest')})")
    click.echo(f"target     {target.get('name')}" + (f" at {target['control_url']}" if target.get("control_url") else ""))
    click.echo(f"browser    {manifest.get('browser') or 'not recorded'}")
    click.echo(f"run        {_run_line(manifest)}")


@click.command()
@click.argument("run_dirs", metavar="DIR...", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="The merged run folder (new or empty).")
def merge(run_dirs: tuple[str, ...], out_dir: str) -> None:
    """Merge the run folders of the shards of one run (`portalcheck run --shard K/N`) into one,
    with its report. Exits as `portalcheck report` does for the merged run."""
    try:
        summary = merge_runs([Path(folder) for folder in run_dirs], Path(out_dir))
    except MergeError as error:
        _refuse(f"cannot merge: {error}", EXIT_USAGE)
    verdicts = ", ".join(f"{count} {verdict}" for verdict, count in sorted(summary["verdicts"].items()))
    click.echo(f"portalcheck: merged {len(run_dirs)} shards, {summary['scenarios']['total']} scenarios: {verdicts}")
    click.echo(f"portalcheck: report at {Path(out_dir) / 'index.html'}")
    sys.exit(report.exit_status(summary))


COMMANDS = [keygen, bundle, verify, merge]


def _run_line(manifest: dict[str, object]) -> str:
    shard, merged = manifest.get("shard"), manifest.get("merged_from")
    started = f"started {manifest.get('run_started_at')}"
    if isinstance(shard, dict):
        return f"shard {shard.get('k')}/{shard.get('n')} only, {started}"
    if isinstance(merged, list):
        return f"merged from {len(merged)} shards, {started}"
    return f"the whole suite on one machine, {started}"


def _refuse(message: str, status: int) -> NoReturn:
    click.echo(f"portalcheck: {message}", err=True)
    sys.exit(status)
