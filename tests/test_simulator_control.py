"""The control API (`simulator.control`) against CONTRACT v1, endpoint by endpoint, over HTTP."""

from __future__ import annotations

import datetime
from typing import Any, Callable

import pytest

from simulator import control
from simulator.middleware import MAX_BODY_BYTES, SECURITY_HEADERS

SITE_ENDPOINTS = [
    ("DELETE", ""),
    ("GET", "/policy"),
    ("PUT", "/policy"),
    ("POST", "/customers"),
    ("GET", "/clock"),
    ("POST", "/clock/advance"),
]
CUSTOMER_ENDPOINTS = [
    ("GET", ""),
    ("POST", "/subscriptions"),
    ("POST", "/invitations"),
    ("DELETE", "/invitations"),
    ("GET", "/management_link"),
    ("POST", "/management_link_emails"),
    ("PUT", "/password"),
]
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PUT", "/policy"): {"auto_invite": True},
    ("POST", "/customers"): {"email": "x@example.com", "first_name": "X", "last_name": "Y"},
    ("POST", "/clock/advance"): {"seconds": 60},
    ("POST", "/subscriptions"): {"product": "Gold"},
    ("PUT", "/password"): {"password": "correct horse"},
}
JSON_BODY_ENDPOINTS = [
    ("PUT", "/policy"),
    ("POST", "/customers"),
    ("POST", "/clock/advance"),
    ("POST", "/customers/{customer}/subscriptions"),
    ("PUT", "/customers/{customer}/password"),
]
MALFORMED_BODIES = {
    "empty": b"",
    "truncated": b'{"seconds": ',
    "array": b"[]",
    "string": b'"x"',
    "null": b"null",
    "number": b"60",
    "not-utf8": b"\xff\xfe{",
    "deeply-nested": b"[" * 20_000,
}


def iso(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "detail"} and body["detail"], body
    if code is not None:
        assert body["error"] == code
    return body


# -- authentication, unknown sites and customers, isolation ---------------------------------


def all_endpoints() -> list[tuple[str, str]]:
    return (
        [("GET", "/control/capabilities"), ("POST", "/control/sites")]
        + [(m, "/control/sites/{site}" + p) for m, p in SITE_ENDPOINTS]
        + [(m, "/control/sites/{site}/customers/{customer}" + p) for m, p in CUSTOMER_ENDPOINTS]
    )


@pytest.mark.parametrize("token", [None, "wrong-token", ""], ids=["no-token", "wrong-token", "empty-token"])
@pytest.mark.parametrize(("method", "path"), all_endpoints(), ids=[f"{m} {p}" for m, p in all_endpoints()])
def test_every_endpoint_needs_the_bearer_token(simulator_site: Any, token: str | None, method: str, path: str) -> None:
    ada = simulator_site.add_customer()
    url = path.format(site=simulator_site.id, customer=ada["id"])
    answer = simulator_site.control(method, path=url, token=token, json={})
    assert_error(answer, 401, "unauthorized")


def test_basic_auth_with_the_token_is_not_a_bearer_token(simulator_site: Any) -> None:
    answer = simulator_site.control(
        "GET", path="/control/capabilities", token=None, headers={"Authorization": "Basic c2ltdWxhdG9yLXRlc3QtdG9rZW4="}
    )
    assert_error(answer, 401)


def test_capabilities_name_the_contract(simulator_site: Any) -> None:
    answer = simulator_site.control("GET", path="/control/capabilities")
    assert answer.status_code == 200
    assert answer.json() == {"contract": "1", "password_login": True, "clock": True}


def test_new_site_has_an_id_and_a_portal_url(simulator_site: Any) -> None:
    answer = simulator_site.control("POST", path="/control/sites")
    assert answer.status_code == 201
    body = answer.json()
    assert body["portal_url"] == f"http://testserver/s/{body['id']}"
    assert body["id"] != simulator_site.id


@pytest.mark.parametrize(("method", "suffix"), SITE_ENDPOINTS, ids=[f"{m} {p}" for m, p in SITE_ENDPOINTS])
def test_unknown_site_is_404(simulator_site: Any, method: str, suffix: str) -> None:
    answer = simulator_site.control(method, path=f"/control/sites/nosuchsite{suffix}", json=BODIES.get((method, suffix), {}))
    assert_error(answer, 404, "not_found")


@pytest.mark.parametrize(("method", "suffix"), CUSTOMER_ENDPOINTS, ids=[f"{m} {p}" for m, p in CUSTOMER_ENDPOINTS])
def test_unknown_site_is_404_for_customer_endpoints(simulator_site: Any, method: str, suffix: str) -> None:
    ada = simulator_site.add_customer()
    answer = simulator_site.control(method, path=f"/control/sites/nosuchsite/customers/{ada['id']}{suffix}", json={})
    assert_error(answer, 404, "not_found")


@pytest.mark.parametrize("customer", ["999999", "abc", "-1", "1.0", "%C2%B2", "9" * 19, "9" * 5000])
@pytest.mark.parametrize(("method", "suffix"), CUSTOMER_ENDPOINTS, ids=[f"{m} {p}" for m, p in CUSTOMER_ENDPOINTS])
def test_unknown_customer_is_404(simulator_site: Any, method: str, suffix: str, customer: str) -> None:
    answer = simulator_site.control(method, f"/customers/{customer}{suffix}", json=BODIES.get((method, suffix), {}))
    assert_error(answer, 404, "not_found")


@pytest.mark.parametrize(("method", "suffix"), CUSTOMER_ENDPOINTS, ids=[f"{m} {p}" for m, p in CUSTOMER_ENDPOINTS])
def test_customer_of_another_site_is_404(simulator_sites: Callable[[], Any], method: str, suffix: str) -> None:
    ours, theirs = simulator_sites(), simulator_sites()
    ben = theirs.add_customer("ben@example.com", "Ben", "Byron")
    answer = ours.control(method, f"/customers/{ben['id']}{suffix}", json=BODIES.get((method, suffix), {}))
    assert_error(answer, 404, "not_found")
    assert theirs.customer(ben) == ben  # untouched


def test_sites_do_not_share_policy_clock_or_addresses(simulator_sites: Callable[[], Any]) -> None:
    ours, theirs = simulator_sites(), simulator_sites()
    ours.set_policy(auto_invite=True)
    ours.advance(3600)
    ours.add_customer("ada@example.com")
    assert theirs.policy()["auto_invite"] is False
    assert theirs.control("GET", "/clock").json()["now"] == "2026-01-01T00:00:00Z"
    assert ours.control("GET", "/clock").json()["now"] == "2026-01-01T01:00:00Z"
    theirs.add_customer("ada@example.com")  # not taken in this site


def test_unknown_control_path_and_wrong_method_answer_json(simulator_site: Any) -> None:
    assert_error(simulator_site.control("GET", path="/control/nothing-here"), 404)
    assert_error(simulator_site.control("PATCH", "/policy", json={}), 405)


@pytest.mark.parametrize("body", MALFORMED_BODIES.values(), ids=MALFORMED_BODIES.keys())
@pytest.mark.parametrize(("method", "suffix"), JSON_BODY_ENDPOINTS, ids=[f"{m} {p}" for m, p in JSON_BODY_ENDPOINTS])
def test_malformed_or_non_object_body_is_422_json(simulator_site: Any, method: str, suffix: str, body: bytes) -> None:
    simulator_site.set_policy(password_login_enabled=True)
    ada = simulator_site.add_customer()
    before = simulator_site.policy()
    answer = simulator_site.control(
        method, suffix.format(customer=ada["id"]), content=body, headers={"Content-Type": "application/json"}
    )
    assert_error(answer, 422, "invalid_json")
    assert simulator_site.policy() == before


def test_oversize_body_is_413_json_and_creates_nothing(simulator_site: Any) -> None:
    big = {"email": "big@example.com", "first_name": "A" * (MAX_BODY_BYTES + 1), "last_name": "B"}
    assert_error(simulator_site.control("POST", "/customers", json=big), 413, "body_too_large")
    simulator_site.add_customer("big@example.com")  # the address was not taken


def test_oversize_body_without_content_length_is_413(simulator_site: Any) -> None:
    def chunks() -> Any:
        for _ in range(MAX_BODY_BYTES // 1024 + 2):
            yield b" " * 1024

    answer = simulator_site.control("PUT", "/policy", content=chunks(), headers={"Content-Type": "application/json"})
    assert_error(answer, 413, "body_too_large")


# -- policy ---------------------------------------------------------------------------------


def test_policy_get_gives_the_defaults(simulator_site: Any) -> None:
    answer = simulator_site.control("GET", "/policy")
    assert answer.status_code == 200
    assert answer.json() == {
        "auto_invite": False,
        "email_verification_required": True,
        "password_login_enabled": False,
        "invitation_ttl_s": 172800,
        "login_link_ttl_s": 3600,
        "management_link_ttl_s": 5616000,
        "management_link_refresh_s": 1296000,
        "session_idle_timeout_s": 1800,
    }


def test_policy_put_of_a_subset_answers_the_whole_policy(simulator_site: Any) -> None:
    answer = simulator_site.control("PUT", "/policy", json={"auto_invite": True, "login_link_ttl_s": 600})
    assert answer.status_code == 200
    whole = answer.json()
    assert whole["auto_invite"] is True and whole["login_link_ttl_s"] == 600 and len(whole) == 8
    assert simulator_site.policy() == whole


BAD_POLICIES = {
    "unknown-key": {"magic": True},
    "good-and-unknown-key": {"auto_invite": True, "magic": True},
    "string-for-int": {"login_link_ttl_s": "600"},
    "bool-for-int": {"login_link_ttl_s": True},
    "float-for-int": {"login_link_ttl_s": 60.5},
    "zero": {"session_idle_timeout_s": 0},
    "negative": {"invitation_ttl_s": -5},
    "int-for-bool": {"auto_invite": 1},
    "ttl-over-180-days": {"management_link_ttl_s": 15552001},
    "refresh-over-ttl": {"management_link_refresh_s": 100, "management_link_ttl_s": 50},
}


@pytest.mark.parametrize("changes", BAD_POLICIES.values(), ids=BAD_POLICIES.keys())
def test_policy_put_with_bad_update_is_422_and_changes_nothing(simulator_site: Any, changes: dict[str, Any]) -> None:
    before = simulator_site.set_policy(login_link_ttl_s=1234)
    body = assert_error(simulator_site.control("PUT", "/policy", json=changes), 422)
    assert any(key in body["detail"] for key in changes)
    assert simulator_site.policy() == before


# -- customers ------------------------------------------------------------------------------


def test_customer_is_created_and_read_back(simulator_site: Any) -> None:
    answer = simulator_site.control(
        "POST", "/customers", json={"email": "Ada@Example.com", "first_name": " Ada ", "last_name": "Lovelace"}
    )
    assert answer.status_code == 201
    created = answer.json()
    assert created["email"] == "Ada@Example.com" and created["first_name"] == "Ada"
    fetched = simulator_site.control("GET", f"/customers/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == created
    assert {"id", "email", "email_verified", "portal_enabled", "invite_last_sent_at", "invite_last_accepted_at"} <= set(created)
    assert created["email_verified"] is False and created["portal_enabled"] is False
    assert created["invite_last_sent_at"] is None and created["invite_last_accepted_at"] is None


BAD_ADDRESSES = {
    "missing": None,
    "number": 42,
    "empty": "",
    "no-at": "ada.example.com",
    "no-domain-dot": "ada@example",
    "two-ats": "ada@@example.com",
    "space": "ada lovelace@example.com",
    "cr-lf": "ada@example.com\r\nBcc: eve@example.com",
    "lf": "ada@example.com\n",
    "nul": "ada\x00@example.com",
    "comma": "ada,eve@example.com",
    "comment": "ada(x)@example.com",
    "angle": "<ada>@example.com",
    "quote": '"ada@example.com',
    "double-dot": "ada..l@example.com",
    "non-ascii": "adä@example.com",
    "local-part-too-long": "a" * 65 + "@example.com",
    "too-long": "a@" + "b" * 250 + ".com",
}


@pytest.mark.parametrize("address", BAD_ADDRESSES.values(), ids=BAD_ADDRESSES.keys())
def test_bad_address_is_422(simulator_site: Any, address: Any) -> None:
    answer = simulator_site.control("POST", "/customers", json={"email": address, "first_name": "Ada", "last_name": "L"})
    assert_error(answer, 422, "invalid_email")


BAD_NAMES = {
    "cr-lf": "Ada\r\nBcc: eve@example.com",
    "lf": "Ada\nL",
    "cr": "Ada\r",
    "tab": "Ada\tL",
    "nul": "Ada\x00",
    "del": "Ada\x7f",
    "empty": "",
    "blank": "   ",
    "number": 7,
    "missing": None,
    "too-long": "A" * 101,
}


@pytest.mark.parametrize("field", ["first_name", "last_name"])
@pytest.mark.parametrize("name", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_bad_name_is_422_and_creates_nothing(simulator_site: Any, field: str, name: Any) -> None:
    body = {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace", field: name}
    detail = assert_error(simulator_site.control("POST", "/customers", json=body), 422, "invalid_field")["detail"]
    assert field in detail
    simulator_site.add_customer("ada@example.com")  # nothing was created


@pytest.mark.parametrize("again", ["ada@example.com", "ADA@example.com", "Ada@EXAMPLE.COM"])
def test_address_taken_in_the_site_is_409_whatever_the_case(simulator_site: Any, again: str) -> None:
    simulator_site.add_customer("ada@example.com")
    answer = simulator_site.control("POST", "/customers", json={"email": again, "first_name": "A", "last_name": "B"})
    assert_error(answer, 409, "address_taken")


# -- subscriptions and invitations (INV-1, INV-2, INV-3, INV-7) -----------------------------


def test_INV2_subscription_with_auto_invite_off_sends_no_invitation(simulator_site: Any) -> None:
    ada = simulator_site.add_customer()
    answer = simulator_site.control("POST", f"/customers/{ada['id']}/subscriptions", json={"product": "Gold"})
    assert answer.status_code == 201 and isinstance(answer.json()["id"], int)
    assert simulator_site.queued(ada["email"]) == []
    assert simulator_site.customer(ada)["portal_enabled"] is False


def test_INV2_subscription_with_auto_invite_on_sends_the_invitation(simulator_site: Any) -> None:
    simulator_site.set_policy(auto_invite=True)
    ada = simulator_site.add_customer()
    answer = simulator_site.control("POST", f"/customers/{ada['id']}/subscriptions", json={"product": "Gold"})
    assert answer.status_code == 201
    assert len(simulator_site.queued(ada["email"])) == 1
    invitation = simulator_site.mail(ada["email"], "invitation")
    assert "/invitation/" in simulator_site.action_link_in(invitation)
    assert simulator_site.customer(ada)["portal_enabled"] is True


def test_INV7_sixth_auto_invitation_is_withheld_but_the_subscription_is_created(simulator_site: Any) -> None:
    simulator_site.set_policy(auto_invite=True)
    ada = simulator_site.add_customer()
    answers = [
        simulator_site.control("POST", f"/customers/{ada['id']}/subscriptions", json={"product": f"Plan {n}"})
        for n in range(6)
    ]
    assert [answer.status_code for answer in answers] == [201] * 6
    assert len({answer.json()["id"] for answer in answers}) == 6
    assert len(simulator_site.queued(ada["email"])) == 5


@pytest.mark.parametrize("product", [None, "", "Gold\r\nX", 5], ids=["missing", "empty", "cr-lf", "number"])
def test_subscription_without_a_good_product_is_422(simulator_site: Any, product: Any) -> None:
    ada = simulator_site.add_customer()
    answer = simulator_site.control("POST", f"/customers/{ada['id']}/subscriptions", json={"product": product})
    assert_error(answer, 422)


def test_INV1_INV3_invitation_is_queued_with_its_link_and_the_management_url(simulator_site: Any) -> None:
    ada = simulator_site.add_customer()
    answer = simulator_site.control("POST", f"/customers/{ada['id']}/invitations")
    assert answer.status_code == 202
    customer = simulator_site.customer(ada)
    assert customer["portal_enabled"] is True and customer["invite_last_sent_at"] == "2026-01-01T00:00:00Z"
    invitation = simulator_site.mail(ada["email"], "invitation")
    assert invitation["Subject"] and invitation["To"].addresses[0].addr_spec == ada["email"]
    link = simulator_site.action_link_in(invitation)
    assert link.startswith(f"{simulator_site.portal_url}/invitation/")
    management = simulator_site.management_link_in(invitation)
    assert management == simulator_site.management_url(ada)


def test_INV7_five_invitations_within_30_minutes_then_the_sixth_is_422(simulator_site: Any) -> None:
    ada = simulator_site.add_customer()
    for _ in range(5):
        simulator_site.invite(ada)
        simulator_site.advance(60)
    simulator_site.advance(1800 - 5 * 60 - 1)  # the first was sent 29 min 59 s ago
    answer = simulator_site.control("POST", f"/customers/{ada['id']}/invitations")
    assert_error(answer, 422, "too_many_invitations")
    assert len(simulator_site.queued(ada["email"])) == 5


def test_INV7_invitation_allowed_again_after_the_clock_advances_30_minutes(simulator_site: Any) -> None:
    ada = simulator_site.add_customer()
    for _ in range(5):
        simulator_site.invite(ada)
    assert_error(simulator_site.control("POST", f"/customers/{ada['id']}/invitations"), 422)
    simulator_site.advance(1800)
    simulator_site.invite(ada)
    assert len(simulator_site.queued(ada["email"])) == 6


def test_INV7_limit_is_per_customer(simulator_site: Any) -> None:
    ada, ben = simulator_site.add_customer(), simulator_site.add_customer()
    for _ in range(5):
        simulator_site.invite(ada)
    simulator_site.invite(ben)


# -- revocation -----------------------------------------------------------------------------


def test_revocation_disables_access(simulator_site: Any) -> None:
    ada = simulator_site.add_customer()
    simulator_site.invite(ada)
    answer = simulator_site.control("DELETE", f"/customers/{ada['id']}/invitations")
    assert answer.status_code == 200
    assert simulator_site.customer(ada)["portal_enabled"] is False


def test_revocation_when_not_enabled_is_422(simulator_site: Any) -> None:
    ada = simulator_site.add_customer()
    assert_error(simulator_site.control("DELETE", f"/customers/{ada['id']}/invitations"), 422)
    simulator_site.invite(ada)
    simulator_site.revoke(ada)
    assert_error(simulator_site.control("DELETE", f"/customers/{ada['id']}/invitations"), 422)


# -- management link (MU-6, MU-7) -----------------------------------------------------------


def test_management_link_fields(simulator_site: Any) -> None:
    ada = simulator_site.add_customer()
    simulator_site.invite(ada)
    simulator_site.advance(10)
    link = simulator_site.management_link(ada)
    created = 1_767_225_600  # the invitation email made the link, at the site's start time
    assert set(link) == {"url", "fetch_count", "created_at", "new_link_available_at", "expires_at", "last_invite_sent_at"}
    assert link["url"].startswith(f"{simulator_site.portal_url}/manage/{ada['id']}/")
    assert link["fetch_count"] == 1
    assert link["created_at"] == iso(created)
    assert link["new_link_available_at"] == iso(created + 1_296_000)
    assert link["expires_at"] == iso(created + 5_616_000)
    assert link["last_invite_sent_at"] == iso(created)


def test_management_link_of_a_customer_never_invited(simulator_site: Any) -> None:
    link = simulator_site.management_link(simulator_site.add_customer())
    assert link["last_invite_sent_at"] is None and link["fetch_count"] == 1


def test_MU6_same_url_until_the_refresh_time(simulator_site: Any) -> None:
    ada = simulator_site.add_customer()
    first = simulator_site.management_link(ada)
    simulator_site.advance(1_296_000 - 1)
    second = simulator_site.management_link(ada)
    assert second["url"] == first["url"] and second["fetch_count"] == 2


def test_MU6_new_url_at_refresh_time_and_the_old_one_valid_until_its_expiry(simulator_site: Any) -> None:
    ada = simulator_site.add_customer()
    laptop = simulator_site.device()
    simulator_site.accepted_invitation(ada, laptop)
    old = simulator_site.management_link(ada)
    simulator_site.advance(1_296_000)
    new = simulator_site.management_link(ada)
    assert new["url"] != old["url"]
    assert new["fetch_count"] == 1 and new["created_at"] == iso(1_767_225_600 + 1_296_000)
    assert laptop.get(old["url"]).headers["location"] == f"{simulator_site.base}/"
    simulator_site.advance(5_616_000 - 1_296_000 - 1)  # old: one second before its expiry
    assert laptop.get(old["url"]).headers["location"] == f"{simulator_site.base}/"
    simulator_site.advance(1)  # old: exactly at its expiry
    assert laptop.get(old["url"]).headers["location"] == f"{simulator_site.base}/link-expired"
    assert laptop.get(new["url"]).headers["location"] == f"{simulator_site.base}/"


def test_MU7_sixteenth_read_is_429_and_a_new_link_resets_the_count(simulator_site: Any) -> None:
    ada = simulator_site.add_customer()
    reads = [simulator_site.management_link(ada) for _ in range(15)]
    assert [read["fetch_count"] for read in reads] == list(range(1, 16))
    assert len({read["url"] for read in reads}) == 1
    body = assert_error(simulator_site.control("GET", f"/customers/{ada['id']}/management_link"), 429, "too_many_reads")
    assert reads[0]["new_link_available_at"] in body["detail"]
    simulator_site.advance(1_296_000)
    fresh = simulator_site.management_link(ada)
    assert fresh["fetch_count"] == 1 and fresh["url"] != reads[0]["url"]


def test_MU7_emails_do_not_count_as_reads(simulator_site: Any) -> None:
    ada = simulator_site.add_customer()
    simulator_site.invite(ada)
    simulator_site.control("POST", f"/customers/{ada['id']}/management_link_emails")
    assert simulator_site.management_link(ada)["fetch_count"] == 1


# -- management link emails (MU-1) ----------------------------------------------------------


def test_MU1_management_link_email_is_an_account_email_with_the_management_url(simulator_site: Any) -> None:
    ada = simulator_site.add_customer()
    answer = simulator_site.control("POST", f"/customers/{ada['id']}/management_link_emails")
    assert answer.status_code == 202
    account = simulator_site.mail(ada["email"], "account")
    assert simulator_site.management_link_in(account) == simulator_site.management_url(ada)


# -- password -------------------------------------------------------------------------------


def test_password_is_set_when_password_logins_are_on(simulator_site: Any) -> None:
    simulator_site.set_policy(password_login_enabled=True)
    ada = simulator_site.add_customer()
    answer = simulator_site.control("PUT", f"/customers/{ada['id']}/password", json={"password": "correct horse"})
    assert answer.status_code == 204 and answer.content == b""


def test_password_is_422_when_password_logins_are_off(simulator_site: Any) -> None:
    ada = simulator_site.add_customer()
    answer = simulator_site.control("PUT", f"/customers/{ada['id']}/password", json={"password": "correct horse"})
    assert_error(answer, 422, "refused")


@pytest.mark.parametrize("password", ["short", "", None, 12345678, "x" * 257, "with\x00nul!"], ids=["short", "empty", "missing", "number", "too-long", "nul"])
def test_bad_password_is_422(simulator_site: Any, password: Any) -> None:
    simulator_site.set_policy(password_login_enabled=True)
    ada = simulator_site.add_customer()
    answer = simulator_site.control("PUT", f"/customers/{ada['id']}/password", json={"password": password})
    assert_error(answer, 422, "invalid_password")


# -- clock ----------------------------------------------------------------------------------


def test_clock_reads_the_site_time(simulator_site: Any) -> None:
    answer = simulator_site.control("GET", "/clock")
    assert answer.status_code == 200 and answer.json() == {"now": "2026-01-01T00:00:00Z"}


@pytest.mark.parametrize(("seconds", "now"), [(1, "2026-01-01T00:00:01Z"), (86400.5, "2026-01-02T00:00:00Z")])
def test_clock_advances(simulator_site: Any, seconds: float, now: str) -> None:
    answer = simulator_site.control("POST", "/clock/advance", json={"seconds": seconds})
    assert answer.status_code == 200 and answer.json() == {"now": now}
    assert simulator_site.control("GET", "/clock").json() == {"now": now}


BAD_SECONDS = {
    "zero": b'{"seconds": 0}',
    "negative": b'{"seconds": -60}',
    "string": b'{"seconds": "60"}',
    "true": b'{"seconds": true}',
    "false": b'{"seconds": false}',
    "null": b'{"seconds": null}',
    "missing": b"{}",
    "list": b'{"seconds": [60]}',
    "nan": b'{"seconds": NaN}',
    "infinity": b'{"seconds": Infinity}',
    "over-100-years": b'{"seconds": 1e12}',
}


@pytest.mark.parametrize("body", BAD_SECONDS.values(), ids=BAD_SECONDS.keys())
def test_clock_advance_refuses_anything_but_a_positive_number(simulator_site: Any, body: bytes) -> None:
    answer = simulator_site.control("POST", "/clock/advance", content=body, headers={"Content-Type": "application/json"})
    assert_error(answer, 422, "invalid_seconds")
    assert simulator_site.control("GET", "/clock").json() == {"now": "2026-01-01T00:00:00Z"}


# -- deleting a site ------------------------------------------------------------------------


def test_deleted_site_is_gone_and_its_links_and_sessions_grant_nothing(simulator_sites: Callable[[], Any]) -> None:
    site, other = simulator_sites(), simulator_sites()
    ada = site.add_customer()
    laptop = site.device()
    site.accepted_invitation(ada, laptop)
    manage = site.management_url(ada)
    laptop.ask_login_link(ada["email"])
    login = site.link(ada["email"], "login_link")
    ben = other.add_customer()

    answer = site.control("DELETE")
    assert answer.status_code == 204 and answer.content == b""

    assert_error(site.control("GET", "/policy"), 404)
    assert_error(site.control("DELETE"), 404)
    for url in (manage, login, f"{site.base}/", f"{site.base}/login"):
        page = laptop.get(url)
        assert page.status_code == 404, url
        assert "No such billing portal" in page.text
    assert other.customer(ben)["id"] == ben["id"]


# -- the OpenAPI document -------------------------------------------------------------------


def test_openapi_document_lists_every_control_path_and_method(simulator_site: Any) -> None:
    answer = simulator_site.client.get("/control/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    assert document["openapi"].startswith("3.")
    served = {
        (route.path, method.lower())
        for route in control.routes
        if route.path != "/control/openapi.json"
        for method in (route.methods or set()) - {"HEAD"}
    }
    documented = {(path, method) for path, operations in document["paths"].items() for method in operations}
    assert documented == served


# -- no input gets a 5xx (issue 13) ---------------------------------------------------------

# What the fuzzer sent: JSON's \u escapes of lone UTF-16 surrogates.
LONE_SURROGATES = {
    "first_name": ("POST", "/customers", rb'{"email": "sur@example.com", "first_name": "\ud800", "last_name": "L"}', "invalid_field"),
    "product": ("POST", "/customers/{customer}/subscriptions", rb'{"product": "Gold\udc80"}', "invalid_field"),
    "password": ("PUT", "/customers/{customer}/password", rb'{"password": "abcdefgh\ud800"}', "invalid_password"),
}


@pytest.mark.parametrize(("method", "suffix", "body", "code"), LONE_SURROGATES.values(), ids=LONE_SURROGATES.keys())
def test_a_lone_surrogate_is_422_and_stores_nothing(simulator_site: Any, method: str, suffix: str, body: bytes, code: str) -> None:
    simulator_site.set_policy(password_login_enabled=True)
    ada = simulator_site.add_customer()
    answer = simulator_site.control(method, suffix.format(customer=ada["id"]), content=body, headers={"Content-Type": "application/json"})
    assert "surrogate" in assert_error(answer, 422, code)["detail"]
    store = simulator_site.portal.store
    assert store.subscriptions(ada["id"]) == [] and store.password_hash(ada["id"]) is None
    simulator_site.add_customer("sur@example.com")  # the address was not taken


@pytest.mark.parametrize("name", ["Ada\u2028Lovelace", "Ada\x85", "Ada\u2029", "\x9b"])
def test_a_name_is_one_line(simulator_site: Any, name: str) -> None:
    answer = simulator_site.control("POST", "/customers", json={"email": "one@example.com", "first_name": name, "last_name": "L"})
    assert_error(answer, 422, "invalid_field")


CENTURY_S = 100 * 365 * 86400


def test_clock_stops_short_of_year_9000_and_the_site_keeps_working(simulator_site: Any) -> None:
    """The issue's run: 80 advances of 100 years each, every one under the cap."""
    laptop = simulator_site.device()
    ada = simulator_site.add_customer()
    simulator_site.accepted_invitation(ada, laptop)
    answers = [simulator_site.control("POST", "/clock/advance", json={"seconds": CENTURY_S}) for _ in range(80)]

    moved = [answer for answer in answers if answer.status_code == 200]
    assert 60 < len(moved) < 80  # 2026 plus 69 of them is 8,920 or so: the 70th would pass 9000
    assert all(answer.status_code == 200 for answer in answers[: len(moved)])  # then only refusals
    for refused in answers[len(moved) :]:
        assert "9000-01-01T00:00:00Z" in assert_error(refused, 422, "invalid_seconds")["detail"]
    now = simulator_site.control("GET", "/clock").json()["now"]
    assert now == moved[-1].json()["now"] and now < "9000-01-01T00:00:00Z"

    link = simulator_site.management_link(ada)  # its expiry is a date too
    assert link["expires_at"] > now
    assert simulator_site.control("POST", f"/customers/{ada['id']}/invitations").status_code == 202
    assert laptop.ask_login_link(ada["email"]).status_code == 200
    assert laptop.get(link["url"]).status_code == 303


def test_an_advance_exactly_to_the_last_moment_is_taken_and_one_past_it_is_not(simulator_site: Any) -> None:
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc).timestamp()
    latest = datetime.datetime(9000, 1, 1, tzinfo=datetime.timezone.utc).timestamp()
    left = latest - start
    while left > CENTURY_S:
        simulator_site.advance(CENTURY_S)
        left -= CENTURY_S
    assert_error(simulator_site.control("POST", "/clock/advance", json={"seconds": left + 1}), 422, "invalid_seconds")
    simulator_site.advance(left)
    assert simulator_site.control("GET", "/clock").json() == {"now": "9000-01-01T00:00:00Z"}


@pytest.mark.parametrize("key", ["invitation_ttl_s", "login_link_ttl_s", "session_idle_timeout_s"])
def test_a_policy_duration_is_at_most_100_years(simulator_site: Any, key: str) -> None:
    assert simulator_site.set_policy(**{key: CENTURY_S})[key] == CENTURY_S
    body = assert_error(simulator_site.control("PUT", "/policy", json={key: CENTURY_S + 1}), 422, "invalid_policy")
    assert key in body["detail"] and simulator_site.policy()[key] == CENTURY_S


def test_a_whole_number_written_with_a_fraction_is_that_number(simulator_site: Any) -> None:
    """JSON has one kind of number, and the document's "integer" takes 60.0 (JSON Schema)."""
    answer = simulator_site.control("PUT", "/policy", content=b'{"login_link_ttl_s": 60.0}', headers={"Content-Type": "application/json"})
    assert answer.status_code == 200 and answer.content.count(b'"login_link_ttl_s":60,') == 1


def test_an_unexpected_exception_answers_the_contract_error_with_the_security_headers(
    simulator_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlette.testclient import TestClient

    from simulator.app import create_app

    def broken(*args: Any) -> float:
        raise RuntimeError("a bug")

    headers = {"Authorization": "Bearer simulator-test-token"}
    with TestClient(create_app(simulator_settings), raise_server_exceptions=False) as client:
        site = client.post("/control/sites", headers=headers).json()
        monkeypatch.setattr(client.app_state["portal"], "now", broken)
        answer = client.get(f"/control/sites/{site['id']}/clock", headers=headers)
    assert_error(answer, 500, "internal_error")
    assert "a bug" not in answer.text  # the log has it, not the client
    for name, value in SECURITY_HEADERS:
        assert answer.headers[name.decode()] == value.decode()


def test_a_wrong_method_names_the_allowed_ones(simulator_site: Any) -> None:
    answer = simulator_site.control("PATCH", "/policy", json={})
    assert_error(answer, 405, "bad_method")
    assert {method.strip() for method in answer.headers["allow"].split(",")} >= {"GET", "PUT"}
    ada = simulator_site.add_customer()
    answer = simulator_site.control("GET", f"/customers/{ada['id']}/invitations")
    assert {method.strip() for method in answer.headers["allow"].split(",")} == {"POST", "DELETE"}


def test_401_says_how_to_authenticate(simulator_site: Any) -> None:
    answer = simulator_site.control("GET", path="/control/capabilities", token=None)
    assert_error(answer, 401, "unauthorized")
    assert answer.headers["www-authenticate"] == "Bearer"
