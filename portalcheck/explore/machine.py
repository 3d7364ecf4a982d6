"""Hypothesis drives the walks: a `RuleBasedStateMachine` whose one rule draws a number per
step, from which `choose.next_action` picks an action the model says can be taken; every step is
judged by `Walk.step`. A walk that contradicts the model fails; Hypothesis then shrinks it (by
deleting steps and making numbers smaller), replaying each candidate in a test site of its own.

Why one rule and a number rather than a rule per action: Hypothesis's generator repeats choices
(a walk of eleven sign-outs), which spends a walk's seconds on nothing; and rules whose draws
depend on the model would make Hypothesis's replays flaky, as the model follows the portal.
"""

from __future__ import annotations

import dataclasses
import random
import sys
import time
from typing import Callable

import hypothesis
from hypothesis import HealthCheck, Verbosity, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from . import actions as act
from .choose import next_actions, possible
from .target import Target
from .walk import Contradiction, Walk

__all__ = ["Run", "WalkContradicts", "explore", "machine_for", "possible"]


class WalkContradicts(AssertionError):
    def __init__(self, found: list[Contradiction]) -> None:
        super().__init__("; ".join(item.describe() for item in found))
        self.found = found


@dataclasses.dataclass
class Run:
    """What a run of walks leaves: counts for the progress line, and the shortest walk that
    contradicted the model (Hypothesis replays its shrunk walk last, so it is here)."""

    deadline: float
    walks: int = 0
    steps: int = 0
    started: float = dataclasses.field(default_factory=time.monotonic)
    failing: tuple[list[act.Action], list[Contradiction]] | None = None
    first_walk: int = 0  # the walk, counted from 1, that first contradicted the model (0: none did)
    shrink_budget_s: float = 60.0
    shrink_deadline: float | None = None
    progress: Callable[[str], None] = lambda line: print(line, file=sys.stderr)

    def out_of_time(self) -> bool:
        now = time.monotonic()
        return now > (self.shrink_deadline if self.shrink_deadline is not None else self.deadline)

    def failed(self, taken: list[act.Action], found: list[Contradiction]) -> None:
        if self.failing is None:
            self.first_walk = self.walks + 1
            # Shrinking replays walks: it has a budget of its own, from the first contradiction.
            self.shrink_deadline = time.monotonic() + self.shrink_budget_s
        if self.failing is None or len(taken) <= len(self.failing[0]):
            self.failing = (list(taken), found)

    def walk_done(self, taken: int) -> None:
        self.walks += 1
        self.steps += taken
        elapsed = time.monotonic() - self.started
        state = "shrinking" if self.failing else "exploring"
        self.progress(f"explore: {self.walks} walks, {self.steps} steps, {elapsed:.0f} s, {state}"
                      + (f" (shortest contradicting walk: {len(self.failing[0])} steps)" if self.failing else ""))


def machine_for(target: Target, run: Run) -> type[RuleBasedStateMachine]:
    """A state machine class bound to one target and run (Hypothesis makes one per walk)."""

    class ExploreWalk(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.walk = Walk(target)
            self.opened: dict[str, act.Action] = {}  # per customer, the link she opened last
            self.contradicted = False

        def teardown(self) -> None:
            found = [] if self.contradicted else self.walk.finish()  # an email that must not come, waited for last
            if self.walk.taken:
                run.walk_done(len(self.walk.taken))
            if found:
                run.failed(self.walk.taken[:found[0].step + 1], found)
            self.walk.close()
            if found:
                raise WalkContradicts(found)

        def do(self, action: act.Action) -> None:
            if run.out_of_time():
                return
            found = self.walk.step(action)
            if found:
                self.contradicted = True
                run.failed(self.walk.taken[:found[0].step + 1], found)  # judged late: the walk up to its step
                raise WalkContradicts(found)

        @initialize()
        def invited_customer(self) -> None:
            """Every walk starts where most of the policy begins: a customer who was invited."""
            self.do(act.AddCustomer(act.NAMES[0]))
            self.do(act.Invite(act.NAMES[0]))

        @rule(number=st.integers(0, 2**32 - 1))
        def step(self, number: int) -> None:
            if run.out_of_time() or self.walk.state is None:
                return
            # The number with the walk's length: Hypothesis draws the same few numbers again and
            # again (263 distinct in 1,548), so alone they would pick the same few actions.
            rng = random.Random(f"{number}:{len(self.walk.taken)}")
            for action in next_actions(rng, self.walk.state, self.opened, self.walk.clock):
                if not possible(self.walk.state, action):
                    break  # an aim's later action that its earlier ones ruled out (a login link LL-8 refused)
                if isinstance(action, (act.OpenEmailLink, act.OpenManagementUrl)):
                    self.opened[action.customer] = action
                self.do(action)

    return ExploreWalk


def explore(target: Target, *, seed: int, walks: int, steps: int, time_budget_s: float,
            shrink_budget_s: float | None = None, progress: Callable[[str], None] | None = None) -> Run:
    """Walk `walks` times, up to `steps` actions each, within the budget; `Run.failing` holds
    the shrunk walk that contradicted the model, if one did. Shrinking replays walks, for at
    most `shrink_budget_s` after the first contradiction (default: as long as the budget)."""
    run = Run(deadline=time.monotonic() + time_budget_s,
              shrink_budget_s=time_budget_s if shrink_budget_s is None else shrink_budget_s)
    if progress is not None:
        run.progress = progress
    machine = hypothesis.seed(seed)(machine_for(target, run))
    options = settings(
        max_examples=walks, stateful_step_count=steps, deadline=None, database=None,
        suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet, print_blob=False,
        report_multiple_bugs=False,
    )
    try:
        run_state_machine_as_test(machine, settings=options)
    except WalkContradicts:
        pass  # the shrunk walk is in run.failing
    except HypothesisException:
        if run.failing is None:  # Flaky and the like without a walk to show: the run's problem
            raise
    return run
