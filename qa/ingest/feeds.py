"""RSS and Atom feeds: every item not yet in the corpus becomes an article.

An item is fetched from its link and read like any web page (:mod:`qa.ingest.adding`);
when the page cannot be fetched or read, the item's own content is used if it holds an
article (a feed that carries full text), else the item is skipped with the reason. An
item whose address or text is already in the corpus is skipped, so running the same feed
again adds nothing. The feed's date for an item is used only when its page states none
(``published_source: feed``).

Use (it fetches, so it is not run as a doctest)::

    report = add_feed("https://example.org/news/rss", "corpus")
    print(report.summary())      # added/skipped per item, then the counts
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import QAError
from .adding import AlreadyInCorpus, ArticleRefused, known_articles, normal_url, store_web_article, web_article
from .fetch import FetchError, fetch
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


def add_feed(feed_url: str, corpus_dir, fetcher=None, put=None) -> FeedReport:
    """Add every item of the feed at ``feed_url`` that the corpus lacks; the report.

    Raises :class:`FetchError` when the feed itself cannot be fetched or is not a feed.
    ``put`` writes each file (see :func:`qa.ingest.adding.store_article`).
    """
    import feedparser

    fetcher = fetcher or fetch
    page = fetcher(feed_url, kinds="feed")
    parsed = feedparser.parse(page.body)
    if not parsed.entries and (parsed.bozo or not parsed.get("feed")):
        raise FetchError(f"{feed_url} is not a readable RSS or Atom feed ({parsed.get('bozo_exception', 'no items')}); "
                         "check the address")
    report = FeedReport(feed=feed_url, title=" ".join(str(parsed.feed.get("title", "")).split()))
    by_url, by_text = known_articles(corpus_dir)
    for entry in parsed.entries:
        label = " ".join(str(entry.get("title") or entry.get("link") or "(untitled item)").split())[:120]
        link = str(entry.get("link") or "").strip()
        if link and normal_url(link) in by_url:
            report.skipped.append((label, f"already in the corpus as {by_url[normal_url(link)]}"))
            continue
        try:
            article = _item_article(entry, link, fetcher)
        except QAError as exc:
            report.skipped.append((label, str(exc)))
            continue
        key = duplicate_key(article.document.body, article.document.publisher)
        if key in by_text:
            report.skipped.append((label, f"same text and publisher as {by_text[key]}, already in the corpus"))
            continue
        try:
            path = store_web_article(article, corpus_dir, put=put)
        except (ArticleRefused, AlreadyInCorpus) as exc:
            report.skipped.append((label, str(exc)))
            continue
        report.added.append(path)
        by_text[key] = path.name
        if link:
            by_url[normal_url(link)] = path.name
    return report


def _item_article(entry, link: str, fetcher):
    published = ""
    parsed_time = entry.get("published_parsed") or entry.get("updated_parsed")
    if parsed_time:
        published = time.strftime("%Y-%m-%d", parsed_time)
    problem = None
    if link:
        try:
            page = fetcher(link)
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
