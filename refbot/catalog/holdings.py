"""Copies on the shelf, from Koha's 952 item fields or standard 852 location fields.

Koha 952 (one field per item):

    $a home branch, $b holding branch (where the copy is now; preferred), $c shelving
    location, $o call number, $p barcode, $q due date — set while the copy is on loan,
    $7 not-for-loan (a positive value: in-library use only, still on the shelf; a negative
    value: on order), $1 lost, $4 damaged, $0 withdrawn (non-zero: not on the shelf).

MARC 852 (one field per location): $b location, $c shelving location, $k/$h/$i/$m call
number (prefix, classification, item part, suffix), $p barcode. 852 says nothing about
circulation, so such a copy counts as available.
"""

from __future__ import annotations

from collections.abc import Sequence

from pymarc import Field

from refbot.models import Holding


def holdings_of(koha_items: Sequence[Field], locations: Sequence[Field]) -> tuple[Holding, ...]:
    """Every copy a record lists: its 952 items when it has any, else its 852 locations."""
    if koha_items:
        return tuple(koha_item(f) for f in koha_items)
    return tuple(location_852(f) for f in locations)


def koha_item(field: Field) -> Holding:
    """One Koha 952 item field as a holding."""
    available, status = _koha_status(field)
    return Holding(
        location=_join(", ", _first(field, "b") or _first(field, "a"), _first(field, "c")),
        call_number=_first(field, "o"),
        barcode=_first(field, "p"),
        available=available,
        status=status,
    )


def location_852(field: Field) -> Holding:
    """One 852 location field as a holding."""
    call = _join(" ", *(_first(field, code) for code in "khim"))
    return Holding(
        location=_join(", ", _first(field, "b"), _first(field, "c")),
        call_number=call,
        barcode=_first(field, "p"),
    )


def _koha_status(field: Field) -> tuple[bool, str]:
    if _set(field, "1"):
        return False, "lost"
    if _set(field, "4"):
        return False, "damaged"
    if _set(field, "0"):
        return False, "withdrawn"
    due = _first(field, "q")
    if due:
        return False, f"on loan, due {due}"
    not_for_loan = _first(field, "7")
    if _set(field, "7"):
        # Koha uses negative not-for-loan values for copies ordered but not yet received.
        if not_for_loan.lstrip().startswith("-"):
            return False, "on order"
        return True, "in-library use only"
    return True, ""


def _set(field: Field, code: str) -> bool:
    return _first(field, code) not in ("", "0")


def _first(field: Field, code: str) -> str:
    values = field.get_subfields(code)
    return values[0].strip() if values else ""


def _join(separator: str, *parts: str) -> str:
    return separator.join(p for p in parts if p)
