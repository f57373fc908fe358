"""Articles into an index: split into passages (at most so many per article), each sentence
embedded once, each passage's vector made from its sentences'.

A news article makes a few dozen passages, a long feature a few hundred. A file that would
make thousands (a PDF whose pages share one page tree, repeated thousands of times; a text
of one-word sentences) is no article, and embedding it would cost minutes and hundreds of
megabytes: :func:`split_articles` skips it with the reason, before anything is embedded.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import IndexMismatchError
from ..ingest import dates as date_finder
from ..ingest.passages import split_paged_passages, split_passages
from ..ingest.syndication import shingle_hashes
from ..records import Document, IndexedDocument, Passage
from .passage_vectors import passage_vectors_from_sentences

SPLITTER = {"max_words": 90, "max_sentences": 4, "overlap": 1, "start_in_quotation": False}
MAX_PASSAGES_PER_ARTICLE = 2_000  # the 200,000-character limit of an article's text makes ~700 at most


@dataclass
class SplitArticle:
    """An article and the passages it is split into."""

    document: Document
    passages: list[Passage]


def split_articles(documents: list[Document], max_passages: int = MAX_PASSAGES_PER_ARTICLE
                   ) -> tuple[list[SplitArticle], list[tuple[str, str]]]:
    """Each document with its passages; and (file, reason) for those with more than
    ``max_passages``, which are left out."""
    split, refused = [], []
    for doc in documents:
        passages = (split_paged_passages(doc.doc_id, doc.body, doc.pages, **SPLITTER) if doc.pages
                    else split_passages(doc.doc_id, doc.body, **SPLITTER))
        if len(passages) > max_passages:
            refused.append((doc.source, f"makes {len(passages):,} passages, over the {max_passages:,} limit for "
                                        "one article (a long feature makes a few hundred); split it into "
                                        "separate articles"))
            continue
        split.append(SplitArticle(doc, passages))
    return split, refused


def embed_articles(data, articles: list[SplitArticle], embedder, progress, report, batch_size: int,
                   row_offset: int = 0) -> None:
    """Embed ``articles`` into ``data`` (an :class:`~qa.store.index_files.IndexData`): their
    passages get new ids, their sentences' vectors and their documents' entries; the
    counts go into ``report``. ``row_offset``: the sentence rows before ``data``'s own (an
    update that holds only the new rows, :mod:`qa.store.appending`)."""
    passages, sentence_texts = [], []
    for article in articles:
        doc, doc_passages = article.document, article.passages
        # The article's sentences, each once, in order: the passages cover every sentence and
        # overlapping passages share some (the body is not split into sentences a second time).
        spans = list(dict.fromkeys((p.start + s, p.start + e) for p in doc_passages for s, e in p.sentences))
        first_row = row_offset + data.sentence_vectors.shape[0] + len(sentence_texts)
        row_of = {span: first_row + i for i, span in enumerate(spans)}
        sentence_texts.extend(doc.body[s:e] for s, e in spans)
        # Resolved once per article against its publication date; each passage keeps its own.
        mentions = date_finder.find_dates(doc.body, doc.published, doc.published_note)
        for p in doc_passages:
            p.sentence_rows = [row_of[(p.start + s, p.start + e)] for s, e in p.sentences]
            p.dates = date_finder.dates_within(mentions, p.start, p.end)
            passages.append(p)
        data.documents[doc.doc_id] = IndexedDocument.of(doc, passages=len(doc_passages))
    # Kept with the segment these passages go to: a later build finds copies of these articles there.
    for article, hashes in zip(articles, shingle_hashes([a.document.body for a in articles])):
        data.new_shingles[article.document.doc_id] = hashes
    # Only sentences are embedded: a passage's vector is derived from its sentences'
    # (passage_vectors), so no token goes through the model twice (passages alone held
    # 1.73x the sentences' tokens again).
    total = len(sentence_texts)
    if progress:
        progress(0, total, "embedding")
    sentence_vectors = (
        embedder.encode(sentence_texts, batch_size=batch_size,
                        progress=(lambda done, _t: progress(done, total, "embedding")) if progress else None)
        if sentence_texts else np.zeros((0, data.dimension), dtype=np.float32)
    )
    if sentence_vectors.shape[1] != data.dimension:
        raise IndexMismatchError(
            f"model {embedder.name!r} gives {sentence_vectors.shape[1]}-dimensional vectors, the index holds {data.dimension}; "
            "run `qa index --rebuild`"
        )
    first_row = row_offset + data.sentence_vectors.shape[0]
    passage_vectors = passage_vectors_from_sentences(
        sentence_vectors, [[r - first_row for r in p.sentence_rows] for p in passages],
        [len(t.split()) for t in sentence_texts])  # weighed by words: closest to the passage's own vector
    ids = np.arange(data.next_id, data.next_id + len(passages), dtype=np.int64)
    for pid, passage in zip(ids, passages):
        passage.id = int(pid)
    data.vector_store.add(ids, passage_vectors)
    data.next_id += len(passages)
    data.sentence_vectors = np.concatenate([data.sentence_vectors, sentence_vectors]).astype(np.float32)
    data.passages.extend(passages)
    data.invalidate()
    report.passages_embedded = len(passages)
    report.sentences_embedded = len(sentence_texts)

