"""Fetching a web address: one page, within a deadline, a size cap, http(s) only, and only
from public addresses.

Every refusal is a :class:`FetchError` that says what happened and what to do: no answer
in time, or not all of it within the whole fetch's deadline; an error status; a body over
the size limit; a type that is not a web page (or feed, for :func:`fetch` with
``kinds="feed"``); a redirect to another scheme (``file:``, ``ftp:``), refused before it
is followed; a redirect loop; an address that is not public (loopback, private,
link-local ...: :mod:`qa.ingest.addresses`), checked after the name is resolved and again
on every redirect. How long and how much are a :class:`FetchLimits`. Nothing is written
anywhere here.

Use (it fetches, so it is not run as a doctest)::

    page = fetch("https://example.org/news/story")
    page.url, page.content_type, page.text()   # the address after redirects, "text/html", the page
"""
from __future__ import annotations

import http.client
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import urljoin, urlsplit

from ..errors import FetchError
from .addresses import AddressError, AddressPolicy
from .cleaning import decode_text
from .connections import Deadline, handlers

__all__ = ["FetchError", "FetchLimits", "FetchedPage", "check_address", "fetch"]

USER_AGENT = "qa-news/0.1 (reads one article for a local question-answering index)"
PAGE_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml",
              "text/xml", "application/feed+xml")


@dataclass(frozen=True)
class FetchLimits:
    """How long and how much fetching may take, and from which addresses.

    ``read_timeout_s`` bounds one wait for the server; ``page_deadline_s`` one whole page
    (connecting, redirects, headers, body); ``feed_deadline_s`` one whole feed run (the
    feed and every item's page), which reads at most ``feed_max_items`` items. The address
    policy comes from ``QA_FETCH_ALLOW_PRIVATE`` unless given."""

    read_timeout_s: float = 15.0
    page_deadline_s: float = 30.0
    feed_deadline_s: float = 120.0
    feed_max_items: int = 50
    max_bytes: int = 5 * 1024 * 1024  # the same limit as a file added or uploaded
    max_redirects: int = 5
    addresses: AddressPolicy = field(default_factory=AddressPolicy.from_env)


@dataclass
class FetchedPage:
    """What a web address answered: the final address after redirects, its type and bytes."""

    url: str
    content_type: str
    charset: str
    body: bytes

    def text(self) -> str:
        """The body as text, decoded as a file of the corpus is (:func:`qa.ingest.cleaning.decode_text`),
        the charset the server or the page declares taken into account."""
        return decode_text(self.body, self.url, declared=self.charset)


def check_address(url: str) -> str:
    """``url`` stripped, if it is an http(s) address with a host; :class:`FetchError` otherwise."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(f"{url or '(empty)'} is not a web address; give one that starts with http:// or https://")
    if not parts.hostname:
        raise FetchError(f"{url} has no host name; give a full address such as https://example.org/news/story")
    return url


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows at most ``limit`` redirects, each to http(s) only; a loop is named as one."""

    def __init__(self, limit: int):
        super().__init__()
        self.max_redirections = limit
        self.current = ""

    def http_error_302(self, req, fp, code, msg, headers):
        # urllib refuses some schemes itself, with a message about "Redirection"; every
        # scheme other than http(s) is refused here first, with this one.
        target = urljoin(req.full_url, headers.get("Location") or headers.get("URI") or "")
        if urlsplit(target).scheme.lower() not in ("http", "https"):
            raise FetchError(f"{req.full_url} redirects to {target}, which is not an http(s) address; not followed")
        visited = getattr(req, "redirect_dict", {})
        if visited.get(target) or len(visited) >= self.max_redirections:
            how = (f"redirects in a loop (back to {target})" if visited.get(target)
                   else f"redirects more than {self.max_redirections} times")
            raise FetchError(f"{req.full_url} {how}, so it leads to no page; open the address in a browser to "
                             "find the article's own address, and give that")
        self.current = target  # where a refusal of the address it leads to happened
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def fetch(url: str, kinds: str = "page", limits: FetchLimits | None = None,
          within: Deadline | None = None) -> FetchedPage:
    """GET ``url``; ``kinds`` "page" accepts HTML, "feed" RSS/Atom/XML. Raises FetchError.

    The whole fetch ends within ``limits.page_deadline_s``, and by ``within`` (a feed
    run's deadline) when given."""
    if kinds not in ("page", "feed"):
        raise ValueError(f"kinds must be 'page' or 'feed', not {kinds!r}")
    limits = limits or FetchLimits()
    url = check_address(url)
    accepted = PAGE_TYPES if kinds == "page" else FEED_TYPES
    request = urllib.request.Request(url, headers={
        "User-Agent": USER_AGENT,
        "Accept": ", ".join(accepted) + ", */*;q=0.1",
    })
    with Deadline(limits.page_deadline_s, within=within) as deadline:
        redirects = _CheckedRedirects(limits.max_redirects)
        opener = urllib.request.build_opener(*handlers(limits.addresses, deadline, limits.read_timeout_s), redirects)
        try:
            with opener.open(request, timeout=limits.read_timeout_s) as response:
                page = _read(url, response, kinds, accepted, limits.max_bytes)
        except (FetchError, OSError, ValueError, http.client.HTTPException) as exc:  # ours, urllib's, a bad answer
            if deadline.passed():  # whatever the cut-off connection then looked like
                raise _too_slow(url, deadline) from exc
            if isinstance(exc, AddressError):
                where = f"{url} redirects to {redirects.current}" if redirects.current else url
                raise AddressError(f"{where}: {exc}") from exc
            if isinstance(exc, FetchError):
                raise
            raise _failure(url, exc, limits.read_timeout_s) from exc
        if deadline.expired:  # a body that ended with the connection, shut by the deadline
            raise _too_slow(url, deadline)
    return page


def _read(url: str, response, kinds: str, accepted: tuple[str, ...], max_bytes: int) -> FetchedPage:
    headers: Message = response.headers
    content_type = headers.get_content_type()
    if content_type not in accepted and not (kinds == "feed" and content_type.endswith("+xml")):
        what = "web page (HTML)" if kinds == "page" else "feed (RSS or Atom)"
        hint = ("download it and add the file" if kinds == "page"
                else "give the feed's own address (it usually ends in /rss, /feed or .xml)")
        raise FetchError(f"{url} is not a {what}: the server sent {content_type}; {hint}")
    length = headers.get("Content-Length")
    limit = f"{max_bytes // (1024 * 1024)} MB"
    if length and length.isdigit() and int(length) > max_bytes:
        raise FetchError(f"{url} is {int(length) / 1e6:.1f} MB, over the {limit} limit for an article; save "
                         "the article's text and add that")
    body = bytearray()
    while len(body) <= max_bytes:
        chunk = response.read1(65536)  # returns what one read brings: the deadline is checked between reads
        if not chunk:
            break
        body += chunk
    if len(body) > max_bytes:
        raise FetchError(f"{url} sent more than {limit}, over the {limit} limit for an article; save the "
                         "article's text and add that")
    return FetchedPage(url=response.geturl(), content_type=content_type,
                       charset=headers.get_content_charset() or "", body=bytes(body))


def _too_slow(url: str, deadline: Deadline) -> FetchError:
    return FetchError(f"{url} did not send the whole page within {deadline.seconds:g} s (the limit for one "
                      "fetch); try again later, or save the page and add the file")


def _failure(url: str, exc: Exception, read_timeout: float) -> FetchError:
    """The FetchError for what urllib or the connection raised."""
    reason = exc.reason if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError) \
        else exc
    if isinstance(reason, FetchError):
        return reason
    if isinstance(exc, urllib.error.HTTPError):
        return FetchError(f"{url}: the server answered {exc.code} {exc.reason}; "
                          + ("check the address" if 400 <= exc.code < 500 else "try again later"))
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return FetchError(f"{url} did not answer within {read_timeout:g} s; try again later, or save the page "
                          "and add the file")
    if isinstance(exc, urllib.error.URLError):
        return FetchError(f"{url} cannot be reached ({reason}); check the address and the connection")
    # A connection reset mid-body, a malformed answer
    return FetchError(f"{url} could not be read ({type(exc).__name__}: {exc}); try again later")
