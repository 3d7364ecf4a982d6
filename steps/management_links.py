"""Steps about the management link as the merchant reads it through the control API."""

from __future__ import annotations

from pytest_bdd import given, step, then, when

from .phrases import phrase
from .screenplay.cast import Cast
from .screenplay.questions import TheLastManagementLinkRead, TheManagementUrl
from .screenplay.tasks import ReadTheManagementUrl

# What "the same" and "a new" management URL must be, set against the one she kept.
HANDED = {
    "the same": (lambda url, kept: url == kept, "the management URL should still be {kept}, not {url}"),
    "a new": (lambda url, kept: url != kept, "a new management URL should be handed out, but it is still {kept}"),
}


@given(phrase(r"the merchant read {WHOSE} management URL (?P<times>\d+) times"))
def _(cast: Cast, times: str) -> None:
    """The merchant read the customer's management URL through the control API that many times."""
    cast.merchant.attempts_to(*[ReadTheManagementUrl(cast["she"])] * int(times))
    cast.merchant.remember("first management URL", cast.merchant.asks(TheLastManagementLinkRead())[1]["url"])


@when(phrase(r"the merchant reads {WHOSE} management URL again"))
def _(cast: Cast) -> None:
    """The merchant reads the customer's management URL once more (the portal may refuse: 429)."""
    cast.merchant.attempts_to(ReadTheManagementUrl(cast["she"], expect=(200, 429)))


@step(phrase(r"the merchant is handed (?P<which>the same|a new) management URL"))
def _(cast: Cast, which: str) -> None:
    """Read the link now and set it against the one she kept from her email."""
    cast.merchant.attempts_to(ReadTheManagementUrl(cast["she"]))
    url, kept = cast.merchant.asks(TheLastManagementLinkRead())[1]["url"], cast["she"].recall("kept management URL")
    assert HANDED[which][0](url, kept), HANDED[which][1].format(url=url, kept=kept)


@given(phrase(r"the merchant was handed a new management URL"))
def _(cast: Cast) -> None:
    """The merchant read the management link, and it is no longer the one her emails hold."""
    cast.merchant.attempts_to(ReadTheManagementUrl(cast["she"]))
    emailed = cast["she"].asks(TheManagementUrl())
    assert cast.merchant.asks(TheLastManagementLinkRead())[1]["url"] != emailed, f"a new management URL should be handed out, but it is still {emailed}"


@then(phrase(r"the merchant is told it was read too often"))
def _(cast: Cast) -> None:
    """The last read of the management URL was refused as too frequent (429)."""
    status, answer = cast.merchant.asks(TheLastManagementLinkRead())
    assert status == 429, f"the 16th read before a new link is available should be refused with 429, not {status}: {answer}"


@then(phrase(r"the merchant is answered with a new management URL"))
def _(cast: Cast) -> None:
    """The last read of the management URL answered a URL other than before (the one the merchant
    read first, else the read before it, else the one her emails hold)."""
    (status, answer), first = cast.merchant.asks(TheLastManagementLinkRead()), cast.merchant.recall("first management URL", None)
    if first is None:
        before = cast.merchant.recall("management link read before", None)
        first = before[1]["url"] if before and before[0] == 200 else cast["she"].asks(TheManagementUrl())
    assert status == 200, f"once a new link is available, reading it should succeed, not answer {status}: {answer}"
    assert answer["url"] != first, f"the read should hand out a new management URL, not {first} again"


@then(phrase(r"the merchant is answered with the same management URL"))
def _(cast: Cast) -> None:
    """The last read answered the URL the read before it did (or, with none before, the one her emails hold)."""
    (status, answer), before = cast.merchant.asks(TheLastManagementLinkRead()), cast.merchant.recall("management link read before", None)
    known = before[1]["url"] if before and before[0] == 200 else cast["she"].asks(TheManagementUrl())
    assert status == 200, f"reading the management URL should succeed, not answer {status}: {answer}"
    assert answer["url"] == known, f"the same management URL should be handed out until it is renewed: {known}, not {answer['url']}"
