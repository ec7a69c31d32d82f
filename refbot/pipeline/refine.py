"""A short message after a list that narrows it: "only books please, from the last 5 years",
"yang bahasa Indonesia saja".

A librarian hears such a message as *the same question, narrowed*, not as a new one: the topic
stays, and what the patron now states replaces what they stated before. "Only books" after a
question that asked for articles means books, not articles *and* books; "from the last 5 years"
replaces an earlier year range. Words the refinement adds to the topic are added to it.
"""

from __future__ import annotations

from refbot.models import InformationNeed, Term
from refbot.pipeline.parse import tokens

MAX_WORDS = 15
"""A refinement is a short message; a longer one is read as a question of its own."""
MAX_NEW_TERMS = 2
"""A message with more topic words than this brings its own topic: a new question."""


def reads_as_refinement(need: InformationNeed) -> bool:
    """Whether a message, unquoted, reads as narrowing the last list rather than a new question.

    It must state a constraint (kinds, languages, years, open access), be short, and bring
    at most a couple of topic words of its own ("buku tentang remaja saja").
    """
    constrains = bool(need.kinds or need.languages or need.open_access
                      or need.year_from is not None or need.year_to is not None)
    words = [w for w in tokens(need.raw) if w[0].isalnum()]
    return constrains and len(words) <= MAX_WORDS and len(need.terms) <= MAX_NEW_TERMS


def refine(previous: InformationNeed, refinement: InformationNeed) -> InformationNeed:
    """The previous need narrowed by a refinement: what the refinement states replaces, topic words add."""
    known = {t.text for t in previous.terms}
    added = tuple(Term(t.text, t.weight) for t in refinement.terms if t.text not in known)
    years_given = refinement.year_from is not None or refinement.year_to is not None
    return InformationNeed(
        raw=f"{previous.raw}\n{refinement.raw}",
        language=previous.language,
        terms=previous.terms + added,
        phrases=previous.phrases,
        year_from=refinement.year_from if years_given else previous.year_from,
        year_to=refinement.year_to if years_given else previous.year_to,
        kinds=refinement.kinds or previous.kinds,
        languages=refinement.languages or previous.languages,
        open_access=previous.open_access or refinement.open_access,
    )
