"""A small SLiMS library as its staff screens would have left it: members, books, loans and fines."""

from __future__ import annotations

import datetime

from tests.mariadb import SlimsDatabase

TODAY = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=7))).date()
DAY = datetime.timedelta(days=1)

SITI = "M2100001"   # three loans (one overdue, one returned long ago), Rp 4.000 unpaid
ANDI = "M2100002"   # nothing on loan, a fine paid in full: clear
BUDI = "M2100003"   # no phone number at all
MAYA = "M2100004"   # two numbers in one field


def seed(db: SlimsDatabase) -> None:
    """Members, titles, copies, loans (due soon, overdue, returned) and the fines ledger."""
    member = {"gender": 1, "member_type_id": 1, "expire_date": (TODAY + 365 * DAY).isoformat(), "is_pending": 0}
    db.insert("member", [
        {**member, "member_id": SITI, "member_name": "Siti Rahmawati", "member_phone": "0812-0000-0001"},
        {**member, "member_id": ANDI, "member_name": "Andi Pratama", "member_phone": "+62 812 0000 0002"},
        {**member, "member_id": BUDI, "member_name": "Budi Santoso", "member_phone": None},
        {**member, "member_id": MAYA, "member_name": "Maya Lestari", "member_phone": "0274 512345 / 0812.0000.0004"},
    ])
    titles = [(1, "Literasi informasi di perguruan tinggi"), (2, "Metodologi penelitian kualitatif"),
              (3, "Pengantar ilmu perpustakaan"), (4, "Information literacy: a practical guide")]
    db.insert("biblio", [{"biblio_id": n, "title": title, "input_date": "2024-01-10 09:00:00"} for n, title in titles])
    db.insert("mst_location", [{"location_id": "L2", "location_name": "Sirkulasi Lt. 2",
                                "input_date": "2024-01-01", "last_update": "2024-01-01"}])
    copy = {"input_date": "2024-01-10 09:00:00", "location_id": "L2"}
    db.insert("item", [
        {**copy, "item_id": 1, "biblio_id": 1, "item_code": "S0001", "call_number": "020.7 SUL l"},
        {**copy, "item_id": 2, "biblio_id": 2, "item_code": "S0002", "call_number": "001.42 MOL m"},
        {**copy, "item_id": 3, "biblio_id": 3, "item_code": "S0003", "call_number": "020 SUL p"},
        {**copy, "item_id": 4, "biblio_id": 1, "item_code": "S0004", "call_number": "020.7 SUL l"},
        {**copy, "item_id": 5, "biblio_id": 4, "item_code": "S0005", "call_number": "028.7 BAW i", "item_status_id": "NL"},
        {**copy, "item_id": 6, "biblio_id": 4, "item_code": "S0006", "call_number": "028.7 BAW i", "item_status_id": "MIS"},
    ])
    loan = {"loan_rules_id": 0, "is_lent": 1, "is_return": 0, "renewed": 0}
    db.insert("loan", [
        {**loan, "item_code": "S0001", "member_id": SITI, "loan_date": (TODAY - 2 * DAY).isoformat(),
         "due_date": (TODAY + 5 * DAY).isoformat()},
        {**loan, "item_code": "S0003", "member_id": SITI, "loan_date": (TODAY - 10 * DAY).isoformat(),
         "due_date": (TODAY - 3 * DAY).isoformat(), "renewed": 1},
        {**loan, "item_code": "S0002", "member_id": SITI, "loan_date": "2025-01-02", "due_date": "2025-01-09",
         "is_return": 1, "return_date": "2025-01-08"},
    ])
    db.insert("fines", [
        {"fines_date": "2025-11-03", "member_id": SITI, "debet": 3000, "credit": 0,
         "description": "Keterlambatan S0002"},
        {"fines_date": "2025-11-20", "member_id": SITI, "debet": 2000, "credit": 1000, "description": ""},
        {"fines_date": "2025-10-01", "member_id": ANDI, "debet": 1500, "credit": 1500,
         "description": "Keterlambatan S0004"},
    ])
