"""A second, independently written billing portal, to prove the suite depends only on CONTRACT v1.

Everything differs from the reference simulator but the fixed control API: a stdlib
`http.server` instead of Starlette, memory instead of SQLite, pages under `/portal/<site>/`,
query-string tokens, other markup and other email subjects. Its profile is `profile.toml`.
Run it with `python -m tests.alt_portal --port 0 --smtp HOST:PORT --control-token T`.
"""
