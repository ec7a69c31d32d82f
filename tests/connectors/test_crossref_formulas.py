"""Formulas and publisher leftovers in Crossref titles and abstracts, as rcrossref's recorded answers
and Crossref's own tracker (rest-api-doc #325) show them: MathML without the ``mml:`` prefix,
layout spaces inside a formula, formulas glued to words, ``<?tex …?>`` staff comments. Small
hand-made items, served by the stand-in and read by the real source."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from refbot.sandbox.crossref import create_crossref_standin
from tests.connectors.crossref_support import Standin, need

UNPREFIXED = (
    'Topologi pada <math xmlns="http://www.w3.org/1998/Math/MathML" id="M1">\n'
    '      <mi mathvariant="script">D</mi>\n      <mi>α</mi>\n    </math>-himpunan tertutup'
)
GLUED = (
    '<jats:p>Misalkan<mml:math xmlns:mml="http://www.w3.org/1998/Math/MathML"><mml:mrow><mml:mi>A</mml:mi>'
    "</mml:mrow></mml:math>matriks topologi dengan<mml:math><mml:msup><mml:mi>l</mml:mi><mml:mi>q</mml:mi>"
    "</mml:msup><mml:mo>(</mml:mo><mml:mn>1</mml:mn><mml:mo>≤</mml:mo><mml:mi>q</mml:mi><mml:mo>&lt;</mml:mo>"
    "<mml:mi>∞</mml:mi><mml:mo>)</mml:mo></mml:math>regularisasi.</jats:p>"
)
STAFF_NOTE = (
    '<jats:p><jats:italic>Tujuan</jats:italic>. <?tex id="Q1" staff-cmt="<?tlsb=-0.1pt>Penulis harap menautkan '
    'ORCID di sistem naskah."?>Memahami topologi himpunan.</jats:p>'
)
SPLIT_ISOTOPE = (
    '<mml:math display="inline">\n<mml:mi>β</mml:mi>\n</mml:math>\nDecay of topologi\n'
    '<mml:math display="inline">\n<mml:msup>\n<mml:mn>0</mml:mn>\n<mml:mo>+</mml:mo>\n</mml:msup>\n</mml:math>\n'
    ": a test"
)
ITEMS = [
    {"DOI": "10.5555/t1", "type": "journal-article", "title": [UNPREFIXED], "abstract": GLUED},
    {"DOI": "10.5555/t2", "type": "journal-article", "title": [SPLIT_ISOTOPE], "abstract": STAFF_NOTE},
    {"DOI": "10.5555/t3", "type": "journal-article", "title": ["BiFeO<mml:math><mml:msub><mml:mrow/><mml:mn>3</mml:mn></mml:msub></mml:math> dan topologi"]},
]


@pytest.fixture
async def formulas(tmp_path: Path) -> AsyncIterator[Standin]:
    fixture = tmp_path / "works.json"
    fixture.write_text(json.dumps(ITEMS), "utf-8")
    async with TestServer(create_crossref_standin(fixture=fixture)) as server, aiohttp.ClientSession() as http:
        yield Standin(str(server.make_url("")).rstrip("/"), http)


async def test_formulas_read_as_their_characters(formulas: Standin) -> None:
    found = {c.doi: c for c in await formulas.source().search(need("topologi"), 10)}

    assert found["10.5555/t1"].title == "Topologi pada Dα-himpunan tertutup"
    assert found["10.5555/t1"].abstract == "Misalkan A matriks topologi dengan lq(1≤q<∞) regularisasi."
    assert found["10.5555/t2"].title == "β Decay of topologi 0+: a test"
    assert found["10.5555/t3"].title == "BiFeO3 dan topologi"


async def test_a_staff_comment_left_in_an_abstract_is_dropped(formulas: Standin) -> None:
    found = {c.doi: c for c in await formulas.source().search(need("topologi"), 10)}

    assert found["10.5555/t2"].abstract == "Tujuan. Memahami topologi himpunan."
    assert not any("<" in c.title or "ORCID" in c.abstract for c in found.values())
