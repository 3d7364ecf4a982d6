"""`portalcheck explore`: random walks through the contract, judged by the model of POLICY v1.

Exit status 0: the walks found nothing; 1: a walk contradicted the model (the finding is written
out, JSON and .feature); 2: a run problem (profile, target, browser, a finding that cannot be read).
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
from .replay import replay, shorten
from .target import RunProblem, open_target

FOUND, RUN_PROBLEM = 1, 2


@click.command("explore")
@click.option("--profile", "profile_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The target's profile (default: the bundled simulator).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the walks: the same seed walks the same way.")
@click.option("--walks", type=click.IntRange(min=1), default=50, show_default=True, help="How many walks at most.")
@click.option("--steps", type=click.IntRange(min=1), default=20, show_default=True, help="Actions per walk at most.")
@click.option("--time-budget", "time_budget", type=click.FloatRange(min=1), default=300.0, show_default=True,
              help="Seconds the walks may take; shrinking a finding has as long again.")
@click.option("--fault", "faults", multiple=True, help="With the bundled simulator: turn this fault on (repeatable).")
@click.option("--replay", "replay_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Replay a finding's JSON file instead of exploring.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("reports/explore"),
              show_default=True, help="Where a finding is written.")
@click.option("--chromium", "chromium_path", default=None, help="The Chromium to drive (see `portalcheck run`).")
def explore(profile_path: Path | None, seed: int, walks: int, steps: int, time_budget: float,
            faults: tuple[str, ...], replay_path: Path | None, out: Path, chromium_path: str | None) -> None:
    """Walk through the portal at random and report what contradicts POLICY v1, as Gherkin."""
    try:
        profile = load_profile(profile_path)
        if replay_path is not None:
            sys.exit(_replay(replay_path, profile, faults, chromium_path))
        with open_target(profile, faults=faults, chromium_path=chromium_path) as target:
            click.echo(f"explore: {target.description}, seed {seed}, {walks} walks of up to {steps} steps, {time_budget:.0f} s", err=True)
            # Shrinking has as long again as the search: half in Hypothesis's shrinker, half here.
            run = run_walks(target, seed=seed, walks=walks, steps=steps, time_budget_s=time_budget,
                            shrink_budget_s=time_budget / 2, progress=lambda line: click.echo(line, err=True))
            if run.failing is None:
                click.echo(f"explore: nothing found in {run.walks} walks ({run.steps} steps)")
                sys.exit(0)
            shortest = shorten(target, *run.failing, deadline=time.monotonic() + time_budget / 2,
                               progress=lambda line: click.echo(line, err=True))
            taken, found = shortest.taken, shortest.found
            feature = gherkin.feature(taken, found, sent=shortest.sent)
            result = findings.Finding(seed, str(profile.path), faults, tuple(taken), tuple(item.to_json() for item in found), feature)
            json_path, feature_path = result.save(out)
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
