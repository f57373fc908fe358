"""Embedding passages (with :mod:`qa.embedding`) and keeping them: the vector store, BM25, the index
folder (manifest and generations) and the builds that bring it up to date.

Imports :mod:`qa.ingest` and the bottom layer, never :mod:`qa.answer` or the faces.
"""
