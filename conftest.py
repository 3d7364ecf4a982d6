"""Nothing to wire by hand: the portalcheck plugin comes in through its pytest11 entry point
(pyproject.toml), and `portalcheck = true` there turns the suite on for this repository."""
