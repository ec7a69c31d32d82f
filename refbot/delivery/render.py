"""Turning drafts into WhatsApp messages: the patron's list and the librarian's review copy."""

from __future__ import annotations

from refbot.catalog.harvest.mapping import ONLINE
from refbot.catalog.journals.accreditation import item_marks
from refbot.citations import apa_citation
from refbot.delivery.confidence import confidence_text, weak_offer
from refbot.models import Button, Candidate, Draft, InformationNeed, Kind, OutgoingMessage, Ranked
from refbot.pipeline.availability import shelf_text
from refbot.texts import TEXT_LIMIT, has, t


def patron_list(draft: Draft, language: str) -> list[OutgoingMessage]:
    """The approved list as the patron reads it, split on item boundaries to fit WhatsApp."""
    items = [r.candidate for r in draft.items if not r.candidate.retracted]
    if not items:
        blocks = [t(language, "list_empty")]
    else:
        blocks = [t(language, "list_intro", number=draft.request_id)]  # the number RIWAYAT <n> resends
        blocks += [f"{i}. {patron_item(c, language)}" for i, c in enumerate(items, start=1)]
    if draft.note:
        blocks.append(t(language, "librarian_note", note=draft.note))
    if items:
        blocks.append(t(language, "list_outro"))
    return [OutgoingMessage(to=draft.patron, text=text) for text in pack(blocks)]


def patron_item(c: Candidate, language: str) -> str:
    """One item: its APA 7 reference, then where to get it."""
    return apa_citation(c, "whatsapp", language) + "\n   " + " · ".join(_where(c, language))


def _where(c: Candidate, language: str) -> list[str]:
    parts = [t(language, c.kind.value)]
    online = [h for h in c.holdings if h.status.startswith(ONLINE)]
    if online:  # a harvested repository's full text: "Skripsi · repositori UNDIP · PDF"
        parts += [online[0].location, *online[0].status.split()[1:2]]
    elif c.kind in (Kind.BOOK, Kind.THESIS, Kind.EBOOK) or c.holdings:
        if c.call_number:
            parts.append(t(language, "call_number", call_number=c.call_number))
        if c.holdings:
            parts.append(shelf_text(c, language))  # live from the library system, or the export's (marked)
            location = next((h.location for h in c.holdings if h.available and h.location), "")
            if location:
                parts.append(t(language, "location", location=location))
    if c.open_access:
        parts.append(t(language, "open_access"))
    return parts + item_marks(c, language)  # "DOAJ ✓ · SINTA 2"; a journal asked about: the whole answer


def pack(blocks: list[str], limit: int = TEXT_LIMIT) -> list[str]:
    """Join blocks with blank lines into as few messages as fit ``limit``, never splitting a block."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        block = block[:limit]
        candidate = f"{current}\n\n{block}" if current else block
        if len(candidate) <= limit:
            current = candidate
            continue
        messages.append(current)
        current = block
    if current:
        messages.append(current)
    return messages


def librarian_draft(draft: Draft, need: InformationNeed, language: str, to: str) -> list[OutgoingMessage]:
    """The draft for a librarian to review: the items with why they ranked, then the buttons."""
    blocks = [
        t(language, "draft_header", id=draft.id, version=draft.version, patron=mask_phone(draft.patron)),
        t(language, "draft_question", question=draft.question[:600]),
        t(language, "draft_understood", summary=summarise(need, language)),
    ]
    if draft.confidence is not None:
        blocks.append(confidence_text(draft.confidence, language))
    blocks += [_librarian_item(i, r, language) for i, r in enumerate(draft.items, start=1)]
    if not draft.items:
        blocks.append(t(language, "draft_no_items"))
    if draft.note:
        blocks.append(t(language, "librarian_note", note=draft.note))
    blocks += [t(language, "draft_source_note", note=n) for n in draft.source_notes]
    messages = [OutgoingMessage(to=to, text=text) for text in pack(blocks)]
    messages += weak_offer(draft, need, language, to)  # a weak draft: ask the patron instead?
    messages.append(
        OutgoingMessage(
            to=to,
            text=t(language, "draft_actions", id=draft.id),
            buttons=(
                Button(f"approve:{draft.id}", t(language, "button_approve")),
                Button(f"edit:{draft.id}", t(language, "button_edit")),
                Button(f"reject:{draft.id}", t(language, "button_reject")),
            ),
        )
    )
    return messages


def _librarian_item(i: int, r: Ranked, language: str) -> str:
    c = r.candidate
    parts = ", ".join(f"{part_name(name, language)} {value:+.2f}" for name, value in r.score.parts)
    lines = [f"{i}. {patron_item(c, language)}"]
    lines.append("   " + t(language, "draft_score", source=c.source, total=f"{r.score.total:.2f}", parts=parts))
    if c.retracted:
        lines.append("   " + t(language, "draft_retracted"))
    lines += [f"   ⚠️ {notice}" for notice in c.notices if not c.retracted or "retract" not in notice.lower()]
    if c.citations:
        lines.append("   " + t(language, "draft_citations", n=c.citations))
    return "\n".join(lines)


def part_name(name: str, language: str) -> str:
    """A score part in the librarian's language ("relevance" → "relevansi"); unknown parts as named."""
    key = "part_" + name.replace(" ", "_")
    return t(language, key) if has(key) else name


def summarise(need: InformationNeed, language: str) -> str:
    """What refbot understood of the need, in a line."""
    bits = [need.query_text or "—"]
    if need.year_from or need.year_to:
        years = f"{need.year_from or ''}–{need.year_to or ''}"
        bits.append(t(language, "draft_years", years=years))
    if need.kinds:
        kinds = ", ".join(t(language, k.value) for k in sorted(need.kinds))
        bits.append(t(language, "draft_kinds", kinds=kinds))
    if need.languages:
        bits.append(t(language, "draft_languages", languages=", ".join(sorted(need.languages))))
    if need.open_access:
        bits.append(t(language, "open_access"))
    return " · ".join(bits)


def mask_phone(phone: str) -> str:
    """A phone number with its middle hidden, for logs and colleagues: 6281****0001."""
    if len(phone) <= 6:
        return "*" * len(phone)
    shown = 4 if len(phone) >= 10 else 2  # a short number keeps less of itself, and always hides some
    return phone[:shown] + "*" * (len(phone) - 2 * shown) + phone[-shown:]
