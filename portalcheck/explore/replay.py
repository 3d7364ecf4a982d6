"""Walks of concrete actions, replayed: a finding's `--replay`, and the last pass of shrinking.

Hypothesis shrinks over its draws, and each candidate it tries is a whole walk in a new test
site with a browser: seconds each. So its shrink phase is bounded (`machine.Run`), and the walk
it ends with is shortened further here by deleting whole actions, one at a time, as long as the
walk still contradicts the model by the same rule.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable, Sequence

from . import actions as act
from . import model
from .machine import possible
from .target import Target
from .walk import Contradiction, Walk


@dataclasses.dataclass(frozen=True)
class Replayed:
    taken: list[act.Action]  # the actions taken (one with nothing to act on is passed over)
    found: list[Contradiction]  # what contradicted the model at the last of them; empty: nothing
    sent: list[tuple[tuple[str, str], ...]]  # per action taken, the emails the model said it sends
    screenshot: bytes | None = None  # the device the first contradiction was seen on, then (PNG)


def replay(target: Target, actions: Sequence[act.Action]) -> Replayed:
    """Take `actions` in a new test site, up to the first contradiction."""
    walk = Walk(target)
    try:
        for action in actions:
            if not possible(walk.state if walk.state is not None else model.initial(0.0), action):
                continue
            found = walk.step(action)
            if found:
                return Replayed(list(walk.taken), found, list(walk.sent), walk.screenshot(found[0].channel))
        return Replayed(list(walk.taken), [], list(walk.sent))
    finally:
        walk.close()


def shorten(target: Target, actions: Sequence[act.Action], found: list[Contradiction], *, deadline: float,
            progress: Callable[[str], None] = lambda line: None) -> Replayed:
    """The shortest walk this finds that still contradicts the model by one of `found`'s rules:
    each action but the last is left out in turn, from the end, until none can be. The walk is
    replayed once as it is first; should it not contradict again (the portal is not
    deterministic), it is returned as found, with no emails known."""
    rules = {item.rule for item in found}
    best = replay(target, actions)
    if not (best.found and rules & {item.rule for item in best.found}):
        return Replayed(list(actions), list(found), [])
    changed = True
    while changed and time.monotonic() < deadline:
        changed = False
        for index in range(len(best.taken) - 2, -1, -1):
            if time.monotonic() >= deadline:
                break
            if index >= len(best.taken) - 1:
                continue
            again = replay(target, best.taken[:index] + best.taken[index + 1:])
            if again.found and rules & {item.rule for item in again.found}:
                best, changed = again, True
                progress(f"explore: shortened to {len(best.taken)} steps")
    return best
