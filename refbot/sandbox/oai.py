"""A stand-in for an institutional repository's OAI-PMH endpoint (EPrints-like), for tests and the demo.

It speaks OAI-PMH 2.0 in the shapes the recorded real answers in ``../shared/data/oai/`` have
(arXiv, Zenodo, EPrints/DSpace via the specification's examples): ``Identify``,
``ListMetadataFormats`` (oai_dc), ``ListSets``, ``ListRecords`` and ``ListIdentifiers`` in pages
with a ``resumptionToken`` (``cursor`` and ``completeListSize``, empty on the last page),
``GetRecord``, deleted records (``status="deleted"``, no metadata; ``deletedRecord``
persistent), and the protocol's errors with HTTP 200 as EPrints and DSpace send them
(``noRecordsMatch``, ``badResumptionToken``, ``badArgument``, ``badVerb``,
``cannotDisseminateFormat``, ``idDoesNotExist``). Datestamps have seconds granularity.

It is seeded with 30 Indonesian theses and papers of a made-up university (:data:`SEED`), each
with its PDF's URL in ``dc:identifier`` as EPrints writes it. Faults, set on
``app[OAI_STATE]`` or with ``POST /_control`` (JSON)::

    {"unavailable": 2, "retry_after": 1}   the next two requests answer 503 with Retry-After: 1
    {"refuse_token": 1}                    the next request with a token gets badResumptionToken
    {"hang_on_page": 2}                    the second page of a list hangs until released (or 600 s)
    {"reset": true}                        back to the seeded records, no faults

``state.requests`` lists every request's arguments, for tests to see what a harvester asked.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import contextlib
import datetime
import json
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from aiohttp import web

BASE = "https://repositori.contoh.ac.id"
DOMAIN = "repositori.contoh.ac.id"
NAME = "Repositori Institusi Universitas Contoh"
SETS = {"skripsi": "Skripsi (S1)", "tesis": "Tesis (S2)", "disertasi": "Disertasi (S3)", "artikel": "Artikel jurnal"}
_DC_FIELDS = ("title", "creator", "subject", "description", "publisher", "contributor", "date", "type", "format",
              "identifier", "relation", "language")


@dataclass
class Item:
    """One record of the repository: an OAI identifier, when it last changed, and its Dublin Core.

    A record is changed by putting a changed one (:meth:`OaiState.put`), which renders its XML.
    """

    number: int
    datestamp: datetime.datetime
    dc: dict[str, list[str]] = field(default_factory=dict)
    sets: tuple[str, ...] = ()
    deleted: bool = False

    @property
    def identifier(self) -> str:
        return f"oai:{DOMAIN}:{self.number}"

    @property
    def stamp(self) -> str:
        return _stamp(self.datestamp)


@dataclass
class OaiState:
    """The repository's records and the faults to show; tests change both directly."""

    page_size: int = 10
    items: dict[int, Item] = field(default_factory=dict)
    unavailable: int = 0
    retry_after: int = 1
    refuse_token: int = 0
    hang_on_page: int = 0
    hang_seconds: float = 600.0
    requests: list[dict[str, str]] = field(default_factory=list)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    _order: list[tuple[str, int]] | None = None
    _lists: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)
    _xml: dict[int, tuple[Item, str, str]] = field(default_factory=dict)

    def put(self, item: Item) -> None:
        """Add or change a record (its datestamp says when)."""
        self.items[item.number] = item
        self._order = None
        self._lists.clear()
        self._xml[item.number] = _rendered(item)

    def xml(self, number: int, headers_only: bool) -> str:
        """A record as a list shows it, rendered when it was put rather than for every page that holds it.

        A real repository is another machine: the stand-in's own CPU, on the harvester's, should
        cost about what sending the page does. A record put in ``items`` directly is rendered here.
        """
        item = self.items[number]
        cached = self._xml.get(number)
        if cached is None or cached[0] is not item:
            cached = self._xml[number] = _rendered(item)
        return cached[1] if headers_only else cached[2]

    def delete(self, number: int, when: datetime.datetime | None = None) -> None:
        """Mark a record deleted, as a repository with persistent deletions does."""
        item = self.items[number]
        self.put(Item(number, when or _now(), {}, item.sets, deleted=True))

    def ordered(self) -> list[tuple[str, int]]:
        """(datestamp, number) of every record, oldest first; kept until the records change."""
        if self._order is None:
            self._order = sorted((item.stamp, item.number) for item in self.items.values())
        return self._order

    def release(self) -> None:
        """Let a hanging page go (it then answers 503)."""
        self.released.set()


OAI_STATE = web.AppKey("oai_state", OaiState)


def create_oai_standin(*, seed: bool = True, page_size: int = 10) -> web.Application:
    """The OAI-PMH stand-in as an aiohttp app: the endpoint is its ``/`` (``/sandbox/oai/`` when mounted)."""
    state = OaiState(page_size=page_size)
    if seed:
        seed_theses(state)
    app = web.Application()
    app[OAI_STATE] = state
    app.router.add_route("GET", "/", _endpoint)
    app.router.add_route("POST", "/", _endpoint)
    app.router.add_post("/_control", _control)
    app.on_shutdown.append(_release)
    return app


async def _release(app: web.Application) -> None:
    app[OAI_STATE].release()


async def _control(request: web.Request) -> web.Response:
    state = request.app[OAI_STATE]
    body = await request.json()
    if body.get("reset"):
        state.items.clear()
        seed_theses(state)
        state.unavailable = state.refuse_token = state.hang_on_page = 0
    for key in ("unavailable", "retry_after", "refuse_token", "hang_on_page"):
        if key in body:
            setattr(state, key, int(body[key]))
    return web.json_response({"ok": True})


async def _endpoint(request: web.Request) -> web.StreamResponse:
    state = request.app[OAI_STATE]
    args = dict(await request.post()) if request.method == "POST" else dict(request.query)
    args = {k: str(v) for k, v in args.items()}
    state.requests.append(args)
    if state.unavailable > 0:
        state.unavailable -= 1
        return web.Response(status=503, text="Service Unavailable: harvesting paused, try again",
                            headers={"Retry-After": str(state.retry_after)})
    verb = args.get("verb", "")
    handler = _VERBS.get(verb)
    try:
        if handler is None:
            raise _Error("badVerb", "Illegal OAI verb")
        body = await handler(state, args)
    except _Error as error:
        body = f'<error code="{error.code}">{escape(error.message)}</error>'
    except _Hung:
        return web.Response(status=503, text="the page hung", headers={"Retry-After": "1"})
    return web.Response(text=_envelope(args, body, request), content_type="text/xml", charset="utf-8")


class _Error(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Hung(Exception):
    pass


def _envelope(args: dict[str, str], body: str, request: web.Request) -> str:
    attributes = "".join(f" {k}={quoteattr(v)}" for k, v in sorted(args.items()) if k in _ARGUMENTS)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">\n'
        f"<responseDate>{_stamp(_now())}</responseDate>\n"
        f"<request{attributes}>{escape(str(request.url.with_query(None)))}</request>\n{body}\n</OAI-PMH>\n"
    )


_ARGUMENTS = ("verb", "identifier", "metadataPrefix", "from", "until", "set", "resumptionToken")


async def _identify(state: OaiState, args: dict[str, str]) -> str:
    earliest = state.ordered()[0][0] if state.items else _stamp(_now())
    return (f"<Identify><repositoryName>{NAME}</repositoryName><baseURL>{BASE}/cgi/oai2</baseURL>"
            "<protocolVersion>2.0</protocolVersion><adminEmail>repositori@contoh.ac.id</adminEmail>"
            f"<earliestDatestamp>{earliest}</earliestDatestamp><deletedRecord>persistent</deletedRecord>"
            "<granularity>YYYY-MM-DDThh:mm:ssZ</granularity></Identify>")


async def _formats(state: OaiState, args: dict[str, str]) -> str:
    return ("<ListMetadataFormats><metadataFormat><metadataPrefix>oai_dc</metadataPrefix>"
            "<schema>http://www.openarchives.org/OAI/2.0/oai_dc.xsd</schema>"
            "<metadataNamespace>http://www.openarchives.org/OAI/2.0/oai_dc/</metadataNamespace>"
            "</metadataFormat></ListMetadataFormats>")


async def _sets(state: OaiState, args: dict[str, str]) -> str:
    sets = "".join(f"<set><setSpec>{spec}</setSpec><setName>{name}</setName></set>" for spec, name in SETS.items())
    return f"<ListSets>{sets}</ListSets>"


async def _get_record(state: OaiState, args: dict[str, str]) -> str:
    _format(args.get("metadataPrefix", ""))
    number = args.get("identifier", "").rpartition(":")[2]
    item = state.items.get(int(number)) if number.isdigit() else None
    if item is None:
        raise _Error("idDoesNotExist", f"No matching identifier in {NAME}")
    return f"<GetRecord>{state.xml(int(number), headers_only=False)}</GetRecord>"


async def _list_records(state: OaiState, args: dict[str, str]) -> str:
    return await _list(state, args, "ListRecords", headers_only=False)


async def _list_identifiers(state: OaiState, args: dict[str, str]) -> str:
    return await _list(state, args, "ListIdentifiers", headers_only=True)


async def _list(state: OaiState, args: dict[str, str], verb: str, headers_only: bool) -> str:
    query = _query(state, args)
    matching = _matching(state, query)
    if not matching:
        raise _Error("noRecordsMatch", "No items match. None. None at all. Not even deleted ones.")
    cursor = query["cursor"]
    page_number = cursor // state.page_size + 1
    if state.hang_on_page and page_number == state.hang_on_page:
        state.hang_on_page = 0
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(state.released.wait(), state.hang_seconds)
        raise _Hung
    page = matching[cursor:cursor + state.page_size]
    records = "".join([state.xml(number, headers_only) for number in page])
    following = cursor + state.page_size
    if following < len(matching):
        token = _token({**query, "cursor": following})
        tail = f'<resumptionToken cursor="{cursor}" completeListSize="{len(matching)}">{token}</resumptionToken>'
    else:
        tail = f'<resumptionToken cursor="{cursor}" completeListSize="{len(matching)}"/>' if cursor else ""
    return f"<{verb}>{records}{tail}</{verb}>"


def _query(state: OaiState, args: dict[str, str]) -> dict[str, Any]:
    if "resumptionToken" in args:
        if set(args) - {"verb", "resumptionToken"}:
            raise _Error("badArgument", "resumptionToken is an exclusive argument")
        if state.refuse_token > 0:
            state.refuse_token -= 1
            raise _Error("badResumptionToken", "The resumptionToken supplied is illegal for this repository")
        try:
            query: dict[str, Any] = json.loads(base64.urlsafe_b64decode(args["resumptionToken"].encode()))
            int(query["cursor"])
        except (ValueError, KeyError, TypeError):
            raise _Error("badResumptionToken", "The resumptionToken supplied is illegal for this repository") from None
        return query
    _format(args.get("metadataPrefix", ""))
    for key in ("from", "until"):
        if key in args and _parse_stamp(args[key]) is None:
            raise _Error("badArgument", f"Illegal {key} argument: {args[key]}")
    if "set" in args and args["set"] not in SETS:
        raise _Error("noRecordsMatch", f"Set argument doesn't match any sets. The setSpec was '{args['set']}'")
    return {"cursor": 0, "from": args.get("from", ""), "until": args.get("until", ""), "set": args.get("set", "")}


def _matching(state: OaiState, query: dict[str, Any]) -> list[int]:
    """The numbers a list's query selects, kept while the records stay as they are.

    A repository pages through an index rather than selecting the whole list again for every
    page; without this a 100,000-record harvest would cost the stand-in a pass over every
    record per page of 100.
    """
    key = (query["from"], query["until"], query["set"])
    if key not in state._lists:
        state._lists[key] = _select(state, query)
    return state._lists[key]


def _select(state: OaiState, query: dict[str, Any]) -> list[int]:
    order = state.ordered()
    start = bisect.bisect_left(order, (_normal(query["from"], low=True), -1)) if query["from"] else 0
    end = bisect.bisect_right(order, (_normal(query["until"], low=False), 1 << 62)) if query["until"] else len(order)
    numbers = [number for _, number in order[start:end]]
    if query["set"]:
        numbers = [n for n in numbers if query["set"] in state.items[n].sets]
    return numbers


def _format(prefix: str) -> None:
    if not prefix:
        raise _Error("badArgument", "Missing argument: metadataPrefix")
    if prefix != "oai_dc":
        raise _Error("cannotDisseminateFormat", f"Record not available as metadata type: {prefix}")


def _record(item: Item, headers_only: bool) -> str:
    status = ' status="deleted"' if item.deleted else ""
    sets = "".join(f"<setSpec>{s}</setSpec>" for s in item.sets)
    header = f"<header{status}><identifier>{item.identifier}</identifier><datestamp>{item.stamp}</datestamp>{sets}</header>"
    if headers_only:
        return header
    if item.deleted:
        return f"<record>{header}</record>"
    fields = "".join(f"<dc:{name}>{escape(value)}</dc:{name}>" for name in _DC_FIELDS for value in item.dc.get(name, ()))
    metadata = ('<metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai_dc/ '
                f'http://www.openarchives.org/OAI/2.0/oai_dc.xsd">{fields}</oai_dc:dc></metadata>')
    return f"<record>{header}{metadata}</record>"


def _rendered(item: Item) -> tuple[Item, str, str]:
    """The record, its header alone (ListIdentifiers) and the whole record (ListRecords, GetRecord)."""
    return item, _record(item, headers_only=True), _record(item, headers_only=False)


_VERBS = {
    "Identify": _identify,
    "ListMetadataFormats": _formats,
    "ListSets": _sets,
    "GetRecord": _get_record,
    "ListRecords": _list_records,
    "ListIdentifiers": _list_identifiers,
}


def _token(query: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(query, separators=(",", ":")).encode()).decode()


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


def _stamp(when: datetime.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_stamp(text: str) -> datetime.datetime | None:
    for pattern in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(text, pattern).replace(tzinfo=datetime.UTC)
        except ValueError:
            continue
    return None


def _normal(text: str, low: bool) -> str:
    """A from/until argument as a full datestamp (a day means its first or its last second)."""
    if len(text) == 10:
        return f"{text}T00:00:00Z" if low else f"{text}T23:59:59Z"
    return text


def thesis(number: int, kind: str, title: str, author: str, year: int, subjects: list[str], abstract: str,
           when: datetime.datetime, supervisor: str = "", programme: str = "Ilmu Perpustakaan") -> Item:
    """A repository record the way EPrints writes a thesis in oai_dc."""
    dc_type = {"skripsi": "Thesis", "tesis": "Thesis", "disertasi": "Thesis", "artikel": "Article"}[kind]
    slug = f"{kind}-{number}"
    dc = {
        "title": [title],
        "creator": [author],
        "subject": subjects,
        "description": [abstract],
        "publisher": ["Universitas Contoh"],
        "contributor": [supervisor] if supervisor else [],
        "date": [str(year)],
        "type": [dc_type, {"skripsi": "Skripsi", "tesis": "Tesis", "disertasi": "Disertasi"}.get(kind, "PeerReviewed")],
        "format": ["text"],
        "identifier": [f"{BASE}/{number}/1/{slug}.pdf",
                       f"{author} ({year}) {title}. {kind.capitalize()} thesis, Universitas Contoh."],
        "relation": [f"{BASE}/{number}/"],
        "language": ["id"],
    }
    if programme and kind != "artikel":
        dc["description"].append(f"Program Studi {programme}")
    return Item(number, when, dc, (kind,))


_SEED = (
    ("skripsi", "Literasi informasi mahasiswa tingkat akhir dalam penyusunan skripsi di Universitas Contoh",
     "Rahmawati, Dian", 2021, ["Literasi informasi", "Mahasiswa", "Skripsi"],
     "Penelitian ini mengukur kemampuan literasi informasi mahasiswa tingkat akhir dengan model Big6."),
    ("skripsi", "Pengaruh layanan referensi virtual melalui WhatsApp terhadap kepuasan pemustaka",
     "Saputra, Andi", 2022, ["Layanan referensi", "WhatsApp", "Kepuasan pemustaka"],
     "Survei terhadap 120 pemustaka menunjukkan layanan referensi melalui WhatsApp meningkatkan kepuasan."),
    ("skripsi", "Minat baca siswa sekolah menengah pertama dan peran perpustakaan sekolah",
     "Lestari, Putri", 2020, ["Minat baca", "Perpustakaan sekolah", "Siswa SMP"],
     "Studi kasus tentang program literasi sekolah dan pengaruhnya terhadap minat baca siswa."),
    ("skripsi", "Evaluasi penggunaan SLiMS dalam otomasi perpustakaan sekolah di Kota Semarang",
     "Hidayat, Rizki", 2019, ["Otomasi perpustakaan", "SLiMS", "Perpustakaan sekolah"],
     "Evaluasi kegunaan Senayan Library Management System pada sepuluh perpustakaan sekolah."),
    ("tesis", "Model pengembangan koleksi perpustakaan perguruan tinggi berbasis kebutuhan kurikulum",
     "Wibowo, Sri", 2023, ["Pengembangan koleksi", "Perpustakaan perguruan tinggi", "Kurikulum"],
     "Tesis ini merumuskan model pengembangan koleksi yang mengaitkan bahan pustaka dengan capaian kurikulum."),
    ("skripsi", "Perilaku pencarian informasi mahasiswa kedokteran dalam menggunakan basis data daring",
     "Nugroho, Fajar", 2022, ["Perilaku pencarian informasi", "Basis data", "Mahasiswa kedokteran"],
     "Wawancara mendalam dengan mahasiswa kedokteran tentang strategi pencarian di PubMed dan Google Scholar."),
    ("artikel", "Repositori institusi sebagai sarana diseminasi karya ilmiah di Indonesia",
     "Kurniawan, Budi", 2021, ["Repositori institusi", "Komunikasi ilmiah", "Akses terbuka"],
     "Artikel ini membahas peran repositori institusi dan OAI-PMH dalam diseminasi karya ilmiah."),
    ("skripsi", "Preservasi digital naskah kuno di perpustakaan daerah",
     "Pertiwi, Ayu", 2018, ["Preservasi digital", "Naskah kuno", "Perpustakaan daerah"],
     "Kajian proses alih media naskah kuno dan tantangan pelestariannya."),
    ("skripsi", "Penerapan klasifikasi DDC edisi 23 pada pengolahan bahan pustaka",
     "Santoso, Eko", 2020, ["Klasifikasi", "DDC", "Pengolahan bahan pustaka"],
     "Analisis ketepatan nomor klasifikasi DDC 23 pada koleksi baru perpustakaan fakultas."),
    ("disertasi", "Ekosistem literasi digital masyarakat pedesaan di Jawa Tengah",
     "Maharani, Siti", 2024, ["Literasi digital", "Masyarakat pedesaan", "Perpustakaan desa"],
     "Disertasi tentang peran perpustakaan desa dalam membangun literasi digital masyarakat."),
    ("skripsi", "Kualitas layanan sirkulasi perpustakaan dengan metode LibQUAL",
     "Pratama, Yoga", 2021, ["Layanan sirkulasi", "LibQUAL", "Kualitas layanan"],
     "Pengukuran kesenjangan harapan dan persepsi pemustaka terhadap layanan sirkulasi."),
    ("skripsi", "Pemanfaatan media sosial Instagram untuk promosi perpustakaan umum",
     "Anggraini, Nadia", 2023, ["Promosi perpustakaan", "Media sosial", "Perpustakaan umum"],
     "Analisis konten unggahan Instagram perpustakaan umum dan keterlibatan pengikutnya."),
    ("tesis", "Manajemen pengetahuan di perpustakaan perguruan tinggi negeri",
     "Firmansyah, Arif", 2022, ["Manajemen pengetahuan", "Perpustakaan perguruan tinggi"],
     "Tesis tentang praktik berbagi pengetahuan antarpustakawan."),
    ("skripsi", "Analisis sitiran skripsi mahasiswa ilmu perpustakaan tahun 2015-2020",
     "Susanti, Rina", 2021, ["Analisis sitiran", "Bibliometrika", "Skripsi"],
     "Kajian bibliometrika atas daftar pustaka skripsi mahasiswa ilmu perpustakaan."),
    ("artikel", "Plagiarisme dan peran pustakawan dalam cek similarity karya ilmiah",
     "Halim, Abdul", 2023, ["Plagiarisme", "Cek similarity", "Turnitin"],
     "Artikel tentang layanan cek similarity di perpustakaan perguruan tinggi."),
    ("skripsi", "Kesiapan perpustakaan sekolah dalam menerapkan Kurikulum Merdeka",
     "Yulianti, Sari", 2023, ["Perpustakaan sekolah", "Kurikulum Merdeka", "Literasi sekolah"],
     "Penelitian deskriptif tentang kesiapan koleksi dan layanan perpustakaan sekolah."),
    ("skripsi", "Tingkat kepuasan pemustaka terhadap layanan perpustakaan digital",
     "Ramadhan, Ilham", 2020, ["Perpustakaan digital", "Kepuasan pemustaka"],
     "Survei kepuasan pengguna perpustakaan digital perguruan tinggi."),
    ("tesis", "Kompetensi pustakawan dalam layanan referensi di era digital",
     "Kusuma, Dewi", 2021, ["Kompetensi pustakawan", "Layanan referensi", "Era digital"],
     "Tesis tentang kompetensi yang dibutuhkan pustakawan referensi."),
    ("skripsi", "Pengaruh gaya belajar terhadap prestasi belajar mahasiswa",
     "Setiawan, Bayu", 2019, ["Gaya belajar", "Prestasi belajar", "Mahasiswa"],
     "Penelitian kuantitatif dengan regresi linear terhadap 150 mahasiswa."),
    ("skripsi", "Arsip dinamis dan pengelolaannya di kantor kelurahan",
     "Wulandari, Tika", 2018, ["Arsip dinamis", "Kearsipan", "Kelurahan"],
     "Studi pengelolaan arsip dinamis aktif dan inaktif."),
    ("artikel", "Akreditasi perpustakaan sekolah: kendala dan strategi",
     "Purnomo, Hadi", 2022, ["Akreditasi perpustakaan", "Perpustakaan sekolah"],
     "Artikel tentang persiapan akreditasi berdasarkan Standar Nasional Perpustakaan."),
    ("skripsi", "Penggunaan Mendeley sebagai alat manajemen referensi oleh mahasiswa",
     "Fitriani, Laila", 2021, ["Manajemen referensi", "Mendeley", "Sitasi"],
     "Penelitian tentang penggunaan perangkat lunak manajemen referensi dalam penulisan skripsi."),
    ("skripsi", "Peran perpustakaan dalam meningkatkan budaya baca masyarakat",
     "Hakim, Lukman", 2022, ["Budaya baca", "Perpustakaan umum", "Minat baca"],
     "Studi kualitatif program gerakan gemar membaca di perpustakaan kabupaten."),
    ("tesis", "Penerapan metadata Dublin Core pada repositori institusi perguruan tinggi",
     "Suryani, Endah", 2020, ["Metadata", "Dublin Core", "Repositori institusi"],
     "Analisis kualitas metadata Dublin Core dan interoperabilitas melalui OAI-PMH."),
    ("skripsi", "Kecemasan perpustakaan (library anxiety) pada mahasiswa baru",
     "Marlina, Desi", 2023, ["Library anxiety", "Mahasiswa baru", "Pendidikan pemakai"],
     "Pengukuran kecemasan perpustakaan dengan skala Bostick pada mahasiswa baru."),
    ("artikel", "Layanan rujukan virtual di perpustakaan perguruan tinggi Indonesia",
     "Gunawan, Teguh", 2024, ["Layanan rujukan", "Referensi virtual", "Perpustakaan perguruan tinggi"],
     "Tinjauan layanan rujukan virtual melalui obrolan dan pesan singkat."),
    ("skripsi", "Strategi penelusuran informasi menggunakan operator Boolean",
     "Oktaviani, Rani", 2019, ["Penelusuran informasi", "Operator Boolean", "Literasi informasi"],
     "Eksperimen pelatihan penelusuran dengan operator Boolean bagi mahasiswa."),
    ("skripsi", "Sistem informasi perpustakaan berbasis web dengan framework Laravel",
     "Permana, Dimas", 2022, ["Sistem informasi perpustakaan", "Aplikasi web"],
     "Perancangan dan pengujian sistem informasi perpustakaan berbasis web."),
    ("disertasi", "Tata kelola repositori institusi di perguruan tinggi Indonesia",
     "Rachman, Yusuf", 2023, ["Repositori institusi", "Tata kelola", "Akses terbuka"],
     "Disertasi tentang kebijakan dan tata kelola repositori institusi."),
    ("skripsi", "Pemanfaatan koleksi referensi oleh siswa sekolah menengah atas",
     "Amelia, Citra", 2020, ["Koleksi referensi", "Siswa SMA", "Perpustakaan sekolah"],
     "Studi pemanfaatan ensiklopedia dan kamus di perpustakaan SMA."),
)


def seed_theses(state: OaiState) -> None:
    """The 30 seeded records, changed on days a few weeks apart so that `from` has something to divide."""
    start = datetime.datetime(2024, 1, 10, 8, 0, tzinfo=datetime.UTC)
    for number, (kind, title, author, year, subjects, abstract) in enumerate(_SEED, start=1):
        when = start + datetime.timedelta(days=7 * number)
        state.put(thesis(number, kind, title, author, year, subjects, abstract, when, supervisor="Dr. Pembimbing"))


def generated(number: int, when: datetime.datetime) -> Item:
    """A made-up thesis for load: distinct words per number, so each one can be searched for."""
    words = ("literasi", "informasi", "perpustakaan", "layanan", "koleksi", "digital", "sekolah", "mahasiswa",
             "referensi", "arsip", "metadata", "repositori", "pemustaka", "membaca", "penelitian", "kualitas")
    topic = " ".join(words[(number // 16 ** i) % 16] for i in range(3))
    return thesis(number, "skripsi", f"Kajian {topic} nomor {number}", f"Penulis, Nomor {number}", 2000 + number % 25,
                  [words[number % 16].capitalize(), words[(number // 7) % 16].capitalize()],
                  f"Abstrak penelitian {topic} ke-{number} tentang {words[(number // 3) % 16]}.", when)
