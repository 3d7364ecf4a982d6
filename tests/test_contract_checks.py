"""The contract checks' steps (steps/contract.py) against a small fake control API, kept and broken.

No simulator fault breaks the contract (the simulator is the contract's reference), so each check
is proven here to fail on a control API that breaks its promise, and to pass on one that keeps it.
"""

from __future__ import annotations

import datetime
import itertools
import json
import types
from typing import Any

import httpx
import pytest

from portalcheck.control import ControlClient, SiteControl
from portalcheck.steps import contract
from portalcheck.steps.screenplay.abilities import ControlTheSite
from portalcheck.steps.screenplay.actors import Actor
from portalcheck.steps.screenplay.sites import OtherSites
from portalcheck.steps.screenplay.tasks import LetTimePass

TOKEN = "the-control-token"


class FakeControlApi:
    """Sites with clocks, behind a bearer token; each `broken` name breaks one promise."""

    def __init__(self, *broken: str) -> None:
        self.broken = set(broken)
        self.offsets: dict[str, float] = {}
        self._ids = itertools.count(1)

    def handle(self, request: httpx.Request) -> httpx.Response:
        answer = self._answer(request)
        if "errors_without_detail" in self.broken and answer.status_code >= 400:
            return httpx.Response(answer.status_code, json={"error": json.loads(answer.content)["error"]})
        return answer

    def _answer(self, request: httpx.Request) -> httpx.Response:
        if "no_auth" not in self.broken and request.headers.get("authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401, json={"error": "unauthorized", "detail": "send the token"})
        parts = request.url.path.strip("/").split("/")  # control, sites, <id>, ...
        if parts == ["control", "sites"] and request.method == "POST" and "one_site_only" in self.broken and self.offsets:
            return httpx.Response(503, json={"error": "busy", "detail": "no more sites today"})
        if parts == ["control", "sites"] and request.method == "POST":
            site_id = str(next(self._ids))
            self.offsets[site_id] = -86400.0 if "clock_starts_yesterday" in self.broken else 0.0
            return httpx.Response(201, json={"id": site_id, "portal_url": f"http://portal.test/s/{site_id}"})
        site_id, rest = parts[2], parts[3:]
        if site_id not in self.offsets and "unknown_site_ok" not in self.broken:
            return httpx.Response(404, json={"error": "no_such_site", "detail": "no such site"})
        if request.method == "DELETE" and not rest:
            self.offsets.pop(site_id, None)
            return httpx.Response(204)
        if rest == ["policy"]:
            return httpx.Response(200, json={"auto_invite": False})
        if rest == ["clock", "advance"]:
            seconds = json.loads(request.content)["seconds"]
            if "own_clock_stands_still" in self.broken:
                seconds = 0
            for moved in (self.offsets if "one_clock_for_all" in self.broken else [site_id]):
                self.offsets[moved] += seconds
            if "other_clocks_thrown_back" in self.broken:
                for other in set(self.offsets) - {site_id}:
                    self.offsets[other] -= seconds
            return httpx.Response(200, json={"now": self._now(site_id)})
        if rest == ["clock"]:
            return httpx.Response(200, json={"now": self._now(site_id)})
        return httpx.Response(404, json={"error": "not_found", "detail": request.url.path})

    def _now(self, site_id: str) -> str:
        moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=self.offsets.get(site_id, 0.0))
        return moment.isoformat()


@pytest.fixture
def make_world() -> Any:
    """A scenario's site, cast and other sites, on a fake control API that breaks `broken`."""
    made: list[httpx.Client] = []

    def make(*broken: str) -> Any:
        api = FakeControlApi(*broken)
        http = httpx.Client(transport=httpx.MockTransport(api.handle))
        made.append(http)
        client = ControlClient("http://control.test", TOKEN, http=http)
        site = SiteControl.create(client)
        cast = types.SimpleNamespace(site=site, merchant=Actor("the merchant").who_can(ControlTheSite(site)))
        return types.SimpleNamespace(api=api, http=http, site=site, cast=cast, other_sites=OtherSites(client))

    yield make
    for http in made:
        http.close()


def con_1(world: Any) -> None:
    contract.another_site_and_both_clocks_read(world.cast, world.other_sites)
    world.cast.merchant.attempts_to(LetTimePass(3 * 86400))
    contract.the_other_clock_has_not_moved(world.cast, world.other_sites)


def con_2(world: Any) -> None:
    contract.open_another_site(world.other_sites)
    contract.the_new_clock_shows_real_time(world.other_sites)


def con_3(world: Any, which: str) -> None:
    contract.ask_about_an_unknown_site(world.cast, world.other_sites, which)
    contract.the_control_api_answers(world.cast, "404")


def con_4(world: Any, credentials: str) -> None:
    contract.call_without_the_token(world.cast, credentials)
    contract.the_control_api_answers(world.cast, "401")
    assert world.site.client.calls[-1].status == 401  # in the scenario's log of calls, its evidence


CHECKS = [
    pytest.param(con_1, (), "one_clock_for_all", "moving this site's clock moved another site's clock too: \\+", id="contract-1"),
    pytest.param(con_1, (), "other_clocks_thrown_back", "moving this site's clock moved another site's clock too: -", id="contract-1-thrown-back"),
    pytest.param(con_1, (), "own_clock_stands_still", "this site's clock should have moved 259200 s", id="contract-1-own-unmoved"),
    pytest.param(con_2, (), "clock_starts_yesterday", "should start at real time", id="contract-2"),
    pytest.param(con_3, ("that was deleted",), "unknown_site_ok", "should answer 404", id="contract-3-deleted"),
    pytest.param(con_3, ("that was never made",), "unknown_site_ok", "should answer 404", id="contract-3-never-made"),
    pytest.param(con_4, ("without a token",), "no_auth", "should answer 401", id="contract-4-no-token"),
    pytest.param(con_4, ("with a wrong token",), "no_auth", "should answer 401", id="contract-4-wrong-token"),
    pytest.param(con_3, ("that was never made",), "errors_without_detail", "error answer should be JSON", id="contract-3-no-detail"),
    pytest.param(con_4, ("without a token",), "errors_without_detail", "error answer should be JSON", id="contract-4-no-detail"),
]


@pytest.mark.parametrize(("check", "args"), [pytest.param(*check.values[:2], id=check.id) for check in CHECKS])
def test_a_contract_check_passes_where_the_promise_is_kept(make_world: Any, check: Any, args: tuple[str, ...]) -> None:
    check(make_world(), *args)


@pytest.mark.parametrize(("check", "args", "broken", "said"), CHECKS)
def test_a_contract_check_fails_where_the_promise_is_broken(make_world: Any, check: Any, args: tuple[str, ...], broken: str, said: str) -> None:
    with pytest.raises(AssertionError, match=said):
        check(make_world(broken), *args)


def test_the_other_sites_are_deleted_at_the_end_even_one_deleted_already(make_world: Any) -> None:
    world = make_world()
    contract.open_another_site(world.other_sites)
    contract.ask_about_an_unknown_site(world.cast, world.other_sites, "that was deleted")
    world.other_sites.remove_all()
    assert list(world.api.offsets) == [world.site.id]


def test_another_site_the_control_api_does_not_make_is_the_suites_error_not_a_verdict(make_world: Any) -> None:
    world = make_world("one_site_only")
    with pytest.raises(RuntimeError, match="the suite could not make the other site: control API POST /control/sites answered 503") as made:
        contract.another_site_and_both_clocks_read(world.cast, world.other_sites)
    assert not isinstance(made.value, AssertionError)  # an ERROR of the run, never the portal's FAIL
