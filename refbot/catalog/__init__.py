"""The library's own catalog: reading exports, building the Whoosh index, searching it.

    readers / iso2709 / csvfile   files → CatalogRecord or RejectedRecord, never stopping
    marc / holdings               MARC 21 field mapping
    analysis / stopwords          one analyzer for Indonesian and English
    schema / index / generations  build a generation, check it, switch CURRENT, prune
    maintenance                   update, delete, status of the current generation
    query / search                InformationNeed → Whoosh query; CatalogIndex, CatalogSource
    execution                     runs a query: BM25F a term at a time, the exact top N
    serving                       the generation the store says every node serves; each node's report
    cli / progress                `refbot index …`; a build's progress line
"""

from refbot.catalog.index import BuildFailed, BuildProgress, BuildReport, build_index
from refbot.catalog.maintenance import delete_records, index_status, update_records
from refbot.catalog.readers import Format, detect_format, read_file
from refbot.catalog.record import CatalogRecord, RejectedRecord
from refbot.catalog.search import CatalogIndex, CatalogSource

__all__ = [
    "BuildFailed",
    "BuildProgress",
    "BuildReport",
    "CatalogIndex",
    "CatalogRecord",
    "CatalogSource",
    "Format",
    "RejectedRecord",
    "build_index",
    "delete_records",
    "detect_format",
    "index_status",
    "read_file",
    "update_records",
]
