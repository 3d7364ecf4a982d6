"""The suite's wiring: the portalcheck plugin and the step modules, one per domain concept."""

pytest_plugins = [
    "portalcheck.plugin",
    "steps.customers",
    "steps.policy",
    "steps.time",
    "steps.links",
    "steps.pages",
    "steps.mail",
    "steps.management_links",
    "steps.passwords",
    "steps.login_links",
    "steps.security",
]
