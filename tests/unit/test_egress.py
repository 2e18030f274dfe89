"""Where webhooks may go: public addresses only, whatever spelling hides a private one."""

from __future__ import annotations

import pytest

from workorders.domain.egress import RefusedUrl, literal_address, parse, refusal


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("2130706433", "loopback"),  # decimal
        ("0177.0.0.1", "loopback"),  # octal
        ("0x7f.0.0.1", "loopback"),  # hex
        ("127.1", "loopback"),  # shortened
        ("[::1]", "loopback"),
        ("[::ffff:127.0.0.1]", "loopback"),  # IPv4-mapped
        ("[2002:7f00:1::]", "loopback"),  # 6to4 around 127.0.0.1
        ("10.0.0.1", "private"),
        ("012.0.0.1", "private"),  # octal 10.0.0.1
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "private"),  # carrier-grade NAT
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("[fe80::1]", "link-local"),
        ("[fd00::1]", "unique-local"),
        ("0.0.0.0", "private"),
        ("224.0.0.1", "multicast"),
    ],
)
def test_non_public_addresses_are_refused_in_any_spelling(host: str, kind: str) -> None:
    address = literal_address(host)
    assert address is not None
    reason = refusal(address)
    assert reason is not None
    assert kind in reason


@pytest.mark.parametrize(
    "host", ["8.8.8.8", "134744072", "[2001:4860:4860::8888]", "[::ffff:8.8.8.8]"]
)
def test_public_addresses_pass(host: str) -> None:
    address = literal_address(host)
    assert address is not None
    assert refusal(address) is None


def test_names_are_left_to_the_resolver() -> None:
    assert literal_address("hooks.example.com") is None


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.com/x", "http and https"),
        ("file:///etc/passwd", "http and https"),
        ("https:///nohost", "no host"),
        ("https://user:secret@example.com/", "credentials"),
        ("http://example.com:99999/", "not a valid URL"),
    ],
)
def test_only_plain_http_urls_are_accepted(url: str, why: str) -> None:
    with pytest.raises(RefusedUrl, match=why):
        parse(url)


def test_a_good_url_parses() -> None:
    assert parse("https://hooks.example.com:8443/in?x=1").hostname == "hooks.example.com"
