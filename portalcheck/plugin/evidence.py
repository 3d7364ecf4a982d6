"""Evidence of a failed scenario, saved while its browsers are still open."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .fixtures import CAST
from .run_folder import evidence_root, run_dir


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    troupe = item.stash.get(CAST, None)
    if report.when == "call" and report.failed and troupe is not None:
        folder = evidence_root(item.config) / _slug(item.nodeid)
        try:
            saved = troupe.save_evidence(folder)
        except Exception as error:  # evidence is a help, never the cause of a failure
            report.sections.append(("evidence", f"could not save evidence: {error!r}"))
        else:
            listing = "\n".join(str(path) for path in saved)
            report.sections.append(("evidence", f"saved in {folder}:\n{listing}"))
            base = run_dir(item.config)
            # Relative to the run folder, so the folder survives being moved or archived.
            report.user_properties.append(("evidence", str(folder.relative_to(base)) if base else str(folder)))
    return report


def _slug(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::")[-1])[:120]
