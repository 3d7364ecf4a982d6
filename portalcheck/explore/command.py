"""`portalcheck explore`: random walks through the contract, judged by the model of POLICY v1.

Exit status 0: the walks found nothing; 1: a walk contradicted the model (the finding is written
out, JSON and .feature, with a screenshot of the device it was seen on); 2: a run problem
(profile, target, browser, a finding that cannot be read, a report that cannot be built).
With `--run-dir RUN` the finding goes into `RUN/explore/` and the run's report is built.
"""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

import click

from ..control import ControlError, TargetUnreachable
from ..profile import ProfileError
from ..profile import load as load_profile
from . import finding as findings
from . import gherkin
from .machine import explore as run_walks
from .output import FIRST_CONTRADICTED, NOTHING_FOUND
from .replay import replay, shorten
from .target import RunProblem, open_target

EXPLORE_FOLDER = "explore"  # as portalcheck.report reads it

FOUND, RUN_PROBLEM = 1, 2


@click.command("explore")
@click.option("--profile", "profile_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The target's profile (default: the bundled simulator).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the walks: the same seed walks the same way.")
@click.option("--walks", type=click.IntRange(min=1), default=50, show_default=True, help="How many walks at most.")
@click.option("--steps", type=click.IntRange(min=1), default=20, show_default=True, help="Actions per walk at most.")
@click.option("--time-budget", "time_budget", type=click.FloatRange(min=1), default=300.0, show_default=True,
              help="Seconds the walks may take (shrinking a finding has --shrink-budget more).")
@click.option("--shrink-budget", "shrink_budget", type=click.FloatRange(min=1), default=None,
              metavar="SECONDS", help="How long shrinking a finding may take.  [default: as long as --time-budget]")
@click.option("--fault", "faults", multiple=True, help="With the bundled simulator: turn this fault on (repeatable).")
@click.option("--replay", "replay_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Replay a finding's JSON file instead of exploring.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where a finding is written  [default: reports/explore]")
@click.option("--run-dir", "run_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="A run folder: the finding goes into RUN/explore/, and the run's report is built (as `portalcheck report`).")
@click.option("--chromium", "chromium_path", default=None, help="The Chromium to drive (see `portalcheck run`).")
def explore(profile_path: Path | None, seed: int, walks: int, steps: int, time_budget: float,
            shrink_budget: float | None, faults: tuple[str, ...], replay_path: Path | None, out: Path | None, run_dir: Path | None,
            chromium_path: str | None) -> None:
    """Walk through the portal at random and report what contradicts POLICY v1, as Gherkin."""
    if out is not None and run_dir is not None:
        click.echo("explore: --out and --run-dir both say where findings go: give one", err=True)
        sys.exit(RUN_PROBLEM)
    folder = run_dir / EXPLORE_FOLDER if run_dir is not None else out or Path("reports/explore")
    try:
        profile = load_profile(profile_path)
        if replay_path is not None:
            sys.exit(_replay(replay_path, profile, faults, chromium_path))
        with open_target(profile, faults=faults, chromium_path=chromium_path) as target:
            click.echo(f"explore: {target.description}, seed {seed}, {walks} walks of up to {steps} steps, {time_budget:.0f} s", err=True)
            # Shrinking has its budget (as long as the search, unless told): half in Hypothesis's shrinker, half here.
            shrink = time_budget if shrink_budget is None else shrink_budget
            run = run_walks(target, seed=seed, walks=walks, steps=steps, time_budget_s=time_budget,
                            shrink_budget_s=shrink / 2, progress=lambda line: click.echo(line, err=True))
            if run.failing is None:
                ended = "" if run.walks >= walks else f", of {walks}: the time budget ran out"
                click.echo(NOTHING_FOUND.format(walks=run.walks, steps=run.steps, ended=ended))
                if run_dir is not None:
                    folder.mkdir(parents=True, exist_ok=True)
                    _report(run_dir)
                sys.exit(0)
            click.echo(FIRST_CONTRADICTED.format(walk=run.first_walk, walks=walks))
            shortest = shorten(target, *run.failing, deadline=time.monotonic() + shrink / 2,
                               progress=lambda line: click.echo(line, err=True))
            taken, found = shortest.taken, shortest.found
            feature = gherkin.feature(taken, found, sent=shortest.sent)
            result = findings.Finding(seed, str(profile.path), faults, tuple(taken), tuple(item.to_json() for item in found), feature)
            json_path, feature_path = result.save(folder, screenshot=shortest.screenshot)
        if run_dir is not None:
            _report(run_dir)
    except (ProfileError, RunProblem, findings.FindingError, TargetUnreachable, ControlError) as error:
        click.echo(f"explore: {error}", err=True)
        sys.exit(RUN_PROBLEM)
    except Exception:  # the explorer's own failure (or a browser's): never a finding about the portal
        click.echo(f"explore: the run failed:\n{traceback.format_exc()}", err=True)
        sys.exit(RUN_PROBLEM)
    click.echo(f"explore: a walk of {len(taken)} steps contradicts {result.rule}: {found[0].describe()}")
    click.echo(f"explore: written to {json_path} and {feature_path}; replay with: portalcheck explore --replay {json_path}\n")
    click.echo(result.feature)
    sys.exit(FOUND)


def _report(run_dir: Path) -> None:
    """The run's conformance report, rebuilt with the findings now in its explore/ folder."""
    from .. import report

    try:
        report.build(run_dir)
    except Exception as error:  # the report's own failure: ours, not the portal's
        raise RunProblem(f"the report of {run_dir} could not be built: {type(error).__name__}: {error}") from None
    click.echo(f"explore: report: {run_dir / 'index.html'}", err=True)


def _replay(path: Path, profile: object, faults: tuple[str, ...], chromium_path: str | None) -> int:
    saved = findings.load(path)
    if saved.faults and not faults:
        click.echo(f"explore: this finding was found with --fault {' --fault '.join(saved.faults)}; replaying without", err=True)
    with open_target(profile, faults=faults, chromium_path=chromium_path) as target:  # type: ignore[arg-type]
        again = replay(target, saved.actions)
    if again.found:
        click.echo(f"explore: the finding replays: {again.found[0].describe()}")
        return FOUND
    click.echo(f"explore: the finding no longer replays: all {len(again.taken)} steps agreed with the model")
    return 0


if __name__ == "__main__":  # `python -m portalcheck.explore.command`, until the main CLI has it
    explore()
