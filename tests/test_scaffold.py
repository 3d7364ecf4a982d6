"""`portalcheck init`: a QA project that runs at once, and never written over another folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from portalcheck.scaffold import files_of_a_new_project


def init(folder: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "portalcheck.cli", "init", str(folder)], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_init_writes_a_project_and_refuses_a_folder_with_anything_in_it(tmp_path: Path) -> None:
    assert init(tmp_path / "qa", tmp_path).returncode == 0
    written = sorted(str(path.relative_to(tmp_path / "qa")) for path in (tmp_path / "qa").rglob("*") if path.is_file())
    assert written == sorted(files_of_a_new_project())
    assert len((tmp_path / "qa" / "README.md").read_text().splitlines()) == 3
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    refused = init(tmp_path / "taken", tmp_path)
    assert refused.returncode == 2 and "not an empty folder" in refused.stderr
    assert sorted(path.name for path in (tmp_path / "taken").iterdir()) == ["notes.txt"]


def test_the_new_project_passes_its_check_and_its_example(tmp_path: Path) -> None:
    init(tmp_path / "qa", tmp_path)
    checked = subprocess.run([sys.executable, "-m", "portalcheck.cli", "check"], cwd=tmp_path / "qa", capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    ran = subprocess.run([sys.executable, "-m", "portalcheck.cli", "run", "--project-only", "--", "-q"], cwd=tmp_path / "qa",
                         capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0 and "1 passed" in ran.stdout, ran.stdout[-3000:] + ran.stderr[-3000:]
