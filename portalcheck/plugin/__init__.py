"""The suite's pytest plugin, one concern a module.

- `options`: command-line options and markers;
- `run_folder`: where a run's results and evidence go, and the verdicts collected there;
- `fixtures`: the target, the mail sink, the browser, a test site per scenario;
- `preflight`: proof that the set-up works before any scenario runs;
- `failures`: a failed scenario is the portal's (FAIL) or the run's (ERROR), and which step;
- `evidence`: screenshots, traces, emails and control calls of a failed scenario;
- `feature_files`: feature files checked as Gherkin when collected;
- `workers`: what pytest-xdist's workers need from the controller.

Session fixtures start once per worker process; every scenario gets a test site of its own,
fresh customers and fresh browser contexts, so `pytest -n N` is safe against one target.
"""

pytest_plugins = [
    "portalcheck.plugin.options",
    "portalcheck.plugin.run_folder",
    "portalcheck.plugin.fixtures",
    "portalcheck.plugin.preflight",
    "portalcheck.plugin.failures",
    "portalcheck.plugin.evidence",
    "portalcheck.plugin.feature_files",
    "portalcheck.plugin.workers",
]
