"""A finding on disk: the shrunk walk as JSON (what `--replay` takes) beside its .feature text."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

from . import actions as act

FORMAT = "portalcheck-explore-finding/1"


class FindingError(ValueError):
    """A file that is not a finding this version can replay; the message says what is wrong."""


@dataclasses.dataclass(frozen=True)
class Finding:
    seed: int
    profile: str
    faults: tuple[str, ...]
    actions: tuple[act.Action, ...]
    contradictions: tuple[dict[str, Any], ...]
    feature: str
    screenshot: str = ""  # the PNG beside the JSON: the device the contradiction was seen on

    @property
    def rule(self) -> str:
        return str(self.contradictions[0]["rule"]) if self.contradictions else ""

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "seed": self.seed, "profile": self.profile, "faults": list(self.faults),
            "rule": self.rule, "actions": [action.to_json() for action in self.actions],
            "contradictions": list(self.contradictions), "feature": self.feature,
            **({"screenshot": self.screenshot} if self.screenshot else {}),
        }

    def save(self, folder: Path, *, screenshot: bytes | None = None) -> tuple[Path, Path]:
        """Write `<rule>-seed<seed>.json` and `.feature` into `folder` (and `.png`, the device's
        screenshot, when there is one: its name goes under "screenshot"); the first two paths."""
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"{re.sub(r'[^A-Za-z0-9-]', '', self.rule) or 'finding'}-seed{self.seed}"
        data, feature = folder / f"{stem}.json", folder / f"{stem}.feature"
        saved = self
        if screenshot:
            (folder / f"{stem}.png").write_bytes(screenshot)
            saved = dataclasses.replace(self, screenshot=f"{stem}.png")
        data.write_text(json.dumps(saved.to_json(), indent=2) + "\n", encoding="utf-8")
        feature.write_text(self.feature, encoding="utf-8")
        return data, feature


def load(path: Path) -> Finding:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FindingError(f"{path}: no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise FindingError(f"{path}: not JSON: {error}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise FindingError(f"{path}: not a finding of portalcheck explore (format {FORMAT!r})")
    try:
        steps = tuple(act.from_json(step) for step in data["actions"])
        return Finding(int(data["seed"]), str(data["profile"]), tuple(data.get("faults", ())), steps,
                       tuple(data.get("contradictions", ())), str(data.get("feature", "")), str(data.get("screenshot", "")))
    except (KeyError, TypeError, ValueError) as error:
        raise FindingError(f"{path}: {error}") from None
