"""Reading OAI-PMH 2.0 responses: a page of records, its resumption token, Identify, errors.

Every repository refbot has met answers in the shapes of the OAI-PMH 2.0 specification
(EPrints, DSpace, SLiMS's ``oai.php``, Koha, Zenodo, arXiv); they differ in the HTTP status
of an error (200 for most, 422 for Zenodo's Invenio) and in whitespace, neither of which
matters here: an ``<error>`` element is an error whatever the status says.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree  # lxml ships no stubs

OAI = "{http://www.openarchives.org/OAI/2.0/}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=True)


class OaiError(Exception):
    """An OAI-PMH ``<error>`` answer: ``code`` is the protocol's (noRecordsMatch, badResumptionToken …)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class OaiRecord:
    """One record of a ListRecords or GetRecord answer.

    Attributes:
        identifier: the repository's OAI identifier (``oai:eprints.undip.ac.id:1234``).
        datestamp: when the repository last changed it, as the repository writes it.
        deleted: the header says ``status="deleted"``: the record is gone from the repository.
        metadata: the one element inside ``<metadata>`` (``oai_dc:dc``, a MARCXML ``record``,
            ``mods``), or None for a deleted record.
    """

    identifier: str
    datestamp: str
    deleted: bool = False
    sets: tuple[str, ...] = ()
    metadata: etree._Element | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Page:
    """One answer to ListRecords: its records, and the token for the next page ('' at the end)."""

    records: tuple[OaiRecord, ...]
    token: str = ""
    response_date: str = ""
    complete_size: int | None = None


def parse_xml(content: bytes) -> etree._Element:
    """The OAI-PMH document's root element.

    Raises:
        OaiError: with code ``notXml`` when the body is not XML (an HTML error page, say).
    """
    try:
        return etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError as error:
        raise OaiError("notXml", f"the answer is not XML ({error})") from None


def raise_for_error(root: etree._Element) -> None:
    """Raise the first ``<error>`` of the answer as :class:`OaiError`."""
    error = root.find(f"{OAI}error")
    if error is not None:
        raise OaiError(error.get("code", "unknown"), " ".join((error.text or "").split()))


def parse_page(content: bytes) -> Page:
    """A ListRecords (or GetRecord) answer as a :class:`Page`.

    Raises:
        OaiError: the answer is an OAI-PMH error, or not XML.
    """
    root = parse_xml(content)
    raise_for_error(root)
    container = root.find(f"{OAI}ListRecords")
    if container is None:
        container = root.find(f"{OAI}GetRecord")
    if container is None:
        raise OaiError("unexpected", "the answer holds neither ListRecords nor GetRecord")
    records = tuple(_record(element) for element in container.iterfind(f"{OAI}record"))
    token_element = container.find(f"{OAI}resumptionToken")
    token = (token_element.text or "").strip() if token_element is not None else ""
    size = token_element.get("completeListSize") if token_element is not None else None
    return Page(records, token, _text(root, "responseDate"), int(size) if size and size.isdigit() else None)


@dataclass(frozen=True)
class Identify:
    """What a repository says about itself: its name, and the granularity of its datestamps."""

    name: str
    granularity: str = "YYYY-MM-DD"
    earliest: str = ""
    deleted_record: str = ""
    response_date: str = ""

    @property
    def seconds(self) -> bool:
        """Whether ``from`` may carry a time of day (``YYYY-MM-DDThh:mm:ssZ``)."""
        return "hh" in self.granularity


def parse_identify(content: bytes) -> Identify:
    """An Identify answer.

    Raises:
        OaiError: the answer is an OAI-PMH error, or not XML.
    """
    root = parse_xml(content)
    raise_for_error(root)
    body = root.find(f"{OAI}Identify")
    if body is None:
        raise OaiError("unexpected", "the answer holds no Identify")
    return Identify(
        name=_text(body, "repositoryName"),
        granularity=_text(body, "granularity") or "YYYY-MM-DD",
        earliest=_text(body, "earliestDatestamp"),
        deleted_record=_text(body, "deletedRecord"),
        response_date=_text(root, "responseDate"),
    )


_HEADER, _METADATA = f"{OAI}header", f"{OAI}metadata"
_IDENTIFIER, _DATESTAMP, _SET_SPEC = f"{OAI}identifier", f"{OAI}datestamp", f"{OAI}setSpec"


def _record(element: etree._Element) -> OaiRecord:
    # One pass over the record's children and one over its header's, not a find() per part:
    # a full harvest reads every record of the repository.
    header = metadata = None
    for child in element:
        tag = child.tag
        if tag == _HEADER and header is None:
            header = child
        elif tag == _METADATA and metadata is None:
            metadata = child
    if header is None:
        raise OaiError("unexpected", "a record without a header")
    identifier, datestamp, sets = _header(header)
    inner = next((child for child in metadata if isinstance(child.tag, str)), None) if metadata is not None else None
    return OaiRecord(identifier, datestamp, header.get("status") == "deleted", sets, inner)


def _header(header: etree._Element) -> tuple[str, str, tuple[str, ...]]:
    """The header's (first) identifier and datestamp, and its sets."""
    identifier = datestamp = None
    sets: list[str] = []
    for part in header:
        tag = part.tag
        if tag == _IDENTIFIER and identifier is None:
            identifier = (part.text or "").strip()
        elif tag == _DATESTAMP and datestamp is None:
            datestamp = (part.text or "").strip()
        elif tag == _SET_SPEC:
            sets.append((part.text or "").strip())
    return identifier or "", datestamp or "", tuple(sets)


def _text(element: etree._Element, name: str) -> str:
    found = element.find(f"{OAI}{name}")
    return (found.text or "").strip() if found is not None else ""
