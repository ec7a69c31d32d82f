"""Settings: every key declared once, with its default and meaning.

``config.yaml`` holds everything but secrets. Unknown keys and wrong types stop start-up with
a message naming the key. Secrets come only from the environment (``REFBOT_…``).
"""

from __future__ import annotations

import dataclasses
import os
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from refbot.errors import ConfigError


def setting(default: Any, meaning: str) -> Any:
    """Declare one setting with its default and what it means."""
    if isinstance(default, list):
        return field(default=tuple(default), metadata={"help": meaning})
    return field(default=default, metadata={"help": meaning})


class Secret:
    """A secret value that never shows itself in ``repr`` or logs."""

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        """The secret itself."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class ServerSettings:
    host: str = setting("127.0.0.1", "address the web service listens on")
    port: int = setting(8080, "port the web service listens on")
    public_url: str = setting("", "URL patrons' and librarians' links start with; empty: http://host:port")
    trusted_proxies: tuple[str, ...] = setting(
        [], "addresses or CIDR ranges of reverse proxies whose X-Forwarded-For names the client; empty: trust none"
    )


@dataclass(frozen=True)
class LogSettings:
    format: str = setting("text", "how log lines are written: text (one readable line) or json (one object per line,"
                                  " for log shippers); phone numbers are masked either way")
    level: str = setting("info", "the least severe lines written: debug, info, warning or error (-v: debug)")


@dataclass(frozen=True)
class MetricsSettings:
    enabled: bool = setting(False, "serve Prometheus metrics")
    port: int = setting(0, "0: at /metrics on the web service's port, only with the token in REFBOT_METRICS_TOKEN"
                           " (Authorization: Bearer …); else a listener of its own on metrics.host:metrics.port")
    host: str = setting("127.0.0.1", "the address of that listener of its own")


@dataclass(frozen=True)
class StoreSettings:
    path: str = setting("var/refbot.sqlite3", "SQLite database file (created on first start), used when url is empty")
    url: str = setting("", "postgresql://user@host:port/db to keep the state in PostgreSQL (several web and worker"
                           " processes, on several machines); a password goes in REFBOT_STORE_URL instead")


@dataclass(frozen=True)
class HarvestSource:
    name: str = setting("", "the source's short name: records keep it in their id, and `refbot harvest NAME` runs it")
    url: str = setting("", "the repository's OAI-PMH base URL, e.g. https://eprints.example.ac.id/cgi/oai2")
    metadata_prefix: str = setting("oai_dc", "the metadata format to harvest: oai_dc, marc21 (or marcxml), or mods")
    set: str = setting("", "harvest only this OAI-PMH set (setSpec); empty: the whole repository")
    every: str = setting("", "how often the worker harvests it, e.g. 30m, 6h, 1d; empty: only `refbot harvest`")
    label: str = setting("", "how drafts name the repository, e.g. 'repositori UNDIP'; empty: the name")


@dataclass(frozen=True)
class CatalogSettings:
    index_dir: str = setting("indexes/catalog", "where catalog index generations live")
    timeout: float = setting(3.0, "seconds a catalog search may take")
    keep_generations: int = setting(3, "how many built index generations to keep on disk")
    max_reject_ratio: float = setting(0.5, "a build fails when more than this share of records is rejected")
    harvest: tuple[HarvestSource, ...] = field(default=(), metadata={
        "help": "OAI-PMH repositories harvested into the catalog: a list of {name, url, metadata_prefix, set, every,"
                " label}"})


@dataclass(frozen=True)
class CrossrefSettings:
    enabled: bool = setting(True, "search Crossref for journal articles")
    base_url: str = setting("https://api.crossref.org", "Crossref REST API base URL (a local stand-in for the demo)")
    mailto: str = setting("", "contact e-mail sent to Crossref so requests use its polite pool")
    timeout: float = setting(6.0, "seconds a Crossref search may take, retries included")
    rows: int = setting(20, "how many works to ask Crossref for per question")
    max_concurrent: int = setting(3, "how many requests refbot sends Crossref at once, across all questions")
    rate_limit: int = setting(10, "requests per second sent to Crossref until its X-Rate-Limit headers say otherwise")
    cache_ttl: float = setting(86400.0, "seconds a stored Crossref answer is reused without asking Crossref again")
    stale_ttl: float = setting(604800.0, "seconds a stored Crossref answer may still be served while Crossref is down")
    journals: bool = setting(True, "answer journal questions (an ISSN, 'jurnal terakreditasi') from Crossref's /journals")


@dataclass(frozen=True)
class JournalSettings:
    doaj: bool = setting(False, "ask DOAJ whether the journals in a draft are listed there (DOAJ ✓ on item lines)")
    doaj_base_url: str = setting("https://doaj.org/api", "DOAJ's API base URL (with the sandbox: the local stand-in)")
    doaj_timeout: float = setting(3.0, "seconds one DOAJ request may take")
    doaj_max_concurrent: int = setting(2, "how many requests refbot sends DOAJ at once (a free service shared by all: keep it small)")
    doaj_cache_ttl: float = setting(259200.0, "seconds a stored DOAJ answer about an ISSN is reused without asking again")
    doaj_stale_ttl: float = setting(2592000.0, "seconds a stored DOAJ answer may still be used while DOAJ is down")
    sinta_csv: str = setting("", "the library's list of SINTA-accredited journals (CSV: issn, eissn, title, sinta_rank,"
                                 " decree, valid_until; docs/desk-services.md); empty: no SINTA ranks are shown")


@dataclass(frozen=True)
class ZoteroSettings:
    enabled: bool = setting(False, "search the library's Zotero collections and optionally save approved lists there")
    library_id: str = setting("", "the Zotero library's id (a group's number, or a user's id)")
    library_type: str = setting("group", "the Zotero library's type: group or user")
    api_base: str = setting("https://api.zotero.org", "Zotero Web API base URL (a local stand-in for the demo)")
    timeout: float = setting(10.0, "seconds one Zotero request may take")
    sync_interval: float = setting(3600.0, "seconds between copies of the library's collections into the store")
    save_approved: bool = setting(False, "save each approved list to Zotero as a collection named by its request number and topic words (only the number once the patron erases their data)")


@dataclass(frozen=True)
class WhatsAppSettings:
    graph_api_base: str = setting("https://graph.facebook.com", "WhatsApp Cloud API (Graph API) base URL")
    api_version: str = setting("v21.0", "Graph API version in request paths")
    phone_number_id: str = setting("", "the library's WhatsApp phone number id")
    send_timeout: float = setting(10.0, "seconds one send may take")
    retry_for_minutes: float = setting(720.0, "minutes after it was queued that a message failing with a transient error (429, 5xx, no connection) is still retried, with backoff capped at 5 minutes; at most 1440")
    max_attempts: int = setting(3, "how many times a send whose outcome stayed unknown is sent again before it is marked failed")
    unsure_wait_seconds: float = setting(60.0, "seconds a send whose outcome is unknown (a timeout, a crash mid-send) waits for WhatsApp's status webhook; after that it is sent again only if later sends have been reported on and it has not")
    unsure_give_up_minutes: float = setting(30.0, "minutes a send whose outcome is unknown waits with no evidence either way before it is sent again anyway (at-least-once; counted for /healthz)")
    messages_per_second: float = setting(80.0, "most messages sent per second from the library's number")
    window_template: str = setting("", "approved template sent to someone whose 24-hour window is shut; empty: send, and hold only if WhatsApp refuses (131047)")
    window_template_language: str = setting("id", "language code of that template")
    window_warning_minutes: int = setting(60, "warn librarians when a waiting draft's patron window shuts within this many minutes")


@dataclass(frozen=True)
class DeskSettings:
    timezone: str = setting("Asia/Jakarta", "the library's time zone, for office hours")
    office_hours: tuple[str, ...] = setting(["mon-fri 08:00-16:00"], "when librarians answer, e.g. 'mon-fri 08:00-16:00', 'sat 08:00-12:00'")
    holidays: tuple[str, ...] = setting([], "dates the desk is closed, as YYYY-MM-DD")
    hold_librarian_notices: bool = setting(True, "outside office hours, hold new drafts and service requests for librarians and send each librarian one morning digest instead; false: send them at once, day and night")
    digest_at: str = setting("opening", "when the morning digest goes on an office day: 'opening' (when the desk opens) or a time such as '07:30'")
    max_questions_per_hour: int = setting(10, "questions one patron may ask per hour before a polite pause")
    refine_within_minutes: int = setting(30, "minutes after a list is sent in which a short narrowing message ('only books', 'yang bahasa Indonesia saja') refines that request; 0: only a quoted reply does")
    quiet_after_answer_minutes: int = setting(60, "minutes after the desk's last message to a patron in which their thanks or 'ok' gets no reply (the desk does not chat back forever); 0: always reply")


@dataclass(frozen=True)
class PrivacySettings:
    retention_days: int = setting(365, "days after which message bodies and media are purged (statistics stay)")
    erase_confirm_minutes: int = setting(10, "how long a patron has to confirm HAPUS DATA / DELETE MY DATA")


@dataclass(frozen=True)
class Librarian:
    name: str = setting("", "the librarian's name, shown to colleagues")
    phone: str = setting("", "the librarian's WhatsApp number, digits only with country code")


@dataclass(frozen=True)
class LanguageSettings:
    default: str = setting("id", "language patrons are answered in when theirs is unclear: id or en")


@dataclass(frozen=True)
class SearchSettings:
    deadline: float = setting(8.0, "seconds all sources together may take for one question")
    per_source: int = setting(20, "how many candidates each source is asked for")
    draft_size: int = setting(8, "how many items a draft proposes")


@dataclass(frozen=True)
class MatchSettings:
    source_weight: float = setting(0.5, "weight of the sources' own (fused) relevance")
    title_weight: float = setting(0.05, "weight of fuzzy similarity between the need and the title/subjects/abstract")
    year_weight: float = setting(0.1, "weight of agreement with the wanted years")
    kind_weight: float = setting(0.1, "weight of agreement with the wanted material kinds")
    language_weight: float = setting(0.1, "weight of agreement with the wanted languages")
    available_weight: float = setting(0.05, "weight of a copy being on the shelf")
    open_access_weight: float = setting(0.05, "weight of free access when the patron asked for open access")
    journal_weight: float = setting(0.03, "weight of being a journal article with an ISSN")
    named_weight: float = setting(1.0, "weight of being the very journal whose ISSN the patron wrote")
    citation_weight: float = setting(0.05, "weight of how often a work is cited (log scale)")
    citations_for_full_credit: int = setting(100, "citations at which a work gets the full citation weight")
    retracted_penalty: float = setting(10.0, "subtracted from a retracted work's score; it is never recommended")
    rrf_k: int = setting(60, "k of reciprocal-rank fusion across sources")
    duplicate_threshold: float = setting(92.0, "title similarity (0-100) above which two items with matching authors are one work")
    mix_each: int = setting(2, "when books and articles were both found, at least this many of each in a draft"
                                  " (never the kind a patron did not wish for)")
    mix_floor: float = setting(0.5, "how much of the need (0-1, by weight) an item must match to be brought into a"
                                    " draft to make room for books or articles")
    full_match: float = setting(0.6, "how much of the need (0-1) an item must match for a source's relevance to count"
                                     " in full when sources are fused; less counts in proportion")
    agreement_cap: float = setting(0.2, "the most a second source finding the same work adds to its fused relevance"
                                        " (a source's first place is 1.0)")
    curated_sources: tuple[str, ...] = setting(["zotero"], "sources that are the library's curated collections: a"
                                                           " signal about relevant works, not a relevance source")
    curated_weight: float = setting(0.1, "weight of a relevant work being in the library's curated collections")
    curated_alone: float = setting(0.75, "how much of the need (0-1) the title and abstract of a curated item no other"
                                         " source found must match for it to be proposed")
    confidence_strong: float = setting(0.8, "a draft is strong when its best item matches this much of the need (0-1)"
                                            " and the third-best is within confidence_gap of it")
    confidence_weak: float = setting(0.6, "a draft is weak when its best item matches less of the need than this (0-1)")
    confidence_gap: float = setting(0.3, "how far below the best the third-best item may be in a strong draft")
    recent_years: int = setting(10, "an item older than this many years is old, when the patron named no years")


@dataclass(frozen=True)
class SandboxSettings:
    enabled: bool = setting(False, "serve the local WhatsApp and Crossref stand-ins and the chat page at /sandbox")
    patron_phone: str = setting("6281200000001", "the patron number the sandbox chat page writes as")


@dataclass(frozen=True)
class WorkerSettings:
    poll_interval: float = setting(0.2, "seconds the worker waits when there is nothing to do")
    concurrency: int = setting(4, "how many questions the worker handles at once")
    max_attempts: int = setting(5, "how many times a message is retried after a crash before it is set aside")
    chore_interval: float = setting(60.0, "seconds between periodic chores (templates, window warnings, retention)")
    mode: str = setting("process", "where the worker runs: process (a child of refbot serve), inline (in the web process) or none (run refbot worker yourself)")


@dataclass(frozen=True)
class KohaSettings:
    enabled: bool = setting(False, "answer circulation codes and clearance letters from the library system (Koha)")
    base_url: str = setting("", "Koha's address; its REST API is under /api/v1 (with the sandbox: the local stand-in)")
    timeout: float = setting(8.0, "seconds one call to Koha may take")
    currency: str = setting("Rp", "how amounts of fines are written for patrons")


@dataclass(frozen=True)
class SlimsSettings:
    enabled: bool = setting(False, "answer circulation codes and clearance letters from SLiMS's database (read only;"
                                   " renewals go to a librarian, who makes them in SLiMS); not with koha.enabled")
    host: str = setting("127.0.0.1", "SLiMS's MySQL/MariaDB server")
    port: int = setting(3306, "its port")
    database: str = setting("slims", "SLiMS's database")
    user: str = setting("refbot", "a read-only account (GRANT SELECT on that database); its password is"
                                  " REFBOT_SLIMS_PASSWORD")
    timeout: float = setting(5.0, "seconds one question to SLiMS's database may take")


@dataclass(frozen=True)
class SnapSettings:
    ocr_languages: str = setting("ind+eng", "Tesseract language data used to read patrons' screenshots")
    ocr_timeout: float = setting(30.0, "seconds reading one image may take")
    match_threshold: float = setting(80.0, "FAQ similarity (0-100) below which a screenshot gets no suggested answer")
    max_media_bytes: int = setting(16_000_000, "largest image or PDF refbot downloads from a patron")
    faq_file: str = setting("", "the library's own FAQ of portal problems (YAML); empty: the built-in one")


@dataclass(frozen=True)
class LetterSettings:
    library_name: str = setting("Perpustakaan Universitas", "the library's name at the top of clearance letters")
    institution: str = setting("", "the parent institution printed above the library's name")
    address: str = setting("", "the library's address under the letterhead")
    city: str = setting("", "the city written before the letter's date")
    signatory_name: str = setting("", "who signs clearance letters")
    signatory_title: str = setting("Kepala Perpustakaan", "the signatory's position")
    number_format: str = setting("{seq:03d}/BP/PERPUS/{month}/{year}", "letter number; {seq}, {month} (Roman) and {year} are filled in")
    logo_path: str = setting("", "PNG or JPEG logo on the letterhead; empty: none")
    language: str = setting("", "language clearance letters are written in (id or en), whatever the patron writes;"
                                " empty: language.default")


@dataclass(frozen=True)
class SimilaritySettings:
    enabled: bool = setting(True, "take similarity-check requests (TURNITIN / CEK PLAGIASI with a PDF or DOCX)")
    max_bytes: int = setting(10_000_000, "largest manuscript a patron may send for a similarity check")
    quota_per_period: int = setting(3, "similarity checks one patron may ask for in each period")
    period_days: int = setting(30, "the length of that period in days (counted back from now)")
    keep_days: int = setting(30, "days a manuscript and its report are kept after the report is sent, then deleted")
    turnitin: bool = setting(False, "run checks through the Turnitin Core API (REFBOT_TURNITIN_API_KEY); a librarian"
                                    " only approves the result. Off: librarians run each check by hand")
    turnitin_base_url: str = setting("", "the library's Turnitin tenant, e.g. https://kampus.turnitin.com (the API is"
                                         " under /api/v1)")
    turnitin_integration_name: str = setting("refbot", "sent as X-Turnitin-Integration-Name")
    turnitin_timeout: float = setting(30.0, "seconds one Turnitin request may take")
    turnitin_owner: str = setting("refbot-library", "the Turnitin owner id submissions are made under (the library)")
    turnitin_poll_seconds: float = setting(60.0, "seconds between looks at a check Turnitin is still working on")
    turnitin_give_up_minutes: float = setting(120.0, "minutes after which a check Turnitin has not finished goes"
                                                      " to the librarians by hand")


@dataclass(frozen=True)
class Secrets:
    """Values only ever read from the environment."""

    whatsapp_token: Secret = field(default_factory=lambda: Secret(""))
    whatsapp_app_secret: Secret = field(default_factory=lambda: Secret(""))
    whatsapp_verify_token: Secret = field(default_factory=lambda: Secret(""))
    console_secret: Secret = field(default_factory=lambda: Secret(""))
    koha_client_id: Secret = field(default_factory=lambda: Secret(""))
    koha_client_secret: Secret = field(default_factory=lambda: Secret(""))
    zotero_api_key: Secret = field(default_factory=lambda: Secret(""))
    store_url: Secret = field(default_factory=lambda: Secret(""))
    metrics_token: Secret = field(default_factory=lambda: Secret(""))
    turnitin_api_key: Secret = field(default_factory=lambda: Secret(""))
    slims_password: Secret = field(default_factory=lambda: Secret(""))


SECRET_ENV = {
    "whatsapp_token": "REFBOT_WHATSAPP_TOKEN",
    "whatsapp_app_secret": "REFBOT_WHATSAPP_APP_SECRET",
    "whatsapp_verify_token": "REFBOT_WHATSAPP_VERIFY_TOKEN",
    "console_secret": "REFBOT_CONSOLE_SECRET",
    "koha_client_id": "REFBOT_KOHA_CLIENT_ID",
    "koha_client_secret": "REFBOT_KOHA_CLIENT_SECRET",
    "zotero_api_key": "REFBOT_ZOTERO_API_KEY",
    "store_url": "REFBOT_STORE_URL",
    "metrics_token": "REFBOT_METRICS_TOKEN",
    "turnitin_api_key": "REFBOT_TURNITIN_API_KEY",
    "slims_password": "REFBOT_SLIMS_PASSWORD",
}


LIBRARIES_HELP = (
    "the libraries this deployment serves, each a WhatsApp number: a list of {id, name, and any of "
    + ", ".join(f"{s}" for s in ("whatsapp", "librarians", "catalog", "desk", "letters", "koha", "slims", "zotero",
                                   "snap", "language", "match"))
    + " to set for that library alone}; what is not set there is taken from the top level. Empty: one library"
)
LIBRARY_SECTIONS = ("whatsapp", "librarians", "catalog", "desk", "letters", "koha", "slims", "zotero", "snap",
                    "language", "match")
"""The sections a library under ``libraries:`` may set for itself."""
DEFAULT_LIBRARY = "default"
"""The id of the one library of a deployment without ``libraries:``."""


@dataclass(frozen=True)
class Settings:
    server: ServerSettings = field(default_factory=ServerSettings, metadata={"help": "the web service"})
    store: StoreSettings = field(default_factory=StoreSettings, metadata={"help": "where refbot keeps its state"})
    log: LogSettings = field(default_factory=LogSettings, metadata={"help": "what the processes log and how"})
    metrics: MetricsSettings = field(default_factory=MetricsSettings, metadata={"help": "Prometheus metrics"})
    catalog: CatalogSettings = field(default_factory=CatalogSettings, metadata={"help": "the library's own catalog index"})
    crossref: CrossrefSettings = field(default_factory=CrossrefSettings, metadata={"help": "Crossref, for journal articles"})
    journals: JournalSettings = field(default_factory=JournalSettings,
                                      metadata={"help": "journal accreditation: DOAJ and the library's SINTA list"})
    zotero: ZoteroSettings = field(default_factory=ZoteroSettings, metadata={"help": "Zotero, for the library's curated lists"})
    whatsapp: WhatsAppSettings = field(default_factory=WhatsAppSettings, metadata={"help": "the WhatsApp Cloud API channel"})
    librarians: tuple[Librarian, ...] = field(default=(), metadata={"help": "librarians who receive drafts: a list of {name, phone}"})
    language: LanguageSettings = field(default_factory=LanguageSettings, metadata={"help": "patron-facing language"})
    search: SearchSettings = field(default_factory=SearchSettings, metadata={"help": "how a question is searched"})
    match: MatchSettings = field(default_factory=MatchSettings, metadata={"help": "ranking weights and thresholds"})
    sandbox: SandboxSettings = field(default_factory=SandboxSettings, metadata={"help": "the built-in local stand-ins"})
    worker: WorkerSettings = field(default_factory=WorkerSettings, metadata={"help": "the background worker"})
    desk: DeskSettings = field(default_factory=DeskSettings, metadata={"help": "office hours and patron limits"})
    privacy: PrivacySettings = field(default_factory=PrivacySettings, metadata={"help": "retention and erasure of personal data"})
    koha: KohaSettings = field(default_factory=KohaSettings, metadata={"help": "the library system, for circulation and clearance"})
    slims: SlimsSettings = field(default_factory=SlimsSettings,
                                 metadata={"help": "SLiMS's database, for circulation and clearance (instead of Koha)"})
    snap: SnapSettings = field(default_factory=SnapSettings, metadata={"help": "snap and send: reading patrons' screenshots"})
    letters: LetterSettings = field(default_factory=LetterSettings, metadata={"help": "clearance letters (bebas pustaka)"})
    similarity: SimilaritySettings = field(default_factory=SimilaritySettings,
                                           metadata={"help": "similarity checks (Turnitin) of patrons' manuscripts"})
    secrets: Secrets = field(default_factory=Secrets, metadata={"help": "from the environment only"})
    base_dir: str = field(default=".", metadata={"help": "folder relative paths are resolved against (the config file's folder)"})
    libraries: tuple[Library, ...] = field(default=(), metadata={"help": LIBRARIES_HELP})
    library_id: str = field(default="", metadata={"help": "the library these settings are for ('' when there is one)"})
    library_name: str = field(default="", metadata={"help": "that library's name"})

    def path(self, value: str) -> Path:
        """Resolve a configured path against the config file's folder."""
        p = Path(value)
        return p if p.is_absolute() else Path(self.base_dir) / p

    @property
    def store_location(self) -> str:
        """Where the state is kept: ``REFBOT_STORE_URL``, else ``store.url``, else the SQLite file at ``store.path``.

        Each library of a deployment with ``libraries:`` has a store of its own: a schema
        ``library_<id>`` in the PostgreSQL database, or a SQLite file ``<name>.<id>.sqlite3`` beside
        ``store.path``. Nothing one library keeps is in another's store.
        """
        url = self.secrets.store_url.get() or self.store.url
        if url:
            return _with_schema(url, "library_" + self.library_id.replace("-", "_")) if self.library_id else url
        path = self.path(self.store.path)
        return str(path.with_name(f"{path.stem}.{self.library_id}{path.suffix}") if self.library_id else path)

    @property
    def data_dir(self) -> Path:
        """The folder for this library's files beside the store (media, letters, exports)."""
        folder = self.path(self.store.path).parent
        return folder / "libraries" / self.library_id if self.library_id else folder

    def library(self, library_id: str | None) -> Settings:
        """The settings of the library ``library_id`` (None: the only one).

        Raises:
            ConfigError: no such library, or none named where there are several.
        """
        libraries = self.each_library()
        if library_id is None:
            if len(libraries) > 1:
                raise ConfigError("--library", "this deployment serves "
                                  + ", ".join(lib.id for lib in libraries) + "; say which with --library ID")
            return libraries[0].settings
        for lib in libraries:
            if lib.id == library_id:
                return lib.settings
        raise ConfigError("--library", f"no library '{library_id}' here; there are: "
                          + ", ".join(lib.id for lib in libraries))

    def each_library(self) -> tuple[Library, ...]:
        """The libraries this deployment serves: those under ``libraries:``, or this one alone."""
        if self.libraries:
            return self.libraries
        return (Library(DEFAULT_LIBRARY, self.library_name or DEFAULT_LIBRARY, self),)

    @property
    def on_postgres(self) -> bool:
        """Whether the state is in PostgreSQL (shared by every node) rather than a SQLite file."""
        return is_postgres_url(self.store_location)

    @property
    def public_url(self) -> str:
        """The URL the service is reached at."""
        return self.server.public_url.rstrip("/") or f"http://{self.server.host}:{self.server.port}"


@dataclass(frozen=True)
class Library:
    """One library of the deployment: its id, its name, and the settings it runs with."""

    id: str
    name: str
    settings: Settings


def is_postgres_url(location: str) -> bool:
    """Whether a store location names a PostgreSQL database rather than a SQLite file."""
    return location.startswith(("postgresql://", "postgres://"))


def _with_schema(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}schema={schema}"


def _merged(top: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """``top`` with a library's own sections laid over it, key by key (lists are replaced whole)."""
    merged = dict(top)
    for key, value in own.items():
        if isinstance(value, dict) and isinstance(top.get(key), dict):
            merged[key] = _merged(top[key], value)
        else:
            merged[key] = value
    return merged


def _libraries(raw: Any, top: dict[str, Any], base: Settings) -> tuple[Library, ...]:
    """Each entry of ``libraries:`` built into the settings that library runs with."""
    if raw is None or raw == []:
        return ()
    if not isinstance(raw, list):
        raise ConfigError("libraries", f"expected a list, got {type(raw).__name__}")
    found: list[Library] = []
    for i, entry in enumerate(raw):
        key = f"libraries[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(key, "expected a mapping with id, name and the library's own sections")
        unknown = set(entry) - {"id", "name", *LIBRARY_SECTIONS}
        if unknown:
            raise ConfigError(f"{key}.{sorted(unknown)[0]}", "a library may set only id, name and "
                              + ", ".join(LIBRARY_SECTIONS) + "; the rest is the deployment's")
        library_id = str(entry.get("id", ""))
        if not library_id or not all(c.isascii() and (c.isalnum() or c in "_-") for c in library_id) \
                or library_id != library_id.lower():
            raise ConfigError(f"{key}.id", "a short name of lowercase letters, digits, - and _ is required")
        own = {k: v for k, v in entry.items() if k in LIBRARY_SECTIONS}
        settings = _build(Settings, _merged(top, own), f"{key}.")
        settings = dataclasses.replace(settings, secrets=base.secrets, base_dir=base.base_dir, library_id=library_id,
                                       library_name=str(entry.get("name") or library_id))
        found.append(Library(library_id, settings.library_name, settings))
    _check_distinct(found)
    return tuple(found)


def _check_distinct(libraries: list[Library]) -> None:
    ids, numbers = set(), set()
    for i, library in enumerate(libraries):
        if library.id in ids:
            raise ConfigError(f"libraries[{i}].id", f"'{library.id}' is used by two libraries")
        number = library.settings.whatsapp.phone_number_id
        if not number and len(libraries) > 1:
            raise ConfigError(f"libraries[{i}].whatsapp.phone_number_id", "each library needs its own WhatsApp number")
        if number and number in numbers:
            raise ConfigError(f"libraries[{i}].whatsapp.phone_number_id", f"{number} is another library's number")
        ids.add(library.id)
        numbers.add(number)


def load_settings(path: str | Path | None = None, env: typing.Mapping[str, str] | None = None) -> Settings:
    """Read settings from a YAML file (optional) and secrets from the environment.

    Raises:
        ConfigError: the file cannot be read, or a key is unknown or of the wrong type.
    """
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    base_dir = "."
    if path is not None:
        p = Path(path)
        try:
            loaded = yaml.safe_load(p.read_text(encoding="utf-8"))
        except OSError as e:
            raise ConfigError(str(p), f"cannot read the file: {e.strerror}") from e
        except yaml.YAMLError as e:
            raise ConfigError(str(p), f"not valid YAML: {e}") from e
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(str(p), "the file must hold a mapping of keys")
        data = loaded or {}
        base_dir = str(p.resolve().parent)
    for key in ("secrets", "base_dir"):
        if key in data:
            raise ConfigError(key, "cannot be set in the file; secrets come from REFBOT_… environment variables")
    for key in ("library_id", "library_name"):
        if key in data:
            raise ConfigError(key, "is set for each library under libraries:, not at the top")
    _override_from_env(data, env)
    raw_libraries = data.pop("libraries", None)
    settings = _build(Settings, data, "")
    secrets = Secrets(**{name: Secret(env.get(var, "")) for name, var in SECRET_ENV.items()})
    settings = dataclasses.replace(settings, secrets=secrets, base_dir=base_dir)
    return dataclasses.replace(settings, libraries=_libraries(raw_libraries, data, settings))


ENV_PREFIX = "REFBOT_"
ENV_SEPARATOR = "__"
"""``REFBOT_SERVER__PORT=8081`` sets ``server.port``; ``REFBOT_LIBRARIES__UNDIP__WHATSAPP__PHONE_NUMBER_ID``
sets ``whatsapp.phone_number_id`` of the library ``undip``. Secrets (one underscore) are apart."""


def env_overrides(env: typing.Mapping[str, str]) -> dict[str, tuple[tuple[str, ...], str]]:
    """The settings the environment overrides: variable → (key path, its text), in a stable order."""
    found = {}
    for var in sorted(env):
        if var.startswith(ENV_PREFIX) and ENV_SEPARATOR in var:
            found[var] = (tuple(part.lower() for part in var[len(ENV_PREFIX):].split(ENV_SEPARATOR)), env[var])
    return found


def _override_from_env(data: dict[str, Any], env: typing.Mapping[str, str]) -> None:
    """Lay every ``REFBOT_<SECTION>__<KEY>`` variable over the file's values, typed as the setting is.

    Any other ``REFBOT_`` variable must be a secret or ``REFBOT_CONFIG``: a misspelt one
    (``REFBOT_SERVER_PORT``, ``REFBOT_WHATSAP_TOKEN``) would otherwise be ignored without a word.
    """
    known = {*SECRET_ENV.values(), "REFBOT_CONFIG"}
    for var in sorted(env):
        if var.startswith(ENV_PREFIX) and ENV_SEPARATOR not in var and var not in known:
            raise ConfigError(var, "not a variable refbot reads: a setting is overridden as REFBOT_<SECTION>__<KEY>"
                              " (two underscores, e.g. REFBOT_SERVER__PORT); the secrets are " + ", ".join(SECRET_ENV.values()))
    for var, (path, text) in env_overrides(env).items():
        if path[0] == "libraries":
            _override_library(data, var, path[1:], text)
            continue
        _set(data, path, _env_value(Settings, path, text, var))


def _override_library(data: dict[str, Any], var: str, path: tuple[str, ...], text: str) -> None:
    if len(path) < 2 or path[1] not in LIBRARY_SECTIONS:
        raise ConfigError(var, "expected REFBOT_LIBRARIES__<ID>__<SECTION>__<KEY>, SECTION one of "
                          + ", ".join(LIBRARY_SECTIONS))
    entries = data.get("libraries") or []
    entry = next((e for e in entries if isinstance(e, dict) and str(e.get("id", "")).lower() == path[0]), None)
    if entry is None:
        raise ConfigError(var, f"no library with the id '{path[0]}' under libraries:")
    _set(entry, path[1:], _env_value(Settings, path[1:], text, var))


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        inner = data.get(part)
        data[part] = inner = dict(inner) if isinstance(inner, dict) else {}
        data = inner
    data[path[-1]] = value


def _env_value(cls: type, path: tuple[str, ...], text: str, var: str) -> Any:
    """``text`` read as the setting at ``path`` is typed: a str as it stands, a number or yes/no parsed."""
    hint: Any = cls
    for part in path:
        known = {f.name for f in dataclasses.fields(hint)} - {"secrets", "base_dir", "library_id", "library_name",
                                                               "libraries"} if dataclasses.is_dataclass(hint) else set()
        if part not in known:
            raise ConfigError(var, "no such setting" + (f"; known here: {', '.join(sorted(known))}" if known else ""))
        hint = typing.get_type_hints(hint)[part]
    if dataclasses.is_dataclass(hint):
        raise ConfigError(var, "names a section; name one of its keys (REFBOT_SECTION__KEY)")
    if hint is str:
        return text
    if hint is bool:
        lowered = text.strip().lower()
        if lowered not in _BOOLEANS:
            raise ConfigError(var, f"expected true or false, got {text!r}")
        return _BOOLEANS[lowered]
    try:
        value = yaml.safe_load(text)  # numbers, and lists written as YAML: [a, b] or [{name: A, phone: "62…"}]
    except yaml.YAMLError as e:
        raise ConfigError(var, f"not a value YAML can read: {e}") from e
    if hint in (int, float) and (not isinstance(value, int | float) or isinstance(value, bool)):
        raise ConfigError(var, f"expected a number, got {text!r}")
    return value


_BOOLEANS = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}


def origins(path: str | Path | None, env: typing.Mapping[str, str]) -> dict[str, str]:
    """Where each setting that is not a default came from: dotted key → the file's name or the variable."""
    found: dict[str, str] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            loaded = {}
        for key in _dotted(loaded if isinstance(loaded, dict) else {}):
            found[key] = Path(path).name
    for var, (keys, _text) in env_overrides(env).items():
        found[".".join(keys)] = var
    return found


def _dotted(data: dict[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key, value in data.items():
        if isinstance(value, dict) and key != "libraries":
            keys.extend(_dotted(value, f"{prefix}{key}."))
        else:
            keys.append(f"{prefix}{key}")
    return keys


def _build(cls: type, data: Any, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(prefix.rstrip(".") or "(top)", f"expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    for key in data:
        if key not in known:
            raise ConfigError(f"{prefix}{key}", f"unknown key; known keys here: {', '.join(sorted(known))}")
    values = {key: _convert(hints[key], value, f"{prefix}{key}") for key, value in data.items()}
    for key, value in values.items():
        rule = RULES.get(f"{prefix}{key}".split("[")[0])
        problem = rule(value) if rule is not None else None
        if problem:
            raise ConfigError(f"{prefix}{key}", f"{problem}, not {value!r}")
    return cls(**values)


def _convert(hint: Any, value: Any, key: str) -> Any:
    if dataclasses.is_dataclass(hint):
        return _build(typing.cast(type, hint), value if value is not None else {}, key + ".")
    origin = typing.get_origin(hint)
    if origin is tuple:
        item = typing.get_args(hint)[0]
        if not isinstance(value, list):
            raise ConfigError(key, f"expected a list, got {type(value).__name__}")
        return tuple(_convert(item, v, f"{key}[{i}]") for i, v in enumerate(value))
    if origin in (typing.Union, types.UnionType):
        raise ConfigError(key, "unsupported setting type")
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is str and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # phone numbers written without quotes
    if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
        raise ConfigError(key, f"expected {hint.__name__}, got {type(value).__name__} {value!r}")
    return value


Rule = typing.Callable[[Any], "str | None"]


def _positive(value: float) -> str | None:
    return None if value > 0 else "must be more than 0"


def _not_negative(value: float) -> str | None:
    return None if value >= 0 else "must be 0 or more"


def _between(low: float, high: float) -> Rule:
    return lambda value: None if low <= value <= high else f"must be between {low:g} and {high:g}"


def _one_of(*choices: str) -> Rule:
    return lambda value: None if value in choices else f"must be one of {', '.join(choices)}"


def _url(value: str) -> str | None:
    return None if not value or value.startswith(("http://", "https://")) else "must be an http:// or https:// URL"


def _time_zone(value: str) -> str | None:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "must be a time zone such as Asia/Jakarta"
    return None


DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(text: str) -> float | None:
    """``30m``, ``6h``, ``1d`` (or a bare number of seconds) in seconds; None when empty or unreadable."""
    text = text.strip().lower()
    unit = DURATION_UNITS.get(text[-1:], 0) if text else 0
    number = text[:-1] if unit else text
    try:
        seconds = float(number) * (unit or 1)
    except ValueError:
        return None
    return seconds if seconds > 0 else None


def _harvest_sources(value: Any) -> str | None:
    # Rules are looked up by the key without its list index, so the fields of each source
    # (catalog.harvest[0].url) come here too, one value at a time: only the whole list is judged.
    if not isinstance(value, tuple):
        return None
    names = [source.name for source in value]
    for source in value:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", source.name):
            return f"each source needs a name of letters, digits, '.', '_' or '-' ({source.name!r} is not one)"
        if not source.url.startswith(("http://", "https://")):
            return f"the url of {source.name} must be an http:// or https:// URL"
        if not source.metadata_prefix:
            return f"the metadata_prefix of {source.name} must not be empty"
        if source.every and duration_seconds(source.every) is None:
            return f"the every of {source.name} must be a duration such as 30m, 6h or 1d ({source.every!r} is not)"
    doubled = sorted({n for n in names if names.count(n) > 1})
    return f"source names must differ ({', '.join(doubled)} is given twice)" if doubled else None


def _dates(value: tuple[str, ...]) -> str | None:
    import datetime

    for day in value:
        try:
            datetime.date.fromisoformat(day)
        except ValueError:
            return f"dates must be YYYY-MM-DD ({day!r} is not)"
    return None


_POSITIVE = """
    catalog.timeout catalog.keep_generations crossref.timeout crossref.rows crossref.max_concurrent
    crossref.rate_limit journals.doaj_timeout journals.doaj_max_concurrent zotero.timeout zotero.sync_interval whatsapp.send_timeout whatsapp.max_attempts
    whatsapp.messages_per_second search.deadline search.per_source search.draft_size worker.poll_interval
    worker.concurrency worker.max_attempts worker.chore_interval koha.timeout slims.timeout snap.ocr_timeout
    snap.max_media_bytes desk.max_questions_per_hour privacy.retention_days privacy.erase_confirm_minutes
    match.rrf_k match.citations_for_full_credit
    similarity.max_bytes similarity.quota_per_period similarity.period_days similarity.keep_days
    similarity.turnitin_timeout similarity.turnitin_poll_seconds similarity.turnitin_give_up_minutes
"""
_NOT_NEGATIVE = """
    crossref.cache_ttl crossref.stale_ttl journals.doaj_cache_ttl journals.doaj_stale_ttl whatsapp.unsure_wait_seconds whatsapp.unsure_give_up_minutes
    whatsapp.window_warning_minutes desk.quiet_after_answer_minutes
    match.source_weight match.title_weight match.year_weight match.kind_weight match.language_weight
    match.available_weight match.open_access_weight match.journal_weight match.named_weight match.citation_weight
    match.retracted_penalty match.mix_each
"""
RULES: dict[str, Rule] = {
    **{key: _positive for key in _POSITIVE.split()},
    **{key: _not_negative for key in _NOT_NEGATIVE.split()},
    "server.port": _between(1, 65535),
    "catalog.max_reject_ratio": _between(0, 1),
    "catalog.harvest": _harvest_sources,
    "match.duplicate_threshold": _between(0, 100),
    **{f"match.{key}": _between(0, 1) for key in ("mix_floor", "full_match", "curated_alone", "confidence_strong",
                                                   "confidence_weak", "confidence_gap", "agreement_cap")},
    "match.curated_weight": _not_negative,
    "match.recent_years": _positive,
    "snap.match_threshold": _between(0, 100),
    "language.default": _one_of("id", "en"),
    "letters.language": _one_of("", "id", "en"),
    "worker.mode": _one_of("process", "inline", "none"),
    "log.format": _one_of("text", "json"),
    "log.level": _one_of("debug", "info", "warning", "error"),
    "metrics.port": _between(0, 65535),
    "zotero.library_type": _one_of("group", "user"),
    "desk.timezone": _time_zone,
    "desk.holidays": _dates,
    "server.public_url": _url,
    "crossref.base_url": _url,
    "journals.doaj_base_url": _url,
    "zotero.api_base": _url,
    "whatsapp.graph_api_base": _url,
    "whatsapp.retry_for_minutes": _between(1, 1440),
    "koha.base_url": _url,
    "slims.port": _between(1, 65535),
    "similarity.turnitin_base_url": _url,
}
"""What a value must be besides its type, by key; a value that breaks its rule stops start-up."""


def value_at(settings: Settings, key: str) -> Any:
    """The value of a dotted setting key (``server.port``) in ``settings``."""
    value: Any = settings
    for part in key.split("."):
        value = getattr(value, part)
    return value


def describe(cls: type = Settings, prefix: str = "") -> list[tuple[str, str, str]]:
    """Every setting as (key, default, meaning), for docs and ``refbot config``."""
    rows: list[tuple[str, str, str]] = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if not prefix and f.name in ("secrets", "base_dir", "library_id", "library_name"):
            continue
        if f.name == "libraries":
            rows.append((f"{prefix}libraries", "[]", LIBRARIES_HELP))
            continue
        hint = hints[f.name]
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(hint):
            rows.extend(describe(typing.cast(type, hint), key + "."))
            continue
        if typing.get_origin(hint) is tuple:
            item = typing.get_args(hint)[0]
            shown = repr(list(f.default)) if isinstance(f.default, tuple) else "[]"
            rows.append((key, shown, f.metadata.get("help", "")))
            if dataclasses.is_dataclass(item):
                rows.extend(describe(typing.cast(type, item), key + "[]."))
            continue
        rows.append((key, repr(f.default), f.metadata.get("help", "")))
    return rows
