"""`portalcheck`: run the suite against a target, rebuild a report, or serve the simulator by hand."""

from __future__ import annotations

import datetime
import os
import signal
import sys
from pathlib import Path

import click

from . import report
from .profile import ProfileError, load

ROOT = Path(__file__).resolve().parent.parent


@click.group()
def main() -> None:
    """Conformance suite and reference simulator for billing-portal access policies."""


@main.command(context_settings={"ignore_unknown_options": True})
@click.option("--profile", "profile_path", type=click.Path(dir_okay=False), help="Target profile (TOML). Default: the bundled simulator.")
@click.option("--workers", "-n", type=click.IntRange(min=1), default=None, help="Parallel workers (pytest-xdist).")
@click.option("--reports", "reports_dir", type=click.Path(file_okay=False), default=str(ROOT / "reports"), show_default=True)
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def run(profile_path: str | None, workers: int | None, reports_dir: str, pytest_args: tuple[str, ...]) -> None:
    """Run the suite against a target and write reports/<run>/ (index.html, summary.json, ...).

    Exits non-zero only when a MUST rule fails, the target could not be reached (ERROR), or an
    expected deviation no longer happens (STALE).
    """
    import pytest

    try:
        profile = load(profile_path)
    except ProfileError as error:
        raise click.UsageError(str(error)) from None
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = Path(reports_dir).resolve() / stamp
    run_dir.mkdir(parents=True, exist_ok=True)
    args = [
        str(ROOT / "features"), "-v", "-p", "no:cacheprovider", "--rootdir", str(ROOT),
        "--run-dir", str(run_dir), "--profile", str(profile.path),
    ]
    if workers:
        args += ["-n", str(workers)]
    args += list(pytest_args)
    click.echo(f"portalcheck: running the suite against {profile.name} ({profile.path})")
    os.chdir(ROOT)
    status = pytest.main(args)
    if not (run_dir / "results.json").exists():
        click.echo(f"portalcheck: the suite produced no results (pytest exit {int(status)})", err=True)
        sys.exit(int(status) or 2)
    summary = report.build(run_dir)
    _point_latest(run_dir)
    verdicts = ", ".join(f"{count} {verdict}" for verdict, count in sorted(summary["verdicts"].items()))
    click.echo(f"portalcheck: {verdicts}")
    click.echo(f"portalcheck: report at {run_dir / 'index.html'}")
    sys.exit(report.exit_status(summary))


@main.command("report")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
def rebuild(run_dir: str) -> None:
    """Rebuild index.html and summary.json of a run from its results.json."""
    folder = Path(run_dir)
    if not (folder / "results.json").exists():
        raise click.UsageError(f"{folder} holds no results.json: not a portalcheck run folder")
    summary = report.build(folder)
    click.echo(f"portalcheck: report at {folder / 'index.html'}")
    sys.exit(report.exit_status(summary))


@main.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Portal port (0: a free one).")
@click.option("--inbox-port", type=click.IntRange(0, 65535), default=8025, show_default=True, help="Inbox page port (0: a free one).")
def serve(port: int, inbox_port: int) -> None:
    """Start the simulator with the mail sink, and a demo customer to walk the flow by hand."""
    from fake_mail import MailSink

    from .control import ControlClient, SiteControl
    from .reference import ReferencePortal

    with MailSink(smtp_port=0, http_port=inbox_port) as sink:
        with ReferencePortal(smtp_host=sink.host, smtp_port=sink.smtp_port, port=port) as portal:
            client = ControlClient(portal.control_url, portal.token)
            site = SiteControl.create(client)
            customer = site.add_customer("ada@example.com", "Ada", "Lovelace")
            site.call("POST", f"/customers/{customer['id']}/subscriptions", {"product": "Pro plan, monthly"}, expect=(201,))
            site.call("POST", f"/customers/{customer['id']}/invitations", expect=(202,))
            click.echo(f"portal   {site.portal_url}/login")
            click.echo(f"inbox    {sink.http_url}/")
            click.echo(f"control  {portal.control_url}/control  (Authorization: Bearer {portal.token})")
            click.echo("demo     Ada Lovelace <ada@example.com> was invited: open her invitation from the inbox.")
            click.echo("Press Ctrl-C to stop.", nl=True)
            sys.stdout.flush()
            # SIGTERM stops as Ctrl-C does, so the simulator and sink never outlive us.
            signal.signal(signal.SIGTERM, _interrupt)
            try:
                portal.wait()
            except KeyboardInterrupt:
                click.echo("stopping")
            client.close()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@main.command("teeth")
@click.option("--fault", "faults", multiple=True, metavar="NAME", help="Only this fault (repeatable). Default: all.")
@click.option("--workers", "-n", type=click.IntRange(min=1), default=2, show_default=True, help="Runs at a time.")
@click.option("--reports", "reports_dir", type=click.Path(file_okay=False), default=str(ROOT / "reports"), show_default=True)
def teeth_command(faults: tuple[str, ...], workers: int, reports_dir: str) -> None:
    """Prove the suite has teeth: run it against the simulator with each fault on.

    Each fault runs the scenarios of the rule it breaks; a control run without faults runs them
    all. Writes reports/teeth-<time>/matrix.html and matrix.json (faults x rules). Exits non-zero
    when a fault's own rule does not FAIL (MUST) or WARN (SHOULD), or the control does not pass.
    """
    from . import teeth

    unknown = [name for name in faults if name not in teeth.REGISTRY]
    if unknown:
        raise click.BadParameter(
            f"unknown fault {unknown[0]!r}; known faults: {', '.join(teeth.REGISTRY)}", param_hint="--fault"
        )
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = Path(reports_dir).resolve() / f"teeth-{stamp}"
    count = len(set(faults)) or len(teeth.REGISTRY)
    click.echo(f"portalcheck: {count} fault(s) and a control run, {workers} at a time")
    matrix = teeth.check_all(faults or None, run_dir=folder, workers=workers, progress=click.echo)
    html_path, _ = teeth.write_matrix(matrix, folder)
    if not matrix.control_passes:
        click.echo("portalcheck: the control run (no fault) does not pass: the matrix proves nothing", err=True)
    if matrix.uncaught:
        click.echo(f"portalcheck: not caught by their own rule: {', '.join(matrix.uncaught)}", err=True)
    click.echo(f"portalcheck: matrix at {html_path} ({matrix.duration_s:.0f} s)")
    sys.exit(0 if matrix.ok else 1)


def _point_latest(run_dir: Path) -> None:
    latest = run_dir.parent / "latest"
    if latest.is_symlink() or not latest.exists():
        latest.unlink(missing_ok=True)
        latest.symlink_to(run_dir.name)


if __name__ == "__main__":
    main()
