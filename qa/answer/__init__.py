"""From a question to a cited answer: question checks and follow-ups, hybrid ranking,
the answering sentence, abstention, the answer text, the timeline.

Imports :mod:`qa.store`, :mod:`qa.ingest` and the bottom layer, never the faces.
"""
