"""Reading articles: files, PDFs, web addresses and feeds into documents with honest metadata."""
