"""Issue 13: /control/openapi.json is a valid OpenAPI 3.1 document that says what the server does.

Valid (openapi-spec-validator); every path parameter declared; every status an operation answers
documented; and its limits are the server's: at each bound the document derives, the document's
schema and the server agree on what is accepted and what is refused.
"""

from __future__ import annotations

import copy
import itertools
import re
from typing import Any, Iterator

import jsonschema
import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from simulator.middleware import MAX_BODY_BYTES

_TAGS = itertools.count(1)


@pytest.fixture
def document(simulator_site: Any) -> dict[str, Any]:
    answer = simulator_site.client.get("/control/openapi.json")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    return dict(answer.json())


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method.upper(), operation


def deref(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        assert node["$ref"].startswith("#/"), node
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


# -- the document itself --------------------------------------------------------------------


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    validate(document)


def test_the_validator_refuses_a_path_parameter_left_undeclared(document: dict[str, Any]) -> None:
    broken = copy.deepcopy(document)
    broken["components"]["parameters"]["site"]["name"] = "site_id"  # {site} now declared by nobody
    with pytest.raises(OpenAPIValidationError, match="site"):
        validate(broken)


def test_every_path_parameter_is_declared_by_every_operation_on_its_path(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        in_path = set(re.findall(r"{(\w+)}", path))
        declared = {
            deref(document, parameter)["name"]
            for parameter in operation.get("parameters", [])
            if deref(document, parameter)["in"] == "path"
        }
        assert declared == in_path, f"{method} {path}"


# -- statuses: what the server answers is documented ----------------------------------------


def documented(operation: dict[str, Any]) -> set[int]:
    return {int(status) for status in operation["responses"]}


def call(site: Any, path: str, method: str, *, site_id: str, customer: Any, **kwargs: Any) -> Any:
    url = path.format(site=site_id, customer=customer)
    return site.control(method, path=url, **kwargs)


@pytest.fixture
def customer(simulator_site: Any) -> dict[str, Any]:
    return dict(simulator_site.add_customer())


def test_every_refusal_the_server_gives_is_documented(simulator_site: Any, document: dict[str, Any], customer: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        answers = documented(operation)
        where = {"site_id": simulator_site.id, "customer": customer["id"]}
        no_token = call(simulator_site, path, method, token=None, **where)
        assert no_token.status_code in answers, (method, path, no_token.status_code)
        too_big = call(simulator_site, path, method, content=b" " * (MAX_BODY_BYTES + 1), **where)
        assert too_big.status_code in answers, (method, path, too_big.status_code)
        if "{site}" in path:
            unknown = call(simulator_site, path, method, site_id="nosuchsite", customer=customer["id"], json={})
            assert unknown.status_code == 404 and 404 in answers, (method, path, unknown.status_code)
        if "{customer}" in path:
            nobody = call(simulator_site, path, method, site_id=simulator_site.id, customer="999999", json={})
            assert nobody.status_code == 404, (method, path, nobody.status_code)
        if "requestBody" in operation:
            garbled = call(simulator_site, path, method, content=b"{", headers={"Content-Type": "application/json"}, **where)
            assert garbled.status_code == 422 and 422 in answers, (method, path, garbled.status_code)


def test_the_state_refusals_of_the_contract_are_documented(simulator_site: Any, document: dict[str, Any], customer: dict[str, Any]) -> None:
    customer_path = "/control/sites/{site}/customers/{customer}"
    refusals = {
        ("DELETE", customer_path + "/invitations"): 422,  # never enabled
        ("PUT", customer_path + "/password"): 422,  # password logins off
        ("POST", "/control/sites/{site}/customers"): 409,  # the address is taken
    }
    bodies = {
        ("PUT", customer_path + "/password"): {"password": "correct horse"},
        ("POST", "/control/sites/{site}/customers"): {"email": customer["email"], "first_name": "A", "last_name": "B"},
    }
    for (method, path), status in refusals.items():
        answer = call(simulator_site, path, method, site_id=simulator_site.id, customer=customer["id"], json=bodies.get((method, path)))
        assert answer.status_code == status, (method, path, answer.text)
        assert status in documented(document["paths"][path][method.lower()]), (method, path)


# -- limits: the document's bounds are the server's ------------------------------------------


def email_of_length(length: int) -> str:
    """A well-formed address of exactly `length` characters, new each time."""
    local = f"u{next(_TAGS)}"
    labels = length - len(local) - 1 - len(".com")
    domain = "".join("." if i % 51 == 50 else "d" for i in range(labels))  # labels of 50
    if domain.endswith("."):
        domain = domain[:-1] + "d"
    return f"{local}@{domain}.com"


def boundary_values(name: str, schema: dict[str, Any]) -> list[Any]:
    """Values at and just past each bound the schema of a property states."""
    values: list[Any] = []
    if "maxLength" in schema:
        n = schema["maxLength"]
        values += [email_of_length(n), email_of_length(n + 1)] if name == "email" else ["A" * n, "A" * (n + 1)]
    if "minLength" in schema:
        n = schema["minLength"]
        values += ["a" * n, "a" * (n - 1)]
    if "maximum" in schema:
        most = schema["maximum"]
        values += [most, most + 1, most + 0.5]
    if "minimum" in schema:
        least = schema["minimum"]
        values += [least, least - 1]
    if "exclusiveMinimum" in schema:
        values += [schema["exclusiveMinimum"], schema["exclusiveMinimum"] + 1e-6]
    return values


# Every text field's schema holds a pattern; these probe it where people go wrong.
TEXT_PROBES = {
    "name": ["Ada", "Zoë", "李雷", " Ada ", "", "   ", "A\nB", "A\rB", "A\tB", "A\x85B", "A\u2028B", "A\x00B", "\u00a0"],
    "password": ["correct horse", "correct\x00horse", "Unicode: ü✓ 李"],
    "email": ["ada@example.com", "ada@localhost", "a b@example.com", "ä@example.com", "ada@exa_mple.com", "ada.@example.com"],
}
_POLICY_BASE = {"management_link_ttl_s": 15_552_000, "management_link_refresh_s": 1}  # room for either bound


def body_for(property_name: str, value: Any, body_schema: dict[str, Any]) -> dict[str, Any]:
    """A body valid but for `value` in `property_name`."""
    valid = {"email": email_of_length(30), "first_name": "Ada", "last_name": "Lovelace", "product": "Gold",
             "password": "correct horse", "seconds": 60}
    if "management_link_ttl_s" in body_schema["properties"]:
        return {**_POLICY_BASE, property_name: value}
    return {**{key: valid[key] for key in body_schema.get("required", [])}, property_name: value}


def test_document_and_server_agree_at_every_bound_and_on_tricky_text(simulator_site: Any, document: dict[str, Any], customer: dict[str, Any]) -> None:
    simulator_site.set_policy(password_login_enabled=True)
    compared = 0
    for path, method, operation in operations(document):
        if "requestBody" not in operation:
            continue
        body_schema = deref(document, operation["requestBody"]["content"]["application/json"]["schema"])
        for name, schema in body_schema["properties"].items():
            probes = boundary_values(name, schema)
            kind = "name" if name in ("first_name", "last_name", "product") else name
            probes += TEXT_PROBES.get(kind, [])
            for value in probes:
                body = body_for(name, value, body_schema)
                if path.endswith("/policy"):
                    simulator_site.set_policy(**_POLICY_BASE)
                answer = call(simulator_site, path, method, site_id=simulator_site.id, customer=customer["id"], json=body)
                assert answer.status_code in (200, 201, 204, 422), (method, path, body, answer.text)
                by_document = jsonschema.Draft202012Validator(body_schema).is_valid(body)
                by_server = answer.status_code != 422
                assert by_document == by_server, f"{method} {path} {name}={value!r}: document says {by_document}, server {answer.text}"
                compared += 1
    assert compared > 50  # every bound of every body was reached


def test_an_address_with_a_local_part_over_64_is_refused_as_the_document_says(simulator_site: Any, document: dict[str, Any]) -> None:
    """The one limit a pattern cannot state (without a lookahead no generator can follow)."""
    email = document["components"]["schemas"]["NewCustomer"]["properties"]["email"]
    assert "64" in email["description"]
    answer = simulator_site.control("POST", "/customers", json={"email": "a" * 65 + "@example.com", "first_name": "A", "last_name": "B"})
    assert answer.status_code == 422 and answer.json()["error"] == "invalid_email"
