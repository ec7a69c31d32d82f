"""Zotero's item templates (``GET /items/new?itemType=…``): which fields each item type has.

A subset of Zotero's schema, enough for what libraries keep in subject guides; a field not
in its type's template is refused on write, as the real API refuses it.
"""

from __future__ import annotations

import copy
from typing import Any

_TAIL = ("language", "shortTitle", "url", "accessDate", "archive", "archiveLocation", "libraryCatalog",
         "callNumber", "rights", "extra")
FIELDS: dict[str, tuple[str, ...]] = {
    "book": ("title", "abstractNote", "series", "seriesNumber", "volume", "numberOfVolumes", "edition", "place",
             "publisher", "date", "numPages", "ISBN", *_TAIL),
    "bookSection": ("title", "abstractNote", "bookTitle", "series", "seriesNumber", "volume", "numberOfVolumes",
                    "edition", "place", "publisher", "date", "pages", "ISBN", *_TAIL),
    "journalArticle": ("title", "abstractNote", "publicationTitle", "volume", "issue", "pages", "date", "series",
                       "seriesTitle", "seriesText", "journalAbbreviation", "DOI", "ISSN", *_TAIL),
    "conferencePaper": ("title", "abstractNote", "date", "proceedingsTitle", "conferenceName", "place", "publisher",
                        "volume", "pages", "series", "DOI", "ISBN", *_TAIL),
    "thesis": ("title", "abstractNote", "thesisType", "university", "place", "date", "numPages", *_TAIL),
    "report": ("title", "abstractNote", "reportNumber", "reportType", "seriesTitle", "place", "institution", "date",
               "pages", *_TAIL),
    "webpage": ("title", "abstractNote", "websiteTitle", "websiteType", "date", *_TAIL),
    "document": ("title", "abstractNote", "publisher", "date", *_TAIL),
}
ALWAYS = frozenset({"itemType", "creators", "tags", "collections", "relations", "key", "version", "deleted",
                    "dateAdded", "dateModified", "parentItem", "note"})
CHILD_TYPES = frozenset({"note", "attachment", "annotation"})


def template(item_type: str) -> dict[str, Any] | None:
    """A new, empty item of this type, as Zotero hands it out; None for an unknown type."""
    fields = FIELDS.get(item_type)
    if fields is None:
        return None
    item: dict[str, Any] = {"itemType": item_type, "title": ""}
    item["creators"] = [{"creatorType": "author", "firstName": "", "lastName": ""}]
    item.update({f: "" for f in fields if f != "title"})
    item.update({"tags": [], "collections": [], "relations": {}})
    return copy.deepcopy(item)


def invalid_field(item: dict[str, Any]) -> str | None:
    """Why Zotero would refuse this item's fields, or None when it would take them."""
    item_type = item.get("itemType")
    if item_type in CHILD_TYPES:
        return None
    fields = FIELDS.get(str(item_type))
    if fields is None:
        return f"'{item_type}' is not a valid itemType"
    for name in item:
        if name not in fields and name not in ALWAYS:
            return f"'{name}' is not a valid field for type '{item_type}'"
    return None
