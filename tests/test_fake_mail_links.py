"""fake_mail.links: anchors with their text, bare URLs in text."""

from __future__ import annotations

from fake_mail.links import Link, anchors, bare_urls, find_links


def test_anchors_keep_their_text_with_whitespace_collapsed() -> None:
    html = '<p>Hi</p><a href="https://portal.example/invite?a=1&amp;b=2">\n  Accept <b>your</b>\n invitation </a>'
    assert anchors(html) == [Link("https://portal.example/invite?a=1&b=2", "Accept your invitation")]


def test_anchors_without_href_or_closing_tag() -> None:
    html = '<a name="top">no link</a><a href="/one">One<a href="/two">Two'
    assert anchors(html) == [Link("/one", "One"), Link("/two", "Two")]


def test_bare_urls_drop_sentence_punctuation() -> None:
    text = "Open https://portal.example/login/abc. Or (see https://portal.example/help), or <https://x.example/a_(b)>!"
    assert bare_urls(text) == [
        "https://portal.example/login/abc",
        "https://portal.example/help",
        "https://x.example/a_(b)",
    ]


def test_find_links_lists_anchors_first_and_skips_repeats_of_them() -> None:
    text = "Accept: https://portal.example/i/1\nHelp: https://portal.example/help\n"
    html = '<a href="https://portal.example/i/1">Accept</a>'
    assert find_links(text, html) == [
        Link("https://portal.example/i/1", "Accept"),
        Link("https://portal.example/help", ""),
    ]


def test_find_links_of_nothing() -> None:
    assert find_links(None, None) == []
