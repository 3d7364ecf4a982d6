"""Walks of concrete actions, replayed: a finding's `--replay`, and the last pass of shrinking.

Hypothesis shrinks over its draws, and each candidate it tries is a whole walk in a new test
site with a browser: seconds each. So its shrink phase is bounded (`machine.Run`), and the walk
it ends with is shortened further here by deleting runs of whole actions (halves first, then
down to one at a time), as long as the walk still contradicts the model by the same rule.
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
                upto = found[0].step + 1  # an email that must not have come is judged steps later
                return Replayed(list(walk.taken[:upto]), found, list(walk.sent[:upto]), walk.screenshot(found[0].channel))
        found = walk.finish()
        if found:
            upto = found[0].step + 1
            return Replayed(list(walk.taken[:upto]), found, list(walk.sent[:upto]))
        return Replayed(list(walk.taken), [], list(walk.sent))
    finally:
        walk.close()


def shorten(target: Target, actions: Sequence[act.Action], found: list[Contradiction], *, deadline: float,
            progress: Callable[[str], None] = lambda line: None) -> Replayed:
    """The shortest walk this finds that still contradicts the model by one of `found`'s rules:
    runs of actions but the last are left out, from the end, halves of the walk first, then
    quarters and so on down to single actions, until none can be (a walk of 30 steps whose
    contradiction needs 5 is shortened in a few dozen replays, not hundreds). The walk is
    replayed once as it is first; should it not contradict again (the portal is not
    deterministic), it is returned as found, with no emails known."""
    rules = {item.rule for item in found}
    best = replay(target, actions)
    if not (best.found and rules & {item.rule for item in best.found}):
        return Replayed(list(actions), list(found), [])
    size = max(1, (len(best.taken) - 1) // 2)
    while time.monotonic() < deadline:
        changed = False
        end = len(best.taken) - 1  # the last action (where it contradicts) always stays
        while end > 0 and time.monotonic() < deadline:
            begin = max(0, end - size)
            again = replay(target, best.taken[:begin] + best.taken[end:])
            if again.found and rules & {item.rule for item in again.found}:
                best, changed = again, True
                progress(f"explore: shortened to {len(best.taken)} steps")
                end = min(begin, len(best.taken) - 1)
            else:
                end = begin
        if size == 1 and not changed:
            break
        if not changed:
            size = max(1, size // 2)
        size = min(size, max(1, (len(best.taken) - 1) // 2))
    return best
