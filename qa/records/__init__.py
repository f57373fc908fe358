"""The typed records that flow between the layers, from reader to reply:

- articles (:mod:`.articles`): an article as read (:class:`Document`) and as the index keeps
  it (:class:`IndexedDocument`), where a text comes from (:class:`Source`), a passage as the
  index keeps it (:class:`Passage`), a date found in a text (:class:`DateMention`);
- answers (:mod:`.answers`): a passage as ranking returns it with its citation (:class:`Hit`)
  and an answer (:class:`Answer`);
- events (:mod:`.events`): a sentence that dates a happening (:class:`Citation`), a date
  some sources give (:class:`DateClaim`), one happening (:class:`Event`).

>>> doc = Document(doc_id="a", title="Notice closed", body="It closed.", publisher="Coast Times",
...                published="2018-07-23", source="a.md", sha256="0f")
>>> entry = IndexedDocument.of(doc, passages=1)
>>> entry.title, entry.published, entry.file
('Notice closed', '2018-07-23', 'a.md')
>>> IndexedDocument.from_json(entry.to_json()) == entry
True
>>> p = Passage(passage_id="a#p0", doc_id="a", text="It closed. In May.", start=0, end=18,
...             sentences=[(0, 10), (11, 18)])
>>> Passage.from_json(p.to_json()) == p
True
>>> hit = Hit(passage_id="a#p0", doc_id="a", text="The notice was closed.", score=0.8,
...           source=Source(title="Notice closed", publisher="Coast Times"), start=0, end=22, highlight=(0, 22))
>>> hit.title, hit.highlight_text
('Notice closed', 'The notice was closed.')
"""
from .answers import Answer, Hit
from .articles import (CITATION_FIELDS, PUBLISHED_SOURCES, SOURCE_FIELDS, Cited, DateMention, Document,
                       IndexedDocument, Passage, Source)
from .events import Citation, DateClaim, Event, short_publisher

__all__ = ["Answer", "CITATION_FIELDS", "Citation", "Cited", "DateClaim", "DateMention", "Document", "Event", "Hit",
           "IndexedDocument", "PUBLISHED_SOURCES", "Passage", "SOURCE_FIELDS", "Source", "short_publisher"]
