"""portalcheck: the conformance suite's runner, profiles and reports.

PYTEST_DONT_REWRITE: `portalcheck run` imports this package before it starts pytest in the same
process, so pytest could not rewrite it anyway (and would warn); its submodules still are.
"""

SUITE_VERSION = "0.1.0"
CONTRACT_VERSION = "1"
