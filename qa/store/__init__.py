"""Embedding text and keeping the vectors: the vector stores (FAISS, Milvus) and the index folder."""
