"""`portalcheck`: run the suite against a target, rebuild a report, or serve the simulator by hand."""

from __future__ import annotations

import importlib
import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import click
from pytest import ExitCode as pytest_exit

from . import bundled, report
from .distributed_cli import COMMANDS
from .profile import Profile, ProfileError, load
from .run_folders import new_run_folder, point_latest

PYTEST_CONFIGS = ("pytest.ini", "pyproject.toml")

# Exit statuses of `run` and `report`: 0 and the portal's failure (1) and the run's problems (3)
# are the report's to say; 2 is bad usage, as click has it.
EXIT_USAGE = 2
EXIT_RUN_PROBLEM = report.EXIT_RUN_PROBLEM


class _Commands(click.Group):
    """The commands, of which `explore` and `teeth` are imported only when asked for: they bring
    Hypothesis and the simulator, a second of start-up that every other command would pay."""

    LAZY = {"explore": ("portalcheck.explore.command", "explore"), "teeth": ("portalcheck.teeth", "command")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.LAZY])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.LAZY:
            module, attribute = self.LAZY[name]
            command: click.Command = getattr(importlib.import_module(module), attribute)
            return command
        return super().get_command(ctx, name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="portalcheck", prog_name="portalcheck")
def main() -> None:
    """Conformance suite and reference simulator for billing-portal access policies."""


@main.command(context_settings={"ignore_unknown_options": True})
@click.option("--profile", "profile_path", type=click.Path(dir_okay=False),
              help="Target profile (TOML), relative to where you are. Default: the bundled simulator.")
@click.option("--workers", "-n", type=click.IntRange(min=1), default=None, help="Parallel workers (pytest-xdist).")
@click.option("--reports", "reports_dir", type=click.Path(file_okay=False), default="reports", show_default=True,
              help="Folder that gets this run's folder, relative to where you are.")
@click.option("--chromium", "chromium_path", type=click.Path(dir_okay=False), default=None, metavar="PATH",
              help="The Chromium to drive. Default: $PORTALCHECK_CHROMIUM, else Debian's chromium-headless-shell, else chromium.")
@click.option("--simulator-fault", "faults", multiple=True, metavar="NAME",
              help="Start the bundled simulator with this fault on (repeatable); `portalcheck teeth --help` lists them.")
@click.option("--browser-ws", default=None, metavar="URL",
              help="Drive the browser of a Playwright server (`playwright run-server`) at this ws:// URL.")
@click.option("--shard", default=None, metavar="K/N", help="Run only the K-th of N deterministic parts of the scenarios; `portalcheck merge` joins them.")
@click.option("--shard-durations", type=click.Path(exists=True, dir_okay=False), default=None, metavar="RESULTS_JSON",
              help="Balance the shards by an earlier run's results.json (default: by count).")
@click.option("--features", "feature_dirs", multiple=True, type=click.Path(exists=True, file_okay=False), metavar="DIR",
              help="Your own feature files, run with the bundled ones (repeatable). Default: ./features, if there is one.")
@click.option("--project-only", is_flag=True, help="Only your own features, not the bundled conformance suite.")
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def run(profile_path: str | None, workers: int | None, reports_dir: str, chromium_path: str | None,
        faults: tuple[str, ...], browser_ws: str | None, shard: str | None, shard_durations: str | None,
        feature_dirs: tuple[str, ...], project_only: bool, pytest_args: tuple[str, ...]) -> None:
    """Run the conformance suite against a portal and write its report.

    Without --profile the suite starts the bundled reference simulator. Everything after `--`
    goes to pytest as it is:

    \b
      portalcheck run -- -k MU-3      the scenarios whose name or tags match MU-3
      portalcheck run -- -m must      only the scenarios of MUST rules
      portalcheck run -- -x           stop at the first failure

    A run writes ./reports/<time>-<id>/ (index.html, summary.json, results.json, junit.xml,
    cucumber.json and the evidence of each failed scenario); `reports/latest` names the newest.

    \b
    Exit status:
      0  every rule that ran passed (a SHOULD rule's WARN, a REF rule's INFO are not failures)
      1  the portal was seen to break a MUST rule (FAIL), an expected deviation no longer
         happens (STALE), or a scenario outside any rule failed
      2  bad usage: an unknown option, a broken profile, an unknown fault
      3  the verdicts are incomplete: nothing was selected, a feature file did not collect,
         or something on the suite's side went wrong (ERROR: the browser, the sink, a step)
    """
    profile = _load_profile(profile_path)
    _check_faults(faults, profile.is_reference)
    paths = _feature_paths(feature_dirs, project_only)
    if _lint(paths):
        click.echo("portalcheck: the feature files have the errors above: nothing was run", err=True)
        sys.exit(EXIT_RUN_PROBLEM)
    run_dir = new_run_folder(Path(reports_dir))
    args = [
        *map(str, paths), "-v", "--rootdir", str(Path.cwd()), *_pytest_config(),
        "--run-dir", str(run_dir), "--profile", str(profile.path),
        *(["-n", str(workers)] if workers else []),
        *(["--chromium", str(Path(chromium_path).resolve())] if chromium_path else []),
        *(arg for name in faults for arg in ("--simulator-fault", name)),
        *(["--browser-ws", browser_ws] if browser_ws else []),
        *(["--shard", shard] if shard else []),
        *(["--shard-durations", str(Path(shard_durations).resolve())] if shard_durations else []),
        *pytest_args,
    ]
    click.echo(f"portalcheck: running the suite against {profile.name} ({profile.path})", err=True)
    # pytest in a process of its own: this one has imported the steps (to check the features),
    # which pytest could then no longer rewrite for its assertion messages.
    try:
        status = subprocess.run([sys.executable, "-m", "pytest", *args]).returncode
    except KeyboardInterrupt:  # the child got the Ctrl-C too, and stops with its own report
        status = int(pytest_exit.INTERRUPTED)
    sys.exit(_conclude(run_dir, status))


def _conclude(run_dir: Path, status: int) -> int:
    """Say what the run found, a line each, and choose the exit status."""
    if status == pytest_exit.USAGE_ERROR:
        shutil.rmtree(run_dir, ignore_errors=True)
        click.echo("portalcheck: the run did not start: see the error above", err=True)
        return EXIT_USAGE
    results = run_dir / "results.json"
    ran = results.exists() and json.loads(results.read_text())
    if not ran:
        shutil.rmtree(run_dir, ignore_errors=True)
        if status in (pytest_exit.INTERRUPTED, pytest_exit.INTERNAL_ERROR):
            click.echo("portalcheck: the suite could not be collected (see the errors above): nothing was checked", err=True)
        else:
            click.echo("portalcheck: no scenario was selected: nothing was checked", err=True)
        return EXIT_RUN_PROBLEM
    summary = report.build(run_dir)
    point_latest(run_dir)
    verdicts = ", ".join(f"{count} {verdict}" for verdict, count in sorted(summary["verdicts"].items()))
    click.echo(f"portalcheck: {verdicts}")
    for line in report.findings_lines(summary):
        click.echo(f"portalcheck: {line}", err=True)
    stopped = status in (pytest_exit.INTERRUPTED, pytest_exit.INTERNAL_ERROR)
    if stopped:
        click.echo(f"portalcheck: pytest stopped before the end (exit {status}): the verdicts are incomplete", err=True)
    click.echo(f"portalcheck: report at {run_dir / 'index.html'}")
    return EXIT_RUN_PROBLEM if stopped else report.exit_status(summary)


def _lint(paths: list[Path]) -> list[str]:
    """Print what `portalcheck check` finds in `paths`; the errors among it."""
    from . import lint

    findings = lint.check(paths, markers=lint.registered_markers(Path("pytest.ini")))
    for finding in findings:
        click.echo(f"portalcheck: {finding}", err=True)
    return [str(finding) for finding in findings if finding.severity == "error"]


def _feature_paths(asked: tuple[str, ...], project_only: bool) -> list[Path]:
    """The bundled features (unless only the project's), then the project's own, each once."""
    own = [Path(folder) for folder in asked] or ([Path("features")] if Path("features").is_dir() else [])
    paths = [] if project_only else [bundled.features()]
    for folder in own:
        if folder.resolve() not in {path.resolve() for path in paths}:
            paths.append(folder.resolve())
    if not paths:
        raise click.UsageError("--project-only, but there is no ./features and no --features DIR to run")
    return paths


def _pytest_config() -> list[str]:
    """The pytest configuration of the directory the user runs from (its markers, its options):
    the bundled features live elsewhere, where pytest would not look for it."""
    for name in PYTEST_CONFIGS:
        path = Path(name)
        if path.is_file() and (name != "pyproject.toml" or "[tool.pytest.ini_options]" in path.read_text(encoding="utf-8")):
            return ["-c", str(path.resolve())]
    return ["-p", "no:cacheprovider"]


def _load_profile(path: str | None) -> Profile:
    """The profile, or every problem with it on a line of its own (no usage text: it is not one)."""
    try:
        return load(Path(path).resolve() if path else None)
    except ProfileError as error:
        for line in str(error).splitlines():
            click.echo(f"portalcheck: {line}", err=True)
        sys.exit(EXIT_USAGE)


def _check_faults(faults: tuple[str, ...], is_reference: bool) -> None:
    if not faults:
        return
    from simulator.faults import REGISTRY

    if not is_reference:
        raise click.BadParameter("faults are switches of the bundled simulator, not of a profiled portal", param_hint="--simulator-fault")
    unknown = [name for name in faults if name not in REGISTRY]
    if unknown:
        raise click.BadParameter(f"unknown fault {unknown[0]!r}; known faults: {', '.join(REGISTRY)}", param_hint="--simulator-fault")


@main.command("report")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
def rebuild(run_dir: str) -> None:
    """Rebuild index.html and summary.json of a run from its results.json and explore/ findings; exit as `run` does."""
    folder = Path(run_dir)
    if not (folder / "results.json").exists() and not (folder / "explore").is_dir():
        raise click.UsageError(f"{folder} holds neither results.json nor explore/: not a portalcheck run folder")
    summary = report.build(folder)
    for line in report.findings_lines(summary):
        click.echo(f"portalcheck: {line}", err=True)
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


@main.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
def check_command(paths: tuple[str, ...]) -> None:
    """Check feature files without a browser or a target: Gherkin, steps, tags, @clock, outlines.

    PATHS default to ./features, else the bundled features. Exits 1 when there is an error (a
    scenario without a rule tag is only a notice).
    """
    chosen = [Path(path) for path in paths] or [Path("features") if Path("features").is_dir() else bundled.features()]
    errors = _lint(chosen)
    click.echo(f"portalcheck: {len(errors)} error(s) in {', '.join(map(str, chosen))}")
    sys.exit(1 if errors else 0)


@main.command("steps")
@click.option("--format", "fmt", type=click.Choice(["text", "md"]), default="text", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write to this file instead of the terminal.")
def steps_command(fmt: str, out: str | None) -> None:
    """List every step the features may use: wording, placeholders, what it does, an example."""
    from . import catalogue

    steps = catalogue.load_steps()
    text = catalogue.as_markdown(steps) if fmt == "md" else catalogue.as_text(steps)
    if out:
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"portalcheck: {len(steps)} steps written to {out}")
    else:
        click.echo(text, nl=False)


@main.command("init")
@click.argument("folder", type=click.Path(file_okay=False))
def init_command(folder: str) -> None:
    """Start a QA project in FOLDER: a profile, features/ with an example, the pytest set-up."""
    from .scaffold import ScaffoldError, init

    try:
        written = init(Path(folder))
    except ScaffoldError as error:
        click.echo(f"portalcheck: {error}", err=True)
        sys.exit(EXIT_USAGE)
    for path in written:
        click.echo(f"portalcheck: wrote {path}")
    click.echo(f"portalcheck: now `cd {folder}` and `portalcheck run` (or `portalcheck run --project-only`)")


for _command in COMMANDS:
    main.add_command(_command)


if __name__ == "__main__":
    main()
