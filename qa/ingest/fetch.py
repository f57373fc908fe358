"""Fetching a web address: one page, with a time limit, a size cap and only http(s).

Every refusal is a :class:`FetchError` that says what happened and what to do: no answer
in time, an error status, a body over the size limit, a type that is not a web page (or
feed, for :func:`fetch` with ``kinds="feed"``), or a redirect to another scheme (``file:``,
``ftp:``), which is refused before it is followed. Nothing is written anywhere here.

Use (it fetches, so it is not run as a doctest)::

    page = fetch("https://example.org/news/story")
    page.url, page.content_type, page.text()   # the address after redirects, "text/html", the page
"""
from __future__ import annotations

import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urljoin, urlsplit

from ..errors import QAError

TIMEOUT_S = 15.0
MAX_BYTES = 5 * 1024 * 1024  # the same limit as a file added or uploaded
MAX_REDIRECTS = 5
USER_AGENT = "qa-news/0.1 (reads one article for a local question-answering index)"
PAGE_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml",
              "text/xml", "application/feed+xml")


class FetchError(QAError):
    """A web address could not be fetched as an article or feed; the message says why."""


@dataclass
class FetchedPage:
    """What a web address answered: the final address after redirects, its type and bytes."""

    url: str
    content_type: str
    charset: str
    body: bytes

    def text(self) -> str:
        try:
            return self.body.decode(self.charset or "utf-8")
        except (LookupError, UnicodeDecodeError):
            return self.body.decode("utf-8", errors="replace")


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
    """Follows at most MAX_REDIRECTS redirects, each to http(s) only."""

    max_redirections = MAX_REDIRECTS

    def http_error_302(self, req, fp, code, msg, headers):
        # urllib refuses some schemes itself, with a message about "Redirection"; every
        # scheme other than http(s) is refused here first, with this one.
        target = urljoin(req.full_url, headers.get("Location") or headers.get("URI") or "")
        if urlsplit(target).scheme.lower() not in ("http", "https"):
            raise FetchError(f"{req.full_url} redirects to {target}, which is not an http(s) address; not followed")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        target = urljoin(req.full_url, newurl)
        if urlsplit(target).scheme.lower() not in ("http", "https"):
            raise FetchError(f"{req.full_url} redirects to {target}, which is not an http(s) address; not followed")
        return super().redirect_request(req, fp, code, msg, headers, target)


def fetch(url: str, kinds: str = "page", timeout: float = TIMEOUT_S, max_bytes: int = MAX_BYTES) -> FetchedPage:
    """GET ``url``; ``kinds`` "page" accepts HTML, "feed" RSS/Atom/XML. Raises FetchError."""
    if kinds not in ("page", "feed"):
        raise ValueError(f"kinds must be 'page' or 'feed', not {kinds!r}")
    url = check_address(url)
    accepted = PAGE_TYPES if kinds == "page" else FEED_TYPES
    opener = urllib.request.build_opener(_CheckedRedirects())
    request = urllib.request.Request(url, headers={
        "User-Agent": USER_AGENT,
        "Accept": ", ".join(accepted) + ", */*;q=0.1",
    })
    try:
        with opener.open(request, timeout=timeout) as response:
            final = response.geturl()
            headers: Message = response.headers
            content_type = headers.get_content_type()
            if content_type not in accepted and not (kinds == "feed" and content_type.endswith("+xml")):
                what = "web page (HTML)" if kinds == "page" else "feed (RSS or Atom)"
                hint = ("download it and add the file" if kinds == "page"
                        else "give the feed's own address (it usually ends in /rss, /feed or .xml)")
                raise FetchError(f"{url} is not a {what}: the server sent {content_type}; {hint}")
            length = headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise FetchError(f"{url} is {int(length) / 1e6:.1f} MB, over the {max_bytes // (1024 * 1024)} MB "
                                 "limit for an article; save the article's text and add that")
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise FetchError(f"{url} sent more than {max_bytes // (1024 * 1024)} MB, over the "
                                 f"{max_bytes // (1024 * 1024)} MB limit for an article; save the article's text "
                                 "and add that")
            return FetchedPage(url=final, content_type=content_type,
                               charset=headers.get_content_charset() or "", body=body)
    except FetchError:
        raise
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url}: the server answered {exc.code} {exc.reason}; "
                         + ("check the address" if 400 <= exc.code < 500 else "try again later")) from exc
    except (socket.timeout, TimeoutError) as exc:
        raise FetchError(f"{url} did not answer within {timeout:g} s; try again later, or save the page "
                         "and add the file") from exc
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            raise FetchError(f"{url} did not answer within {timeout:g} s; try again later, or save the page "
                             "and add the file") from exc
        if isinstance(reason, FetchError):
            raise reason from exc
        raise FetchError(f"{url} cannot be reached ({reason}); check the address and the connection") from exc
    except (OSError, ValueError) as exc:  # a connection reset mid-body, a malformed answer
        raise FetchError(f"{url} could not be read ({type(exc).__name__}: {exc}); try again later") from exc
