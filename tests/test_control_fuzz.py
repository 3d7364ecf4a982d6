"""Issue 13: property-based fuzzing of everything that takes input from outside.

- Schemathesis reads /control/openapi.json from the simulator running on a socket and drives
  every operation with data the document allows and data it forbids, in its coverage, fuzzing
  and stateful phases (the last follows the document's links: a new site, then its customers).
  No answer may be a server error, and every answer must be one the document describes: its
  status, content type, headers and body schema. `bench/bench_fuzz.py` is the longer run.
- Hypothesis puts full Unicode (lone surrogates included), extreme numbers and any JSON value
  into every field of every JSON body and every portal form: no 5xx, every error in the form
  the contract gives it, with the security headers, and a refused request changes nothing.
"""

from __future__ import annotations

import collections
import itertools
import json
import urllib.parse
from typing import Any, Callable

import httpx2
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.engine import Status, events, from_schema

from simulator.middleware import SECURITY_HEADERS
from simulator.openapi import DOCUMENT

# -- Schemathesis against the running simulator ----------------------------------------------

# What the issue asks of every answer: no server error, and nothing the document does not say.
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",  # data the document forbids is refused: its limits are the server's
    "ignored_auth",
    "unsupported_method",  # 405 with Allow for a method the document does not list
]
MIN_CASES = 300


def fuzz_config(token: str, *, site: str, customer: str, doomed_site: str, examples: int, seed: int) -> Any:
    """Every phase but the document's examples (it has none), path parameters aimed at live
    records so cases reach the handlers; `deleteSite` gets a site of its own to delete."""
    return schemathesis.Config.from_dict(
        {
            "seed": seed,
            "headers": {"Authorization": f"Bearer {token}"},
            "generation": {"mode": "all", "max-examples": examples, "database": "none"},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "phases": {"examples": {"enabled": False}, "stateful": {"enabled": True, "max-steps": 20}},
            "parameters": {"site": site, "customer": customer},
            "operations": [{"include-operation-id": "deleteSite", "parameters": {"site": doomed_site}}],
        }
    )


def run_schemathesis(schema: Any) -> tuple[collections.Counter[str], set[str], list[str]]:
    """Cases run per phase, the operations fuzzed, and one line per distinct failure."""
    cases: collections.Counter[str] = collections.Counter()
    fuzzed: set[str] = set()
    failures: set[str] = set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            cases[event.phase.name] += len(event.recorder.cases)
            if event.phase.name == "FUZZING" and event.recorder.cases and event.label:
                fuzzed.add(event.label)
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.status == Status.FAILURE:
                        title = check.failure_info.failure.title if check.failure_info else ""
                        failures.add(f"{check.name} on {event.label}: {title}")
        elif isinstance(event, events.NonFatalError):
            failures.add(f"schemathesis could not test {event.label}: {event.value}")
        elif isinstance(event, events.FatalError):
            failures.add(f"schemathesis could not run: {event.exception}")
    return cases, fuzzed, sorted(failures)


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(simulator_served: Any) -> None:
    auth = {"Authorization": f"Bearer {simulator_served.token}"}
    with httpx2.Client(base_url=simulator_served.url, headers=auth, timeout=10) as client:
        site, doomed = (client.post("/control/sites").json()["id"] for _ in range(2))
        ada = client.post(
            f"/control/sites/{site}/customers", json={"email": "ada@example.com", "first_name": "Ada", "last_name": "L"}
        )
        assert ada.status_code == 201, ada.text
    config = fuzz_config(
        simulator_served.token, site=site, customer=str(ada.json()["id"]), doomed_site=doomed, examples=25, seed=13
    )
    schema = schemathesis.openapi.from_url(f"{simulator_served.url}/control/openapi.json", config=config)

    cases, fuzzed, failures = run_schemathesis(schema)

    print(f"\nschemathesis: {sum(cases.values())} cases {dict(cases)}, {len(failures)} findings")
    assert not failures, "\n".join(failures)
    assert sum(cases.values()) >= MIN_CASES, cases
    documented = {f"{method.upper()} {path}" for path, methods in DOCUMENT["paths"].items() for method in methods}
    assert fuzzed == documented, documented ^ fuzzed
    assert set(cases) >= {"COVERAGE", "FUZZING", "STATEFUL_TESTING"}, cases


# -- Hypothesis: every field, any text, any number -------------------------------------------

SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
LINE_BREAKERS = st.sampled_from("\x00\t\n\r\x0b\x0c\x1c\x1f\x7f\x85\xa0\u2028\u2029\ufeff\ufffe")
ANY_CHARACTER = st.one_of(st.characters(codec=None), SURROGATES, LINE_BREAKERS)
# Text that passes every other check (one line, 9 to 40 characters) but for one odd character:
# the shape that reaches the store, argon2 and the response writer.
ODD_TEXT = st.builds(
    lambda head, odd, tail: head + odd + tail,
    st.text(st.characters(categories=["L", "N"]), min_size=8, max_size=20),
    ANY_CHARACTER,
    st.text(st.characters(categories=["L", "N", "Zs", "P", "S"]), max_size=20),
)
ANY_TEXT = st.one_of(
    ODD_TEXT,
    st.text(ANY_CHARACTER, max_size=20),
    st.text(ANY_CHARACTER, min_size=95, max_size=300),  # around the limits (names 100, passwords 256)
    st.builds(lambda local, tail: f"{local}@example.com{tail}", st.text(ANY_CHARACTER, max_size=8), st.text(ANY_CHARACTER, max_size=3)),
)
EXTREME_NUMBERS = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**300), max_value=10**300),
    st.floats(),  # NaN and ±Infinity too: Python's json writes and reads them
    st.sampled_from(
        [0, -0.0, 5e-324, 1.0, 60.0, 0.5, 2**53 + 1, 2**63, 2**64, -(2**63) - 1, 1e308, 3_153_600_000, 3_153_600_001,
         15_552_000, 15_552_001, 10**4299]
    ),
)
ANY_SCALAR = st.one_of(st.none(), st.booleans(), EXTREME_NUMBERS, ANY_TEXT)
ANY_JSON = st.recursive(ANY_SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3), max_leaves=6)
FIELD_VALUE = st.one_of(ANY_TEXT, EXTREME_NUMBERS, ANY_JSON)

BODY_FIELDS = {  # endpoint → a valid body; each of its fields gets the generated value in turn
    ("PUT", "/policy"): {
        "auto_invite": False,
        "email_verification_required": True,
        "password_login_enabled": True,
        "invitation_ttl_s": 172_800,
        "login_link_ttl_s": 3_600,
        "management_link_ttl_s": 5_616_000,
        "management_link_refresh_s": 1_296_000,
        "session_idle_timeout_s": 1_800,
    },
    ("POST", "/customers"): {"email": "fuzz@example.com", "first_name": "Ada", "last_name": "Lovelace"},
    ("POST", "/customers/{customer}/subscriptions"): {"product": "Gold"},
    ("PUT", "/customers/{customer}/password"): {"password": "correct horse battery"},
    ("POST", "/clock/advance"): {"seconds": 60},
}
FIELDS = [(method, path, field) for (method, path), body in BODY_FIELDS.items() for field in body]
# One site per test, shared by its examples (state piles up, as it would on a real portal); no
# deadline and no speed health check, as CI shares two cores.
QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
FUZZ_SETTINGS = settings(max_examples=40, deadline=None, database=None, suppress_health_check=QUIET)


def json_bytes(value: Any) -> bytes:
    """As a client would send it: lone surrogates as JSON's \\ud800 escapes (ensure_ascii)."""
    return json.dumps(value, ensure_ascii=True).encode()


def assert_contract_error_or_success(answer: Any) -> None:
    assert answer.status_code < 500, answer.text[:300]
    for name, value in SECURITY_HEADERS:
        assert answer.headers.get(name.decode()) == value.decode(), name
    if answer.status_code >= 400:
        assert answer.headers["content-type"].startswith("application/json"), answer.headers
        body = answer.json()
        assert set(body) == {"error", "detail"} and body["error"] and body["detail"], body


def site_state(site: Any, customer: dict[str, Any]) -> tuple[Any, ...]:
    """What a refused control call must leave as it was, read from the store (cheaper than HTTP)."""
    store = site.portal.store
    return (
        store.site(site.id),
        store.customer(site.id, customer["id"]),
        store.password_hash(customer["id"]),
        store.subscriptions(customer["id"]),
        len(store.outbox()),
    )


@pytest.mark.parametrize(("method", "path", "field"), FIELDS, ids=[f"{m} {p} {f}" for m, p, f in FIELDS])
def test_any_value_in_any_json_field_is_answered_or_refused_cleanly(simulator_site: Any, method: str, path: str, field: str) -> None:
    simulator_site.set_policy(password_login_enabled=True)
    ada = simulator_site.add_customer()
    url = path.format(customer=ada["id"])

    @FUZZ_SETTINGS
    @given(value=FIELD_VALUE)
    def check(value: Any) -> None:
        body = {**BODY_FIELDS[(method, path)], field: value}
        before = site_state(simulator_site, ada)
        answer = simulator_site.control(method, url, content=json_bytes(body), headers={"Content-Type": "application/json"})
        assert_contract_error_or_success(answer)
        if answer.status_code >= 400:
            assert site_state(simulator_site, ada) == before

    check()


@pytest.mark.parametrize(("method", "path"), list(BODY_FIELDS), ids=[f"{m} {p}" for m, p in BODY_FIELDS])
def test_any_json_body_is_answered_or_refused_cleanly(simulator_site: Any, method: str, path: str) -> None:
    ada = simulator_site.add_customer()

    @FUZZ_SETTINGS
    @given(body=ANY_JSON)
    def check(body: Any) -> None:
        answer = simulator_site.control(
            method, path.format(customer=ada["id"]), content=json_bytes(body), headers={"Content-Type": "application/json"}
        )
        assert_contract_error_or_success(answer)

    check()


CLOCK_STEPS = st.one_of(st.sampled_from([3_153_600_000, 3_153_599_999.5, 1e9]), EXTREME_NUMBERS)


@settings(max_examples=8, deadline=None, database=None, suppress_health_check=QUIET)
@given(centuries=st.integers(0, 90), steps=st.lists(CLOCK_STEPS, max_size=20))
def test_any_run_of_clock_advances_keeps_the_site_working(simulator_site: Any, centuries: int, steps: list[Any]) -> None:
    """Steps each under the cap add up past any date; the clock stops short, and everything
    that shows a time still answers (issue 13: the 80th step of 100 years answered 500)."""
    ada = simulator_site.add_customer()
    for seconds in [3_153_600_000] * centuries + steps:
        before = simulator_site.portal.store.site(simulator_site.id).clock_offset
        answer = simulator_site.control("POST", "/clock/advance", content=json_bytes({"seconds": seconds}), headers={"Content-Type": "application/json"})
        assert_contract_error_or_success(answer)
        after = simulator_site.portal.store.site(simulator_site.id).clock_offset
        assert after >= before if answer.status_code == 200 else after == before  # never back
    assert_contract_error_or_success(simulator_site.control("GET", "/clock"))
    assert_contract_error_or_success(simulator_site.control("POST", f"/customers/{ada['id']}/invitations"))
    assert_contract_error_or_success(simulator_site.control("GET", f"/customers/{ada['id']}/management_link"))
    assert simulator_site.device().ask_login_link(ada["email"]).status_code == 200


# -- Hypothesis: the portal's forms ----------------------------------------------------------


def urlencoded(fields: dict[str, str]) -> tuple[bytes, str]:
    """A form as a browser sends it; a lone surrogate travels as its WTF-8 bytes."""
    pairs = [
        f"{urllib.parse.quote_plus(k.encode('utf-8', 'surrogatepass'))}={urllib.parse.quote_plus(v.encode('utf-8', 'surrogatepass'))}"
        for k, v in fields.items()
    ]
    return "&".join(pairs).encode(), "application/x-www-form-urlencoded"


def multipart(fields: dict[str, str]) -> tuple[bytes, str]:
    """A multipart form naming the charset `unicode_escape`, under which \\ud800 decodes to a
    lone surrogate: the one way a form field can reach the server holding one."""
    boundary = "fuzzboundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value.encode("unicode_escape")
        + b"\r\n"
        for name, value in fields.items()
    ]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}; charset=unicode_escape"


ENCODINGS: dict[str, Callable[[dict[str, str]], tuple[bytes, str]]] = {"urlencoded": urlencoded, "multipart": multipart}
FORMS = {  # form → its fields as the page's form has them
    "/login-link": ["email"],
    "/sign-in": ["email", "password"],
    "/password": ["password"],
}


def assert_page_or_clean_refusal(answer: Any) -> None:
    assert answer.status_code < 500, answer.text[:300]
    for name, value in SECURITY_HEADERS:
        assert answer.headers.get(name.decode()) == value.decode(), name
    if answer.status_code >= 400:
        assert answer.headers["content-type"].startswith("text/html"), answer.headers
        assert 'role="alert"' in answer.text  # says what went wrong


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("form", FORMS)
def test_any_text_in_any_form_field_is_answered_or_refused_cleanly(simulator_site: Any, form: str, encoding: str) -> None:
    laptop = simulator_site.device()
    simulator_site.set_policy(password_login_enabled=True)
    ada = simulator_site.add_customer()
    simulator_site.accepted_invitation(ada, laptop)  # signed in: the choose-password form is hers
    csrf = laptop.csrf()

    @FUZZ_SETTINGS
    @given(values=st.fixed_dictionaries({name: ANY_TEXT for name in FORMS[form]}), csrf_value=st.one_of(st.just(csrf), ANY_TEXT))
    def check(values: dict[str, str], csrf_value: str) -> None:
        content, kind = ENCODINGS[encoding]({**values, "csrf": csrf_value})
        answer = laptop.client.post(simulator_site.absolute(form), content=content, headers={"Content-Type": kind})
        assert_page_or_clean_refusal(answer)

    check()


COOKIE_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters=';"\\'), max_size=60)
VERIFY_COOKIE = st.one_of(
    COOKIE_TEXT,
    st.builds(
        lambda customer, reason, issued, signature: f"{customer}:{reason}:{issued}.{signature}",
        st.one_of(st.integers(-1, 10**20).map(str), COOKIE_TEXT),
        st.sampled_from(["verify_device", "verify_email", "x"]),
        st.one_of(st.integers(0, 10**20).map(str), COOKIE_TEXT),
        COOKIE_TEXT,
    ),
)
PAGES = [("GET", "/"), ("GET", "/login"), ("GET", "/verify-device"), ("GET", "/password"), ("POST", "/verify-device"), ("POST", "/sign-out")]


def test_any_cookie_is_answered_or_refused_cleanly(simulator_site: Any) -> None:
    """Cookies come back as Latin-1 text: a session, device or verify cookie of any shape."""
    simulator_site.set_policy(password_login_enabled=True)
    device = simulator_site.device()
    csrf = device.csrf()

    @FUZZ_SETTINGS
    @given(session=COOKIE_TEXT, device_id=COOKIE_TEXT, verify=VERIFY_COOKIE, page=st.sampled_from(PAGES))
    def check(session: str, device_id: str, verify: str, page: tuple[str, str]) -> None:
        jar = f'portal_csrf={csrf}; portal_session="{session}"; portal_device="{device_id}"; portal_verify="{verify}"'
        method, path = page
        answer = device.client.request(
            method,
            simulator_site.absolute(path),
            content=urlencoded({"csrf": csrf})[0] if method == "POST" else None,
            headers={"Cookie": jar.encode("latin-1"), "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert_page_or_clean_refusal(answer)

    check()


PATH_TEXT = st.text(ANY_CHARACTER, min_size=1, max_size=60)


def test_any_link_path_is_answered_or_refused_cleanly(simulator_site: Any) -> None:
    """The links a customer is emailed, with anything in their tokens (percent-encoded)."""
    ada = simulator_site.add_customer()
    device = simulator_site.device()

    @FUZZ_SETTINGS
    @given(kind=st.sampled_from(["link", "invitation", "manage"]), parts=st.lists(PATH_TEXT, min_size=1, max_size=3))
    def check(kind: str, parts: list[str]) -> None:
        if kind == "manage" and len(parts) < 3:
            parts = [str(ada["id"]), "1767225600", *parts][-3:]
        quoted = "/".join(urllib.parse.quote(part.encode("utf-8", "surrogatepass"), safe="") for part in parts)
        answer = device.client.get(f"{simulator_site.base}/{kind}/{quoted}")
        assert_page_or_clean_refusal(answer)

    check()


NAMES = itertools.count()
# Names the API takes (one line, not blank), from all of Unicode but what it refuses.
NAME_TEXT = st.text(
    st.characters(codec=None, exclude_categories=["Cs", "Cc"], exclude_characters="\u2028\u2029"), min_size=1, max_size=100
).filter(str.strip)


def test_any_name_the_api_takes_goes_into_an_email_and_a_page(simulator_site: Any) -> None:
    """A name accepted once is written again and again: into the To header and body of every
    email, into the portal's home page. Any name the API takes must survive all of them."""

    @FUZZ_SETTINGS
    @given(first=NAME_TEXT, last=NAME_TEXT)
    def check(first: str, last: str) -> None:
        body = {"email": f"n{next(NAMES)}@example.com", "first_name": first, "last_name": last}
        created = simulator_site.control("POST", "/customers", content=json_bytes(body), headers={"Content-Type": "application/json"})
        assert_contract_error_or_success(created)
        if created.status_code != 201:
            return
        customer = created.json()
        assert_contract_error_or_success(simulator_site.control("POST", f"/customers/{customer['id']}/invitations"))
        queued = simulator_site.queued(customer["email"])
        assert len(queued) == 1
        device = simulator_site.device()
        assert device.get(simulator_site.link(customer["email"], "invitation")).status_code == 303  # delivered
        home = device.home()
        assert home.status_code == 200 and "Your billing portal" in home.text
        assert_page_or_clean_refusal(home)

    check()
