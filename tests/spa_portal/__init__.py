"""A third portal, a single-page app, to prove the suite judges one as fairly as a server-rendered one.

Every page is the same 200 shell; its script draws each view in place from a JSON API. Forms
go out by fetch, cookies come only on fetch responses, a refusal is a 4xx on the API call, and
the script takes a link's token out of the address bar once it has used it. The policy itself
is the alternative portal's (`tests.alt_portal.model`, control API and mail included): what
differs is only how the browser is answered. Nothing here comes from the simulator.

Run it with `python -m tests.spa_portal --port 0 --smtp HOST:PORT --control-token T [--fault NAME]`;
its profile is `profile.toml`, its fault switches are in `faults.py`.
"""
