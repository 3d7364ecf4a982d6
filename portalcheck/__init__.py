"""portalcheck: the conformance suite's runner, profiles and reports."""

SUITE_VERSION = "0.1.0"
CONTRACT_VERSION = "1"
