"""Reading articles: a file becomes a :class:`~qa.ingest.documents.Document`, its body
passages with character offsets, and its date mentions resolved.

Imports only the bottom layer (``qa.records``, ``qa.text``, ``qa.errors``, ``qa.config``).
"""
