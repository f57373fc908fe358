"""A fetch reads only public addresses: loopback, private, link-local and other non-public
addresses are refused by default, after the name is resolved and again on every redirect,
for addresses given to `qa add`, the web page and feeds' item links alike.
``QA_FETCH_ALLOW_PRIVATE`` opts in. The "internal" server is a second loopback address,
127.0.0.2, on this machine: nothing leaves it."""
from __future__ import annotations

import pytest

from conftest import local_site
from qa.cli import main
from qa.errors import FetchError
from qa.ingest.addresses import AddressPolicy
from qa.ingest.feeds import add_feed
from test_fetch_limits import HTML, PAGE

SECRET = (b"<html><head><title>Internal notes</title></head><body><article><h1>Internal notes</h1>"
          b"<p>The database password is hunter2, and the admin console is open to every machine here.</p>"
          b"<p>Do not share these notes outside the building, since they describe the internal systems.</p>"
          b"</article></body></html>")


@pytest.mark.parametrize("address, kind", [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
    ("::ffff:127.0.0.1", "loopback"), ("2002:7f00:1::", "loopback"),  # IPv4-mapped and 6to4 forms
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("fc00::1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("224.0.0.1", "multicast"), ("100.64.0.1", "non-public"), ("240.0.0.1", "reserved"),
])
def test_non_public_addresses_are_refused_by_default(address, kind):
    assert kind in AddressPolicy().refusal(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert AddressPolicy().refusal(address) == ""


def test_the_opt_in_allows_all_or_the_networks_it_lists():
    assert AddressPolicy.from_env("1").refusal("10.1.2.3") == ""
    listed = AddressPolicy.from_env("10.1.0.0/16, 127.0.0.1")
    assert listed.refusal("10.1.200.7") == "" and listed.refusal("127.0.0.1") == ""
    assert "private" in listed.refusal("10.2.0.1") and "loopback" in listed.refusal("127.0.0.2")
    assert AddressPolicy.from_env("0").refusal("127.0.0.1") and AddressPolicy.from_env("").refusal("127.0.0.1")
    with pytest.raises(FetchError, match="QA_FETCH_ALLOW_PRIVATE='intranet': 'intranet' is not an address"):
        AddressPolicy.from_env("intranet")


@pytest.fixture
def internal():
    """The "internal" server, on 127.0.0.2, holding a secret page."""
    with local_site({"/internal/secret": (200, HTML, SECRET)}, host="127.0.0.2") as (base, site):
        yield base, site


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "2130706433"])  # the last: 127.0.0.1 as one number
def test_qa_add_refuses_this_machine_by_default(env, tiny_corpus, monkeypatch, capsys, host):
    monkeypatch.delenv("QA_FETCH_ALLOW_PRIVATE", raising=False)
    with local_site({"/ferry": (200, HTML, PAGE)}) as (base, site):
        port = base.rsplit(":", 1)[1]
        assert main(["add", f"http://{host}:{port}/ferry"]) == 1
        assert site.requests == []  # refused before connecting
    err = capsys.readouterr().err
    assert "is a loopback address; qa fetches only from public addresses" in err, err
    assert "set QA_FETCH_ALLOW_PRIVATE=1" in err and "Traceback" not in err
    assert sorted(p.name for p in tiny_corpus.iterdir()) == ["harbour.md", "library.md"]


def test_a_redirect_to_an_internal_address_is_refused_before_it_is_followed(env, tiny_corpus, monkeypatch, capsys,
                                                                          internal):
    internal_base, internal_site = internal
    monkeypatch.setenv("QA_FETCH_ALLOW_PRIVATE", "127.0.0.1")  # the "public" site only
    with local_site({"/story": (302, {"Location": f"{internal_base}/internal/secret"}, b"")}) as (base, _):
        assert main(["add", f"{base}/story"]) == 1
    err = capsys.readouterr().err
    assert f"{base}/story redirects to {internal_base}/internal/secret: 127.0.0.2 is a loopback address" in err, err
    assert internal_site.requests == []
    assert sorted(p.name for p in tiny_corpus.iterdir()) == ["harbour.md", "library.md"]


def test_the_web_page_refuses_it_too(tmp_path, tiny_corpus, monkeypatch, internal):
    from qa.web import ChatService

    internal_base, internal_site = internal
    monkeypatch.setenv("QA_MODEL", "hash:64")
    monkeypatch.delenv("QA_FETCH_ALLOW_PRIVATE", raising=False)
    service = ChatService(tiny_corpus, tmp_path / "index")
    report = service.add_address(f"{internal_base}/internal/secret")
    assert report.startswith("- **Not added:**") and "loopback" in report
    assert internal_site.requests == []
    assert "hunter2" not in service.reply("what is the database password?", [])


def test_a_feeds_item_link_to_an_internal_address_is_skipped(tmp_path, monkeypatch, internal):
    internal_base, internal_site = internal
    monkeypatch.setenv("QA_FETCH_ALLOW_PRIVATE", "127.0.0.1")
    feed = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
            f"<item><title>Notes</title><link>{internal_base}/internal/secret</link></item>"
            f"</channel></rss>").encode()
    with local_site({"/feed.xml": (200, {"Content-Type": "application/rss+xml"}, feed)}) as (base, _):
        report = add_feed(f"{base}/feed.xml", tmp_path / "corpus")
    assert report.added == [] and len(report.skipped) == 1
    assert "127.0.0.2 is a loopback address" in report.skipped[0][1]
    assert internal_site.requests == []


def test_with_the_opt_in_the_redirect_is_followed(env, tiny_corpus, monkeypatch, capsys, internal):
    internal_base, internal_site = internal
    monkeypatch.setenv("QA_FETCH_ALLOW_PRIVATE", "1")
    with local_site({"/story": (302, {"Location": f"{internal_base}/internal/secret"}, b"")}) as (base, _):
        assert main(["add", f"{base}/story"]) == 0
    assert internal_site.requests == ["/internal/secret"]
    assert "fetched" in capsys.readouterr().out
