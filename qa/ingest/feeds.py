"""RSS and Atom feeds: every item not yet in the corpus becomes an article.

An item is fetched from its link and read like any web page (:mod:`qa.ingest.adding`);
when the page cannot be fetched or read, the item's own content is used if it holds an
article (a feed that carries full text), else the item is skipped with the reason. An
item whose address or text is already in the corpus is skipped, so running the same feed
again adds nothing. The feed's date for an item is used only when its page states none
(``published_source: feed``).

A run is bounded (:class:`~qa.ingest.fetch.FetchLimits`): it fetches at most
``feed_max_items`` items' pages and ends by ``feed_deadline_s``; the items it did not get
to are skipped with that reason and are read by the next run. Fetching
(:func:`read_feed`) writes nothing and is done before any lock is taken; storing
(:func:`store_feed`) checks again against the corpus as it is then.

Use (it fetches, so it is not run as a doctest)::

    report = add_feed("https://example.org/news/rss", "corpus")
    print(report.summary())      # added/skipped per item, then the counts
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import QAError
from .adding import (AlreadyInCorpus, ArticleRefused, WebArticle, known_articles, normal_url, store_web_article,
                     web_article)
from .connections import Deadline
from .fetch import FetchError, FetchLimits, fetch
from .syndication import duplicate_key

MIN_ITEM_WORDS = 40  # an item's own content shorter than this is a teaser, not the article


@dataclass
class FeedReport:
    """What one run over a feed did: stored files, and (item, reason) for those skipped."""

    feed: str
    title: str = ""
    added: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"added     {path.name}" for path in self.added]
        lines += [f"skipped   {item}: {reason}" for item, reason in self.skipped]
        lines.append(f"feed {self.title or self.feed}: {len(self.added)} added, {len(self.skipped)} skipped")
        return "\n".join(lines)


@dataclass
class FeedItem:
    """One item read from a feed: its label for messages, its link, its article."""

    label: str
    link: str
    article: WebArticle


@dataclass
class FetchedFeed:
    """A feed's items as fetched and read, nothing stored yet; ``report`` names the feed and
    holds the items skipped so far, and :func:`store_feed` completes it."""

    report: FeedReport
    items: list[FeedItem] = field(default_factory=list)


def add_feed(feed_url: str, corpus_dir, put=None, limits: FetchLimits | None = None) -> FeedReport:
    """Add every item of the feed at ``feed_url`` that the corpus lacks; the report.

    Raises :class:`FetchError` when the feed itself cannot be fetched or is not a feed.
    ``put`` writes each file (see :func:`qa.ingest.adding.store_article`).
    """
    return store_feed(read_feed(feed_url, corpus_dir, limits), corpus_dir, put=put)


def read_feed(feed_url: str, corpus_dir, limits: FetchLimits | None = None) -> FetchedFeed:
    """Fetch the feed and the pages of its items that the corpus lacks, within the limits;
    nothing is written. Raises :class:`FetchError` when the feed itself cannot be had."""
    import feedparser

    limits = limits or FetchLimits()
    with Deadline(limits.feed_deadline_s) as run:
        page = fetch(feed_url, kinds="feed", limits=limits, within=run)
        parsed = feedparser.parse(page.body)
        if not parsed.entries and (parsed.bozo or not parsed.get("feed")):
            raise FetchError(f"{feed_url} is not a readable RSS or Atom feed "
                             f"({parsed.get('bozo_exception', 'no items')}); check the address")
        fetched = FetchedFeed(FeedReport(feed=feed_url, title=" ".join(str(parsed.feed.get("title", "")).split())))
        by_url, _ = known_articles(corpus_dir)
        read = 0
        for entry in parsed.entries:
            label = " ".join(str(entry.get("title") or entry.get("link") or "(untitled item)").split())[:120]
            link = str(entry.get("link") or "").strip()
            if link and normal_url(link) in by_url:
                fetched.report.skipped.append((label, f"already in the corpus as {by_url[normal_url(link)]}"))
                continue
            if read >= limits.feed_max_items or run.passed():
                fetched.report.skipped.append((label, _not_read(limits, by_time=read < limits.feed_max_items)))
                continue
            read += 1
            try:
                article = _item_article(entry, link, limits, run)
            except QAError as exc:
                fetched.report.skipped.append((label, _not_read(limits, by_time=True) if run.passed() else str(exc)))
                continue
            fetched.items.append(FeedItem(label, link, article))
    return fetched


def _not_read(limits: FetchLimits, by_time: bool) -> str:
    if by_time:
        return (f"not read: the run's time limit of {limits.feed_deadline_s:g} s was used up; add the feed "
                "again for the rest")
    return f"not read: one run reads at most {limits.feed_max_items} new items; add the feed again for the rest"


def store_feed(fetched: FetchedFeed, corpus_dir, put=None) -> FeedReport:
    """Store the items of ``fetched`` that the corpus still lacks (by address and by text)."""
    report = fetched.report
    by_url, by_text = known_articles(corpus_dir)
    for item in fetched.items:
        if item.link and normal_url(item.link) in by_url:
            report.skipped.append((item.label, f"already in the corpus as {by_url[normal_url(item.link)]}"))
            continue
        key = duplicate_key(item.article.document.body, item.article.document.publisher)
        if key in by_text:
            report.skipped.append((item.label, f"same text and publisher as {by_text[key]}, already in the corpus"))
            continue
        try:
            path = store_web_article(item.article, corpus_dir, put=put)
        except (ArticleRefused, AlreadyInCorpus) as exc:
            report.skipped.append((item.label, str(exc)))
            continue
        report.added.append(path)
        by_text[key] = path.name
        if item.link:
            by_url[normal_url(item.link)] = path.name
    return report


def _item_article(entry, link: str, limits: FetchLimits, run: Deadline) -> WebArticle:
    published = ""
    parsed_time = entry.get("published_parsed") or entry.get("updated_parsed")
    if parsed_time:
        published = time.strftime("%Y-%m-%d", parsed_time)
    problem = None
    if link:
        try:
            page = fetch(link, limits=limits, within=run)
            return web_article(page.url, page.text(), published, "feed" if published else "")
        except QAError as exc:
            problem = exc
    content = entry.get("content") or []
    html_text = content[0].get("value", "") if content else entry.get("summary", "")
    if len(html_text.split()) >= MIN_ITEM_WORDS:
        title = entry.get("title", "")
        page = f"<html><head><title>{_escape(title)}</title></head><body><article><h1>{_escape(title)}</h1>" \
               f"{html_text}</article></body></html>"
        return web_article(link, page, published, "feed" if published else "")
    if problem is not None:
        raise problem
    raise ArticleRefused("the item has no link and no article text of its own")


def _escape(text: str) -> str:
    import html

    return html.escape(str(text or ""), quote=True)
