"""A target profile: one TOML file that tells the suite how to reach a portal (CONTRACT v1)."""

from __future__ import annotations

import dataclasses
import difflib
import re
import tomllib
from pathlib import Path
from typing import Any, Callable, Mapping

from . import rules

REFERENCE = Path(__file__).parent / "profiles" / "reference.toml"

EMAIL_KINDS = ("invitation", "login_link", "account")
SELECTORS = (
    "signed_in", "signed_in_customer", "signed_out", "verify_device", "link_problem",
    "login_link_sent", "login_link_form", "login_link_email", "login_link_submit",
    "password_form", "password_email", "password_input", "password_submit",
    "choose_password", "new_password_input", "new_password_submit", "sign_out",
)
# Optional selectors and the selector they default to.
OPTIONAL_SELECTORS = {"verify_request_submit": "login_link_submit"}
_SELECTOR_ENGINES = ("css", "xpath", "text", "role", "id", "data-testid", "nth", "internal")


class ProfileError(ValueError):
    """A profile that cannot be used; the message names the key."""


@dataclasses.dataclass(frozen=True)
class EmailKind:
    subject: re.Pattern[str]
    action_link: re.Pattern[str] | None


@dataclasses.dataclass(frozen=True)
class Profile:
    path: Path
    name: str
    control_url: str  # "" means: start the bundled reference simulator
    control_token_env: str
    sink_host: str
    sink_port: int
    sink_api: str  # a sink service that already runs ("http://host:port"); empty: the suite runs one
    sink_starttls: str  # "", "offer" or "require": STARTTLS on the sink the suite starts
    sink_auth: str  # "", "any" or "USER:PASSWORD": AUTH the sink the suite starts requires
    capabilities: Mapping[str, bool]
    emails: Mapping[str, EmailKind]
    management_url: re.Pattern[str]
    pages: Mapping[str, str]
    selectors: Mapping[str, str]
    mail_timeout_s: float = 10.0
    page_timeout_s: float = 10.0
    mail_quiet_s: float = 0.75
    mail_in_order: bool = False  # the portal delivers its emails in the order it decided to send them
    expected_deviations: Mapping[str, str] = dataclasses.field(default_factory=dict)
    session_cookie: str = ""  # the session cookie's name; empty: judge every cookie the portal sets

    @property
    def is_reference(self) -> bool:
        return not self.control_url

    def has(self, capability: str) -> bool:
        return bool(self.capabilities.get(capability, False))


def load(path: str | Path | None = None) -> Profile:
    """Read and check a profile; ProfileError names every key that is wrong, a line each."""
    file = Path(path) if path else REFERENCE
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(f"profile {file}: no such file") from None
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"profile {file}: not valid TOML: {error}") from None
    return _parse(file, data)


def _parse(file: Path, data: Mapping[str, Any]) -> Profile:
    """Every key is read and checked, so that one ProfileError lists every problem at once."""
    known: set[str] = set()  # every key the profile may hold: what `get` was asked for
    problems: list[str] = []

    def problem(message: str) -> None:
        problems.append(f"profile {file}: {message}")

    def get(dotted: str, kind: type, default: Any = ...) -> Any:
        known.add(dotted)
        node: Any = data
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                if default is not ...:
                    return default
                problem(f"missing key {dotted!r}")
                return kind()
            node = node[part]
        if kind is float and isinstance(node, int) and not isinstance(node, bool):
            node = float(node)
        if not isinstance(node, kind) or (kind is int and isinstance(node, bool)):
            problem(f"{dotted!r} must be a {kind.__name__}, not {node!r}")
            return default if default is not ... else kind()
        return node

    def pattern(dotted: str, *, required: bool = True) -> re.Pattern[str] | None:
        source = get(dotted, str, ... if required else None)
        if source is None:
            return None
        try:
            return re.compile(source)
        except re.error as error:
            problem(f"{dotted!r} is not a valid pattern: {error}")
            return re.compile("(?!)")

    def checked(check: Callable[[], Any], fallback: Any) -> Any:
        try:
            return check()
        except ProfileError as error:
            problems.append(str(error))
            return fallback

    control_url = get("target.control_url", str)
    if control_url and not re.match(r"https?://[^/\s]+", control_url):
        problem(f"'target.control_url' must be an http(s) URL, not {control_url!r}")
    selectors = {name: checked(lambda name=name: _selector(file, name, get(f"selectors.{name}", str)), "") for name in SELECTORS}
    for name, fallback in OPTIONAL_SELECTORS.items():
        selectors[name] = checked(lambda name=name, fallback=fallback: _selector(file, name, get(f"selectors.{name}", str, selectors[fallback] or "x")), "")
    session_cookie = get("cookies.session", str, "")
    port = get("sink.port", int)
    sink_api = get("sink.api", str, "")
    if not 0 <= port <= 65535:
        problem(f"'sink.port' must be 0 to 65535, not {port}")
    if control_url and port == 0 and not sink_api:
        problem("'sink.port' is 0 (a free port), but a portal of your own must know where to send its mail:"
                " give the port it sends to, or 'sink.api' for a sink service that already runs")
    starttls = get("sink.starttls", str, "")
    if starttls not in ("", "offer", "require"):
        problem(f"'sink.starttls' must be \"offer\" or \"require\", not {starttls!r}")
    auth = get("sink.auth", str, "")
    if auth and auth != "any" and not re.fullmatch(r"[^:\s]+:\S+", auth):
        problem(f"'sink.auth' must be \"any\" or \"USER:PASSWORD\", not {auth!r}")
    if auth and not starttls:
        problem("'sink.auth' needs 'sink.starttls': a password is not sent over plain SMTP")
    if sink_api and not re.match(r"https?://[^/\s]+", sink_api):
        problem(f"'sink.api' must be the http(s) URL of a running sink's API, not {sink_api!r}")
    deviations = get("expected_deviations", dict, {})
    rule_ids = {rule.id for rule in rules.load()} if deviations else set()
    for rule, reason in deviations.items():
        if not re.fullmatch(r"[A-Z]+-\d+", rule) or not isinstance(reason, str) or not reason.strip():
            problem(f"'expected_deviations.{rule}' must name a rule ID and give a reason")
        elif rule not in rule_ids:
            problem(f"'expected_deviations.{rule}': POLICY v1 has no rule {rule}")
    profile = Profile(
        path=file,
        name=get("target.name", str),
        control_url=control_url.rstrip("/"),
        control_token_env=get("target.control_token_env", str),
        sink_host=get("sink.host", str),
        sink_port=port,
        sink_api=sink_api.rstrip("/"),
        sink_starttls=starttls,
        sink_auth=auth,
        capabilities={key: get(f"capabilities.{key}", bool) for key in ("password_login", "clock")},
        emails={
            kind: EmailKind(pattern(f"emails.{kind}.subject"), pattern(f"emails.{kind}.action_link", required=kind != "account"))  # type: ignore[arg-type]
            for kind in EMAIL_KINDS
        },
        management_url=pattern("emails.management_url"),  # type: ignore[arg-type]
        pages={key: checked(lambda key=key: _path(file, key, get(f"pages.{key}", str)), "/") for key in ("sign_in", "home")},
        selectors=selectors,
        mail_timeout_s=get("timing.mail_timeout_s", float, 10.0),
        page_timeout_s=get("timing.page_timeout_s", float, 10.0),
        mail_quiet_s=get("timing.mail_quiet_s", float, 0.75),
        mail_in_order=get("timing.mail_in_order", bool, False),
        expected_deviations=deviations,
        session_cookie=session_cookie,
    )
    for key in _leaves(data):
        if key not in known and not key.startswith("expected_deviations."):
            close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else "a typo? it would be ignored"
            problem(f"unknown key {key!r} ({hint})")
    if problems:
        raise ProfileError("\n".join(problems))
    return profile


def _leaves(data: Mapping[str, Any], prefix: str = "") -> list[str]:
    """The dotted names of every value in the TOML document that is not itself a table."""
    found = []
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        found += _leaves(value, f"{dotted}.") if isinstance(value, Mapping) else [dotted]
    return found


def _selector(file: Path, name: str, value: str) -> str:
    engine, sep, body = value.partition("=")
    looks_engine = sep and re.fullmatch(r"[a-z-]+", engine)
    if not value.strip() or (looks_engine and engine not in _SELECTOR_ENGINES) or (looks_engine and not body.strip()):
        raise ProfileError(f"profile {file}: 'selectors.{name}' is not a Playwright selector: {value!r}")
    if value.count("[") != value.count("]") or value.count("(") != value.count(")"):
        raise ProfileError(f"profile {file}: 'selectors.{name}' has unbalanced brackets: {value!r}")
    return value


def _path(file: Path, name: str, value: str) -> str:
    if not value.startswith("/"):
        raise ProfileError(f"profile {file}: 'pages.{name}' must be a path starting with '/', not {value!r}")
    return value
