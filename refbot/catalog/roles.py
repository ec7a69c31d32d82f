"""What part a named person or body had in a work, from the relator words a cataloger wrote.

MARC 21 names the part in $e (words: "editor.", "penyunting.", "ed.", "tr. [and] ed.") and
$4 (codes: ``edt``, ``trl``, ``ths``, or the code's id.loc.gov URI); UNIMARC in $4 (numbers:
``340`` editor, ``070`` author, ``730`` translator). A citation needs three answers:

- **editor** — cited as APA cites editors ("In H. Kusnadi (Ed.), …", "Kusnadi, H. (Ed.).");
- **author** — cited as an author; a name with no relator at all is one, as catalogs have
  always meant it;
- **other** — a translator, a thesis's advisor (*pembimbing*), an illustrator, a former owner,
  a performer: found by a search, never cited as an author.

A relator refbot does not know (a misspelling, a language it has no words for) keeps the name
an author, as it was before relators were read: a wrong guess there would drop a real author.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable

_WORDS = re.compile(r"[^\W\d_]+|\d+")
_INLINE_EDITOR = re.compile(r"\s*[(\[](?:eds?|editors?|peny|penyunting|penyunt)\.?[)\]]\s*$", re.IGNORECASE)


class Role(enum.Enum):
    """A name's part in a work, as a citation treats it."""

    AUTHOR = "author"
    EDITOR = "editor"
    OTHER = "other"


EDITOR_WORDS = frozenset({
    "editor", "editors", "ed", "eds", "edt", "edited", "editing", "penyunting", "peny", "penyunt", "disunting",
    "hrsg", "hg", "éd", "red", "redaktur", "340",
})
AUTHOR_WORDS = frozenset({
    "author", "authors", "aut", "pengarang", "penulis", "creator", "cre", "writer", "penyusun", "disusun",
    "compiler", "com", "comp", "070", "auteur", "autor",
})
OTHER_WORDS = frozenset({
    "translator", "trl", "tr", "trans", "transl", "penerjemah", "penterjemah", "alih", "terj", "trad",
    "ths", "advisor", "adviser", "pembimbing", "promotor", "kopromotor", "supervisor", "dgs", "727",
    "ill", "illus", "illustrator", "ilustrator", "ilustrasi", "440", "730",
    "performer", "prf", "actor", "act", "narrator", "nrt", "singer", "sng", "conductor", "cnd",
    "former", "fmo", "owner", "printer", "prt", "bookseller", "bsl", "binder", "bnd",
    "producer", "pro", "director", "drt", "photographer", "pht", "designer", "dsr", "contributor", "ctb",
    "respondent", "appellant", "correspondent", "commentary", "reviewer",
})  # fmt: skip


def role_of(relators: Iterable[str]) -> Role:
    """The part the relator terms and codes of one name say; a name with none is an author."""
    words = {w for text in relators for w in _WORDS.findall(text.lower())}
    if words & EDITOR_WORDS:
        return Role.EDITOR
    if not words or words & AUTHOR_WORDS or not words & OTHER_WORDS:
        return Role.AUTHOR
    return Role.OTHER


def inline_editor(name: str) -> tuple[str, bool]:
    """A name without an "(ed.)" written into it, and whether it had one: "Kusnadi, H. (ed.)" → ("Kusnadi, H.", True)."""
    bare = _INLINE_EDITOR.sub("", name)
    return bare, bare != name


def by_role(named: Iterable[tuple[str, Role]]) -> dict[Role, list[str]]:
    """Names grouped by their part, each group in catalog order."""
    groups: dict[Role, list[str]] = {role: [] for role in Role}
    for name, role in named:
        groups[role].append(name)
    return groups
