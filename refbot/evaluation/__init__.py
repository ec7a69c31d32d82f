"""Measuring refbot's recommendations on test collections (``refbot eval DIR``).

A collection in the BEIR layout (documents, queries, relevance judgments) is indexed with the
catalog's own indexing code, every judged query goes through refbot's parse → catalog search →
rank path, and the ranked lists are scored with the usual IR measures next to a plain BM25
baseline run in the same process.
"""
