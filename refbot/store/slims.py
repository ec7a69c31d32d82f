"""The statements refbot sends to SLiMS's own database (read only), for :mod:`connectors.slims`.

They are SLiMS 9's schema, not refbot's store; they live here so that every SQL statement refbot
writes is under ``refbot/store``. Parameters are MySQL's ``%s``.
"""

from __future__ import annotations

READ_ONLY = "SET SESSION TRANSACTION READ ONLY"
_PATRON = "SELECT member_id, member_name, member_phone FROM member"
PATRON_BY_CARD = f"{_PATRON} WHERE member_id = %s"
PATRONS_BY_PHONE = f"{_PATRON} WHERE member_phone LIKE %s"
LOANS = (
    "SELECT l.loan_id, l.item_code, l.due_date, l.renewed, b.title FROM loan l"
    " LEFT JOIN item i ON i.item_code = l.item_code LEFT JOIN biblio b ON b.biblio_id = i.biblio_id"
    " WHERE l.member_id = %s AND l.is_lent = 1 AND l.is_return = 0 ORDER BY l.due_date, l.loan_id"
)
FINES = (
    "SELECT fines_date, debet, credit, description FROM fines"
    " WHERE member_id = %s AND debet > credit ORDER BY fines_date, fines_id"
)
COPIES = (
    "SELECT i.biblio_id, i.item_code, i.call_number, loc.location_name, i.item_status_id, st.item_status_name,"
    " st.no_loan, l.due_date FROM item i"
    " LEFT JOIN mst_location loc ON loc.location_id = i.location_id"
    " LEFT JOIN mst_item_status st ON st.item_status_id = i.item_status_id"
    " LEFT JOIN loan l ON l.item_code = i.item_code AND l.is_lent = 1 AND l.is_return = 0"
    " WHERE i.biblio_id IN ({marks}) ORDER BY i.biblio_id, i.item_code"
)
