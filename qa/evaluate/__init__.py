"""Measuring retrieval: ``qa eval`` on a question set or a BEIR benchmark (a face, like the CLI)."""
