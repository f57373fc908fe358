"""Lines of a news page that are not the article's own sentences.

Photo credits and captions ("Picture: Wandsworth Council"), share and follow prompts,
"Read more" links and list markers come along with a saved page. A caption once became
the highlighted answer to a question about the council, and a "- " marker stayed inside
a quoted answer, so :func:`clean_line` drops such lines and strips list markers before
sentences are split (offsets then point into the cleaned body).

>>> clean_line("- 15% of closed cases needed more work")
'15% of closed cases needed more work'
>>> clean_line("Picture: Wandsworth Council") is None
True
"""
from __future__ import annotations

import re

# "- item", "* item", "• item", "1. item", "2) item": the marker is layout, the item is text.
_LIST_MARKER = re.compile(r"^(?:[-*•·–—+]|\d{1,2}[.)])\s+(?=\S)")

_CAPTION = re.compile(
    r"^\(?(?:picture|pictured|pic|image|images|photo|photos|photograph|photography|credit|"
    r"copyright|illustration|video|gallery)\s*(?:credit)?\s*[:|]",
    re.IGNORECASE,
)
# "Photo: John Stillwell / PA", "(Image: Getty)", "... Photo by Jo Bloggs/PA Wire": a credit
# at the end of a short line; a sentence that merely mentions a photo does not match.
_CREDIT_END = re.compile(
    r"(?:\b(?:picture|photo|image|photograph)\s*(?:by|:)[^.!?]{0,60}|"
    r"/\s*(?:PA|PA Wire|PA Media|AP|AFP|Reuters|Getty|Getty Images|Alamy|Shutterstock)\)?)\s*$",
    re.IGNORECASE,
)
_SHARE = re.compile(
    r"^(?:share(?:\s*$|\s+(?:this|on|via|the (?:article|story|page))\b.{0,40})|follow (?:us|@\S+|[\w ]{1,30} on (?:twitter|x|facebook|instagram|"
    r"linkedin|tiktok|bluesky|threads)).{0,60}|(?:click|tap) (?:here )?to share.{0,40}|"
    r"(?:like us on|join us on) \w+.{0,40}|(?:email|print|copy link|tweet|whatsapp|facebook|twitter|linkedin)"
    r"(?:\s*[|/·•,]\s*(?:email|print|copy link|tweet|whatsapp|facebook|twitter|linkedin))*)$",
    re.IGNORECASE,
)
_READ_MORE = re.compile(r"^(?:(?:read more|more on this story|see also|also read|read next|recommended for you)\b|"
                        r"related(?: articles?| stories| content| links| topics)?\s*[:>»|-]?\s*$)",
                        re.IGNORECASE)


def is_furniture(line: str) -> bool:
    """True for a caption or credit, a share/follow prompt or a "Read more" line."""
    line = line.strip()
    if not line:
        return False
    if _CAPTION.match(line) or _READ_MORE.match(line) or _SHARE.match(line):
        return True
    # Credits end short caption lines; a long paragraph ending "... / PA" is still a credit
    # only when it carries no sentence end before the credit.
    return bool(_CREDIT_END.search(line)) and len(line.split()) <= 25 and not re.search(r"[.!?][\"'”’]?\s+\S.*[.!?]", line)


def clean_line(line: str) -> str | None:
    """``line`` without a list marker, or None when the whole line is page furniture."""
    if is_furniture(line):
        return None
    return _LIST_MARKER.sub("", line.strip(), count=1)
