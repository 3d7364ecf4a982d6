"""Run folders: where one run of the suite leaves its results and evidence."""

from __future__ import annotations

import datetime
import secrets
from pathlib import Path


def new_run_folder(reports: Path) -> Path:
    """Make a folder of its own under `reports` (named by the time), never one another run has."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    reports.mkdir(parents=True, exist_ok=True)
    while True:
        folder = reports / f"{stamp}-{secrets.token_hex(2)}"
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder.resolve()


def point_latest(run_dir: Path) -> None:
    """`reports/latest` names the newest run (unless something that is not a link has the name)."""
    latest = run_dir.parent / "latest"
    if latest.is_symlink() or not latest.exists():
        latest.unlink(missing_ok=True)
        latest.symlink_to(run_dir.name)
