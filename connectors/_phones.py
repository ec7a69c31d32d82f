"""Phone numbers as library systems store them: any spelling of an Indonesian number is one number.

Koha and SLiMS keep what a librarian typed (``0812-3456-7890``, ``+62 812 3456 7890``, two numbers
split by ``/``); WhatsApp gives ``6281234567890``. Both connectors compare through these.
"""

from __future__ import annotations


def normalise_phone(number: str) -> str:
    """A phone number as digits in international form: ``0812-3456-7890`` → ``6281234567890``.

    Digits only; a leading ``0`` (the trunk prefix) becomes Indonesia's ``62``; ``+62`` is
    ``62``; ``+62 (0)812…`` drops the ``0``. Anything else stays as its digits.
    """
    digits = "".join(ch for ch in number if ch.isascii() and ch.isdigit())
    if digits.startswith("620"):
        return "62" + digits[3:]
    if digits.startswith("0") and not digits.startswith("00"):
        return "62" + digits[1:]
    if digits.startswith("00"):  # 0062…: the international call prefix
        return digits[2:]
    return digits


def same_phone(a: str, b: str) -> bool:
    """Whether two spellings are the same number (``+62 812-3456-7890`` = ``081234567890``)."""
    x, y = normalise_phone(a), normalise_phone(b)
    return bool(x) and x == y


def phone_variants(phone: str) -> list[str]:
    """The exact spellings Koha can match for a WhatsApp number: ``62812…``, ``+62812…``, ``0812…``."""
    digits = normalise_phone(phone)
    if not digits:
        return []
    variants = [digits, f"+{digits}"]
    if digits.startswith("62"):
        variants.append("0" + digits[2:])
    return variants


def phone_pattern(phone: str) -> str:
    """A SQL ``LIKE`` pattern for the number written any way: ``0812-3456-7890``, ``+62 812 …``.

    The national digits (after ``62``/``0``) in order with anything between them; it can match
    a little more than the number, which :func:`same_phone` then sorts out.
    """
    digits = normalise_phone(phone)
    national = digits[2:] if digits.startswith("62") else digits
    return "%" + "%".join(national) + "%" if national else ""
