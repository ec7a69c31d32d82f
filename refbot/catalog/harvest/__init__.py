"""OAI-PMH harvesting: repositories' records (theses, papers, a SLiMS or Koha catalog) into the catalog.

    protocol    OAI-PMH answers → pages of records, resumption tokens, Identify, errors
    client      one repository's endpoint (oaipmh-scythe in a thread): timeouts, 503 Retry-After, backoff
    mapping     oai_dc, MARCXML (refbot's own reader) and MODS → CatalogRecord; theses and full texts
    apply       batches into the served generation, as `refbot index update` writes
    harvester   one source: full or incremental, deletions, bad tokens, what is kept in the store
    schedule    harvests the worker runs when a source's `every` is due, once per cluster
    cli         `refbot harvest`
"""
