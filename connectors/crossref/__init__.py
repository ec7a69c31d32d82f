"""Crossref as a refbot source: works and journals through habanero, turned into Candidates.

    query.py     a need → the Crossref calls that answer it (works search or journal lookups)
    source.py    CrossrefSource: budget, cache, shared requests, retries
    pacing.py    the concurrency cap, the rate limiter and request sharing across questions
    works.py     a work item → Candidate, with retractions, corrections, open access, best link
    journals.py  a journal record → Candidate of kind ``journal``
    failures.py  whatever habanero raised → one reason a librarian can read
    references.py  a work item → a citation Reference (volume, issue, pages, editors)
"""

from connectors.crossref.failures import Failure, RateLimit, describe_failure, parse_rate_limit, parse_retry_after
from connectors.crossref.journals import journal_to_candidate
from connectors.crossref.query import (
    SELECT,
    JournalByIssn,
    JournalSearch,
    RecentWorks,
    WorksQuery,
    build_query,
    crossref_types,
    issn_is_valid,
    issns_in,
    plan,
    wants_journals,
)
from connectors.crossref.references import work_to_reference
from connectors.crossref.source import CrossrefSource, RetryPolicy
from connectors.crossref.works import (
    READABLE_TYPES,
    Notice,
    best_link,
    candidates_from,
    is_readable,
    is_retracted,
    notices,
    open_access,
    strip_markup,
    work_to_candidate,
)

__all__ = [
    "READABLE_TYPES",
    "SELECT",
    "CrossrefSource",
    "Failure",
    "JournalByIssn",
    "JournalSearch",
    "Notice",
    "RateLimit",
    "RecentWorks",
    "RetryPolicy",
    "WorksQuery",
    "best_link",
    "build_query",
    "candidates_from",
    "crossref_types",
    "describe_failure",
    "is_readable",
    "is_retracted",
    "issn_is_valid",
    "issns_in",
    "journal_to_candidate",
    "notices",
    "open_access",
    "parse_rate_limit",
    "parse_retry_after",
    "plan",
    "strip_markup",
    "wants_journals",
    "work_to_candidate",
    "work_to_reference",
]
