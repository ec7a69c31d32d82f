"""What refbot counts for a library's IT office, in Prometheus's text format (prometheus-client).

Each process records what it does in a :class:`Metrics` of its own: the web process the
webhooks it takes and refuses; the worker the drafts it makes (and how long after the webhook
each was ready), every source's answer time and failures, and every send's outcome. What waits
in the store (the journal and inbox backlogs, sends due, sends in doubt, messages held for a
shut 24-hour window) is read from the store when Prometheus scrapes (:class:`StoreFigures`),
so it is right whichever process did the work.

**Where the worker's counters go.** ``worker.mode: inline``: they are the web process's own.
``worker.mode: process`` (one machine): the worker child writes them to a folder the web
process made for it (prometheus-client's multiprocess mode, :func:`write_to_folder`), and the
web process adds them up at each scrape, so one scrape of ``refbot serve`` shows the whole
desk, across restarts of the child too. ``worker.mode: none`` with ``refbot worker`` (another
machine, or several workers on PostgreSQL): each worker serves its own listener on
``metrics.host:metrics.port`` and Prometheus scrapes every process; the store's gauges are the
same from every node (take their ``max``), the counters add up (``sum``).

Nothing here carries a patron's number or words: labels are library ids, source names,
outcomes and reasons, all from short fixed lists.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from refbot.config import DEFAULT_LIBRARY, Settings
from refbot.errors import ConfigError

if TYPE_CHECKING:
    from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The Prometheus text format's content type."""
DRAFT_BUCKETS = (1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)
"""Seconds from a webhook's arrival to its draft: most within seconds; a backlog shows in the tail."""
SOURCE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
"""Seconds a source took to answer (the search deadline is a few seconds)."""
REFUSALS = ("bad_signature", "malformed_body", "body_too_large", "not_stored", "unknown_number")
"""Why a webhook (or a change in it) was not taken in."""
OUTCOMES = ("sent", "retry", "failed", "held", "unsure")
"""What became of one try at a send."""


class Metrics:
    """One process's counters and histograms; with ``enabled`` False every call does nothing."""

    def __init__(self, enabled: bool = False, libraries: Sequence[str] = ()) -> None:
        self.enabled = enabled
        if not enabled:
            return
        from prometheus_client import CollectorRegistry, Counter, Histogram

        r = self.registry = CollectorRegistry(auto_describe=False)
        self.received = Counter("refbot_webhooks_received", "Webhook bodies written down and answered 200",
                                registry=r)
        self.refused = Counter("refbot_webhooks_refused", "Webhooks (or changes in them) not taken in, by reason",
                               ["reason"], registry=r)
        self.drafts = Counter("refbot_drafts", "Drafts made for patrons' questions", ["library"], registry=r)
        self.draft_latency = Histogram("refbot_draft_latency_seconds", "From a question's webhook to its draft",
                                       ["library"], buckets=DRAFT_BUCKETS, registry=r)
        self.source_latency = Histogram("refbot_source_latency_seconds", "How long each source took to answer",
                                        ["library", "source"], buckets=SOURCE_BUCKETS, registry=r)
        self.source_failures = Counter("refbot_source_failures", "Searches a source failed or did not answer in time",
                                       ["library", "source"], registry=r)
        self.sends = Counter("refbot_sends", "Tries at sending a message, by outcome", ["library", "outcome"],
                             registry=r)
        for reason in REFUSALS:  # a refusal that never happened reads 0, not "no data"
            self.refused.labels(reason)
        for library in libraries:
            self.drafts.labels(library)
            for outcome in OUTCOMES:
                self.sends.labels(library, outcome)

    def webhook_received(self) -> None:
        """A webhook body was written down."""
        if self.enabled:
            self.received.inc()

    def webhook_refused(self, reason: str, count: int = 1) -> None:
        """A webhook, or ``count`` changes in one, was not taken in (``reason`` from :data:`REFUSALS`)."""
        if self.enabled:
            self.refused.labels(reason).inc(count)

    def library(self, library: str) -> LibraryMetrics:
        """What the worker of ``library`` records."""
        return LibraryMetrics(self, library or DEFAULT_LIBRARY)


@dataclass(frozen=True)
class LibraryMetrics:
    """The worker's records for one library (the ``library`` label)."""

    metrics: Metrics
    library: str = DEFAULT_LIBRARY

    @property
    def enabled(self) -> bool:
        return self.metrics.enabled

    def draft_made(self, seconds: float | None) -> None:
        """A draft is ready, ``seconds`` after its webhook arrived (None: not known)."""
        if self.enabled:
            self.metrics.drafts.labels(self.library).inc()
            if seconds is not None:
                self.metrics.draft_latency.labels(self.library).observe(max(0.0, seconds))

    def source_answered(self, source: str, seconds: float, failed: bool) -> None:
        """A source answered (or failed) after ``seconds``."""
        if self.enabled:
            self.metrics.source_latency.labels(self.library, source).observe(seconds)
            if failed:
                self.metrics.source_failures.labels(self.library, source).inc()

    def send(self, outcome: str) -> None:
        """One try at a send ended in ``outcome`` (from :data:`OUTCOMES`)."""
        if self.enabled:
            self.metrics.sends.labels(self.library, outcome).inc()


NO_METRICS = Metrics(False)
"""Records nothing: for parts built without monitoring (tests, commands)."""


@dataclass(frozen=True)
class StoreFigures:
    """What waits in one library's store, read just before a scrape is answered."""

    library: str
    journal_waiting: int
    inbox_waiting: int
    oldest_inbox_seconds: float
    outbox_due: int
    sends_in_doubt: int
    held: int


GAUGES = (
    ("refbot_journal_backlog", "Webhooks written down and not yet applied by the worker", "journal_waiting"),
    ("refbot_inbox_backlog", "Patrons' messages waiting for the worker or in its hands", "inbox_waiting"),
    ("refbot_inbox_oldest_waiting_seconds", "How long the oldest waiting message has waited", "oldest_inbox_seconds"),
    ("refbot_outbox_due", "Messages due to be sent now", "outbox_due"),
    ("refbot_sends_in_doubt", "Sends whose arrival is unknown, waiting for WhatsApp's word", "sends_in_doubt"),
    ("refbot_messages_held", "Messages held until the patron writes again (24-hour window shut)", "held"),
)


def check_metrics_settings(settings: Settings) -> None:
    """Metrics on the web service's own port need a token.

    Raises:
        ConfigError: ``metrics.enabled`` with ``metrics.port`` 0 and no REFBOT_METRICS_TOKEN.
    """
    m = settings.metrics
    if m.enabled and m.port == 0 and not settings.secrets.metrics_token.get():
        raise ConfigError("metrics.port", "metrics are served at /metrics on the web service's own port only with "
                          "a token: set REFBOT_METRICS_TOKEN, or give metrics.port a listener of its own "
                          "(on metrics.host)")


def authorized(header: str, token: str) -> bool:
    """Whether an ``Authorization`` header carries the metrics token."""
    scheme, _, given = header.partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def write_to_folder(folder: str) -> None:
    """Make this process's metrics (those made after this call) live in files under ``folder``.

    For the worker child only, before it builds anything: prometheus-client's multiprocess
    mode is chosen per process, and the child is a process of its own.
    """
    from prometheus_client import values

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    values.ValueClass = values.MultiProcessValue()


def exposition(metrics: Metrics, figures: Iterable[StoreFigures], folder: str | None = None) -> bytes:
    """The scrape's body: this process's records, the worker child's (from ``folder``), and the store's figures."""
    from prometheus_client import CollectorRegistry, generate_latest

    sources: list[Collector] = [metrics.registry] if metrics.enabled else []
    if folder is not None and os.path.isdir(folder):
        from prometheus_client.multiprocess import MultiProcessCollector

        sources.append(MultiProcessCollector(None, folder))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Sum(sources))
    registry.register(_Figures(list(figures)))
    return generate_latest(registry)


class _Sum:
    """The same families from several processes as one: samples with the same name and labels added up."""

    def __init__(self, sources: list[Collector]) -> None:
        self.sources = sources

    def collect(self) -> Iterator[Any]:
        from prometheus_client.metrics_core import Metric

        families: dict[str, Metric] = {}
        values: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}
        for source in self.sources:
            for family in source.collect():
                families.setdefault(family.name, Metric(family.name, family.documentation, family.type))
                sums = values.setdefault(family.name, {})
                for s in family.samples:
                    if s.name.endswith("_created"):  # a start time: meaningless once summed
                        continue
                    key = (s.name, tuple(sorted(s.labels.items())))
                    sums[key] = sums.get(key, 0.0) + s.value
        for name, family in families.items():
            for (sample, labels), value in values[name].items():
                family.add_sample(sample, dict(labels), value)
            yield family


class _Figures:
    """The store's figures as gauges, one series per library."""

    def __init__(self, figures: list[StoreFigures]) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        for name, documentation, attribute in GAUGES:
            gauge = GaugeMetricFamily(name, documentation, labels=["library"])
            for f in self.figures:
                gauge.add_metric([f.library], float(getattr(f, attribute)))
            yield gauge
