"""DOAJ (the Directory of Open Access Journals): is a journal listed, asked by its ISSN.

    client     one request to DOAJ's search API: timeouts, retries, what a failure means
    records    DOAJ's answer → whether the ISSN asked about belongs to a listed journal
    directory  DoajDirectory: per ISSN, cached in the store, shared while in flight, "unknown" on failure
"""

from connectors.doaj.directory import DoajDirectory

__all__ = ["DoajDirectory"]
