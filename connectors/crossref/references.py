"""A Crossref work item → a citation Reference, through the same Candidate the patron's list cites.

One path: an APA entry for a Crossref work (a cached answer, a DOI lookup) is made from the
Candidate :func:`~connectors.crossref.works.work_to_candidate` reads, which carries volume, issue,
pages, article number, editors, edition, a thesis's degree and its granting institution.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.crossref.works import work_to_candidate
from refbot.citations import Reference, reference_from_candidate


def work_to_reference(item: Mapping[str, Any]) -> Reference:
    """The Reference for one Crossref work item; any field may be missing or odd."""
    return reference_from_candidate(work_to_candidate(item, 0))
