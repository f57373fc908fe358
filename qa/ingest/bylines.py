"""Bylines: who wrote an article and, when the byline says it, for which publication.

A byline names its writer in a few common shapes, several of which name the paper too:

>>> read_byline("By Jane Porter, Millbrook Gazette")
Byline(author='Jane Porter', publisher='Millbrook Gazette', marked=True)
>>> read_byline("Jane Porter | Millbrook Gazette").publisher
'Millbrook Gazette'
>>> read_byline("By Jane Porter for the Millbrook Gazette").publisher
'Millbrook Gazette'
>>> read_byline("Millbrook Gazette reporter Jane Porter").author
'Jane Porter'
>>> read_byline("By Jane Smith, Local Democracy Reporter")  # a role, not a paper
Byline(author='Jane Smith', publisher='', marked=True)
>>> read_byline("by the end of the year the council must act") is None
True

``marked`` says that the line shows itself a byline ("By ...", a "|" between name and
paper, "PAPER reporter NAME", "NAME for PAPER"); an unmarked one ("Jane Porter", "Jane
Porter, Millbrook Gazette") is taken as a byline only when a dateline follows it
(:func:`qa.ingest.metadata.read_head`), since a short line alone may be the first line of
the text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Byline:
    """A writer's name and the publication the byline names ('' when it names none)."""

    author: str
    publisher: str = ""
    marked: bool = False


# A name: capitalised words ("Neil Puffett", "Sarah O'Neill", "J. R. Hartley"), with the
# particles of names between them ("Ana de Souza"); two writers joined by "and" or "&".
_NAME_WORD = r"[A-Z][\w'\u2019.-]*"
_PARTICLE = r"(?:de|da|di|del|der|den|van|von|le|la|du|bin|al|ap)"
_NAME = rf"{_NAME_WORD}(?:\s+(?:{_PARTICLE}\s+)?{_NAME_WORD}){{0,4}}"
_NAMES = rf"{_NAME}(?:\s+(?:and|&)\s+{_NAME})?"
# A publication: capitalised words with the small words of titles between them ("Your Local
# Guardian", "Children & Young People Now", "Stoke-on-Trent Live"), "the" allowed in front.
_TITLE_WORD = r"[A-Z0-9][\w'\u2019.&-]*"
_PUBLICATION = rf"(?:[Tt]he\s+)?{_TITLE_WORD}(?:\s+(?:(?:of|and|&|on|upon|in|the|for)\s+)*{_TITLE_WORD}){{0,7}}"
_BY = r"(?:[Ww]ritten\s+)?(?:By|BY|by)(?::\s*|\s+)"

_NAME_THEN_REST = re.compile(rf"(?P<by>{_BY})?(?P<names>{_NAMES})(?P<rest>(?:\s*[,|]\s*[^,|]+)*)")
_NAME_FOR_PAPER = re.compile(rf"(?P<by>{_BY})?(?P<names>{_NAMES})\s+for\s+(?P<paper>{_PUBLICATION})")
# What a writer is rather than where: "Local Democracy Reporter", "Political Editor".
_ROLE_WORDS = frozenset(
    "reporter reporters correspondent editor writer journalist columnist contributor staff photographer "
    "producer presenter analyst critic intern freelance freelancer commentator chief senior democracy "
    "team desk".split())
_ROLE = re.compile(r"\b(?:" + "|".join(sorted(_ROLE_WORDS)) + r")\b", re.IGNORECASE)
_PAPER_THEN_ROLE = re.compile(
    rf"(?P<paper>{_PUBLICATION})\s+(?P<role>(?:[a-z]+\s+){{0,3}}(?:reporter|correspondent|editor|writer|journalist))"
    rf"\s+(?P<names>{_NAMES})")


def read_byline(line: str) -> Byline | None:
    """The byline in ``line`` ("By NAME", "By NAME, PUBLICATION", "NAME | PUBLICATION",
    "NAME for PUBLICATION", "PUBLICATION reporter NAME", with or without "By"); None when
    the line is not one."""
    line = " ".join(line.split()).rstrip(".")
    if not line or len(line) > 160 or re.search(r"[!?;\"\u201c\u201d]", line):
        return None
    match = _PAPER_THEN_ROLE.fullmatch(line)
    if match and not _ROLE.search(match.group("paper")):
        return Byline(match.group("names"), match.group("paper"), marked=True)
    match = _NAME_FOR_PAPER.fullmatch(line)
    if match and not _ROLE.search(match.group("paper")):
        # "Jane Porter for Millbrook Gazette": a person's two or three names, then the paper.
        person = 2 <= len(match.group("names").split()) <= 3
        return Byline(match.group("names"), _paper(match.group("paper")), marked=bool(match.group("by")) or person)
    match = _NAME_THEN_REST.fullmatch(line)
    if not match or (_ROLE.search(match.group("names")) and not match.group("by")):
        return None  # "Staff reporter" alone may be text; "By Staff Reporter" is a byline
    parts = [p.strip() for p in re.split(r"[,|]", match.group("rest")) if p.strip()]
    # Each part after the name is a role ("Local Democracy Reporter"), a date or a time
    # (read as a dateline elsewhere) or the publication; anything else is not a byline.
    papers = []
    for part in parts:
        if _ROLE.search(part) or re.search(r"\d", part):
            continue
        if not re.fullmatch(_PUBLICATION, part):
            return None
        papers.append(part)
    marked = bool(match.group("by")) or "|" in match.group("rest")
    return Byline(match.group("names"), _paper(papers[-1]) if papers else "", marked=marked)


def _paper(words: str) -> str:
    """A publication's name without the article of the sentence around it ("for the
    Millbrook Gazette"); "The Yorkshire Post" keeps its own."""
    return words[4:] if words.startswith("the ") else words
