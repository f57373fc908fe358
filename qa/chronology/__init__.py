"""What the articles say happened when: every dated sentence in order (``chronology``), and
events, one per happening, with their sources and where the sources disagree (``events``,
from ``dated_clauses`` grouped by ``event_grouping``)."""
