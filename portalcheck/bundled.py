"""Where the suite's own files are, read through the installed package: the same in a checkout
(an editable install maps `portalcheck.features` to features/) and in a wheel."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _folder(package: str) -> Path:
    return Path(str(files(package)))


def features() -> Path:
    """The bundled conformance features, with test_conformance.py that binds them to pytest."""
    return _folder("portalcheck.features")


def steps() -> Path:
    return _folder("portalcheck.steps")


def docs() -> Path:
    """The docs: POLICY-v1.md (the rules, verbatim) and policy.md (our reading of them)."""
    return _folder("portalcheck.docs")
