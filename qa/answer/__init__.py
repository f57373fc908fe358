"""From a question to a cited answer: question checks and follow-ups, what a question asks,
hybrid candidates, the reader's and the answer model's ranking, abstention, the answer
text, and the one reply every face gives.

Imports :mod:`qa.reader`, :mod:`qa.chronology`, :mod:`qa.store`, :mod:`qa.ingest` and the
bottom layer, never the faces.
"""
