"""How sure refbot is of a draft, as the librarian reads it, and the clarifying question for the patron.

The level was judged when the draft was made (:mod:`refbot.pipeline.confidence`); here it is
worded: a line with the level and how much of the need the best item covers, what is missing
unless the draft is strong, and — on a weak draft — the short question refbot would send the
patron instead of the list, with a button to send it (:func:`refbot.decisions.drafts.clarify`).
"""

from __future__ import annotations

from refbot.models import Button, Confidence, ConfidenceLevel, Draft, InformationNeed, OutgoingMessage
from refbot.texts import t

BUTTON_TEXT_LIMIT = 1024
"""The most characters WhatsApp takes in the body of a message with reply buttons."""


def confidence_text(confidence: Confidence, language: str) -> str:
    """How sure refbot is of a draft, in a line, and (unless strong) what is missing."""
    lines = [t(language, f"confidence_{confidence.level.value}", best=round(confidence.best * 100))]
    missing = [_missing(reason, confidence, language) for reason in confidence.missing]
    if missing and confidence.level is not ConfidenceLevel.STRONG:
        lines.append(t(language, "confidence_missing", items="; ".join(missing)))
    return "\n".join(lines)


def weak_offer(draft: Draft, need: InformationNeed, language: str, to: str) -> list[OutgoingMessage]:
    """On a weak draft, the offer to ask the patron to clarify instead: the question and one button; else nothing."""
    if draft.confidence is None or draft.confidence.level is not ConfidenceLevel.WEAK:
        return []
    question = clarify_question(need, draft.confidence, patron_language(draft, language))
    text = "\n\n".join([t(language, "confidence_clarify_offer", question=question),
                        t(language, "confidence_clarify_actions", id=draft.id)])
    button = Button(f"clarify:{draft.id}", t(language, "button_clarify"))
    return [OutgoingMessage(to=to, text=text[:BUTTON_TEXT_LIMIT], buttons=(button,))]


def clarify_question(need: InformationNeed, confidence: Confidence | None, language: str) -> str:
    """The short question that asks the patron to narrow or clarify their request, in their language."""
    text = t(language, "clarify_question", topic=(need.query_text or need.raw)[:120])
    if confidence is not None and "recent" in confidence.missing:
        text += " " + t(language, "clarify_question_recent")
    return text


def patron_language(draft: Draft, default: str) -> str:
    """The language the patron wrote in, when refbot speaks it; else ``default``."""
    return draft.language if draft.language in ("id", "en") else default


def _missing(reason: str, confidence: Confidence, language: str) -> str:
    answered = ", ".join(name.capitalize() for name in confidence.answered) or "—"
    return t(language, f"confidence_missing_{reason}", answered=answered)
