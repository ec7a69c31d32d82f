"""APA 7 entries against the APA's own published examples; RIS and BibTeX that tools read back.

The expected strings are reference examples from the Publication Manual of the American
Psychological Association (7th ed., 2020) — "Common references at a glance" and chapter 10 —
and from the APA Style website's reference examples pages, where the same ones appear.
"""

from __future__ import annotations

import bibtexparser
import pytest

from connectors.crossref import work_to_candidate, work_to_reference
from refbot.citations import (
    Name,
    Reference,
    apa,
    apa_citation,
    bibtex_key,
    export,
    parse_name,
    publisher_name,
    to_bibtex,
    to_ris,
)
from refbot.models import Candidate, Holding, Kind


def person(family: str, given: str) -> Name:
    return Name(family=family, given=given)


MCCAULEY = Reference(
    kind=Kind.ARTICLE,
    title="Language learning as language use: A crosslinguistic model of child language development",
    authors=(person("McCauley", "Stewart M."), person("Christiansen", "Morten H.")),
    year=2019, container="Psychological Review", volume="126", issue="1", pages="1-51", doi="10.1037/rev0000126",
)
BROWN = Reference(
    kind=Kind.BOOK, title="Feminist therapy", authors=(person("Brown", "Laura S."),), year=2018, edition="2",
    publisher="American Psychological Association", doi="10.1037/0000092-000",
)
BALSAM = Reference(
    kind=Kind.CHAPTER,
    title="Affirmative cognitive behavior therapy with sexual and gender minority people",
    authors=(person("Balsam", "Kimberly F."), person("Martell", "Christopher R."), person("Jones", "Kimberly P."),
             person("Safren", "Steven A.")),
    year=2019,
    editors=(person("Iwamasa", "Gayle Y."), person("Hays", "Pamela A.")),
    container="Culturally responsive cognitive behavior therapy: Practice and supervision",
    edition="2", pages="287-314", publisher="American Psychological Association", doi="10.1037/0000119-012",
)


# --- APA 7: the published examples ----------------------------------------------------


def test_journal_article_example_1() -> None:
    assert apa(MCCAULEY) == (
        "McCauley, S. M., & Christiansen, M. H. (2019). Language learning as language use: A crosslinguistic model"
        " of child language development. Psychological Review, 126(1), 1–51. https://doi.org/10.1037/rev0000126"
    )


def test_journal_article_italics_as_whatsapp_and_html_write_them() -> None:
    assert "development. _Psychological Review_, _126_(1), 1–51. https://" in apa(MCCAULEY, "whatsapp")
    assert "<i>Psychological Review</i>, <i>126</i>(1), 1–51." in apa(MCCAULEY, "html")


def test_five_authors_with_an_ampersand_before_the_last() -> None:
    ref = Reference(
        kind=Kind.ARTICLE,
        title="Emotions in storybooks: A comparison of storybooks that represent ethnic and racial groups in the"
        " United States",
        authors=(person("Grady", "Jessica Stoltzfus"), person("Her", "Malina"), person("Moreno", "Geneva"),
                 person("Perez", "Catherine"), person("Yelinek", "Jillian")),
        year=2019, container="Psychology of Popular Media Culture", volume="8", issue="3", pages="207–217",
        doi="10.1037/ppm0000185",
    )

    assert apa(ref) == (
        "Grady, J. S., Her, M., Moreno, G., Perez, C., & Yelinek, J. (2019). Emotions in storybooks: A comparison"
        " of storybooks that represent ethnic and racial groups in the United States. Psychology of Popular Media"
        " Culture, 8(3), 207–217. https://doi.org/10.1037/ppm0000185"
    )


def test_an_article_number_and_a_title_ending_in_a_quotation() -> None:
    names = [("Jerrentrup", "Andreas"), ("Mueller", "Tobias"), ("Glowalla", "Ulrich"), ("Herder", "Meike"),
             ("Henrichs", "Nadine"), ("Neubauer", "Andreas"), ("Schaefer", "Juergen R.")]
    ref = Reference(
        kind=Kind.ARTICLE, title="Teaching medicine with the help of “Dr. House”",
        authors=tuple(person(f, g) for f, g in names), year=2018, container="PLoS ONE", volume="13", issue="3",
        article_number="e0193972", doi="10.1371/journal.pone.0193972",
    )

    assert apa(ref) == (
        "Jerrentrup, A., Mueller, T., Glowalla, U., Herder, M., Henrichs, N., Neubauer, A., & Schaefer, J. R."
        " (2018). Teaching medicine with the help of “Dr. House.” PLoS ONE, 13(3), Article e0193972."
        " https://doi.org/10.1371/journal.pone.0193972"
    )


def test_twenty_one_or_more_authors_list_nineteen_an_ellipsis_and_the_last() -> None:
    initials = ("Kalnay E", "Kanamitsu M", "Kistler R", "Collins W", "Deaven D", "Gandin L", "Iredell M", "Saha S",
                "White G", "Woollen J", "Zhu Y", "Chelliah M", "Ebisuzaki W", "Higgins W", "Janowiak J", "Mo K. C.",
                "Ropelewski C", "Wang J", "Leetmaa A", "Reynolds R", "Jenne R", "Joseph D")
    authors = tuple(person(*entry.split(" ", 1)) for entry in initials)
    ref = Reference(kind=Kind.ARTICLE, title="The NCEP/NCAR 40-year reanalysis project", authors=authors, year=1996,
                    container="Bulletin of the American Meteorological Society", volume="77", issue="3",
                    pages="437-471")

    assert apa(ref) == (
        "Kalnay, E., Kanamitsu, M., Kistler, R., Collins, W., Deaven, D., Gandin, L., Iredell, M., Saha, S.,"
        " White, G., Woollen, J., Zhu, Y., Chelliah, M., Ebisuzaki, W., Higgins, W., Janowiak, J., Mo, K. C.,"
        " Ropelewski, C., Wang, J., Leetmaa, A., . . . Joseph, D. (1996). The NCEP/NCAR 40-year reanalysis project."
        " Bulletin of the American Meteorological Society, 77(3), 437–471."
    )


def test_authored_book_with_an_edition_example_20() -> None:
    assert apa(BROWN) == (
        "Brown, L. S. (2018). Feminist therapy (2nd ed.). American Psychological Association."
        " https://doi.org/10.1037/0000092-000"
    )
    assert apa(BROWN, "whatsapp").startswith("Brown, L. S. (2018). _Feminist therapy_ (2nd ed.). American")


def test_chapter_in_an_edited_book_example_38() -> None:
    assert apa(BALSAM) == (
        "Balsam, K. F., Martell, C. R., Jones, K. P., & Safren, S. A. (2019). Affirmative cognitive behavior therapy"
        " with sexual and gender minority people. In G. Y. Iwamasa & P. A. Hays (Eds.), Culturally responsive"
        " cognitive behavior therapy: Practice and supervision (2nd ed., pp. 287–314). American Psychological"
        " Association. https://doi.org/10.1037/0000119-012"
    )


def test_chapter_with_three_editors() -> None:
    ref = Reference(
        kind=Kind.CHAPTER, title="Culinary arts: Talent and their development",
        authors=(person("Aron", "Lauren"), person("Botella", "Marion"), person("Lubart", "Todd")), year=2019,
        editors=(person("Subotnik", "Rena F."), person("Olszewski-Kubilius", "Paula"), person("Worrell", "Frank C.")),
        container="The psychology of high performance: Developing human potential into domain-specific talent",
        pages="345-359", publisher="American Psychological Association", doi="10.1037/0000120-016",
    )

    assert apa(ref) == (
        "Aron, L., Botella, M., & Lubart, T. (2019). Culinary arts: Talent and their development. In R. F. Subotnik,"
        " P. Olszewski-Kubilius, & F. C. Worrell (Eds.), The psychology of high performance: Developing human"
        " potential into domain-specific talent (pp. 345–359). American Psychological Association."
        " https://doi.org/10.1037/0000120-016"
    )


def test_published_doctoral_dissertation() -> None:
    ref = Reference(
        kind=Kind.THESIS,
        title="The interaction of state and trait worry on response monitoring in those with worry and"
        " obsessive-compulsive symptoms",
        authors=(person("Zambrano-Vazquez", "Laura"),), year=2016, degree="Doctoral dissertation",
        institution="University of Arizona", publisher="UA Campus Repository",
        url="https://repository.arizona.edu/handle/10150/620615",
    )

    assert apa(ref) == (
        "Zambrano-Vazquez, L. (2016). The interaction of state and trait worry on response monitoring in those with"
        " worry and obsessive-compulsive symptoms [Doctoral dissertation, University of Arizona]. UA Campus"
        " Repository. https://repository.arizona.edu/handle/10150/620615"
    )


def test_unpublished_doctoral_dissertation() -> None:
    ref = Reference(
        kind=Kind.THESIS, title="Instructional leadership perceptions and practices of elementary school leaders",
        authors=(person("Harris", "Lisa"),), year=2014, degree="Doctoral dissertation",
        institution="University of Virginia", published=False,
    )

    assert apa(ref) == (
        "Harris, L. (2014). Instructional leadership perceptions and practices of elementary school leaders"
        " [Unpublished doctoral dissertation]. University of Virginia."
    )


def test_group_author_that_is_also_the_publisher() -> None:
    ref = Reference(
        kind=Kind.BOOK, title="Diagnostic and statistical manual of mental disorders",
        authors=(Name(literal="American Psychiatric Association"),), year=2013, edition="5",
        publisher="American Psychiatric Association", doi="10.1176/appi.books.9780890425596",
    )

    assert apa(ref) == (
        "American Psychiatric Association. (2013). Diagnostic and statistical manual of mental disorders (5th ed.)."
        " https://doi.org/10.1176/appi.books.9780890425596"
    )


# --- from candidates of each source ---------------------------------------------------


def test_a_catalog_book_by_a_single_named_indonesian_author() -> None:
    c = Candidate(source="catalog", source_id="b1", kind=Kind.BOOK, title="Pengantar ilmu perpustakaan",
                  authors=("Sulistyo-Basuki",), year=1991, publisher="PT Gramedia Pustaka Utama",
                  call_number="020 SUL p", holdings=(Holding(call_number="020 SUL p"),))

    assert apa_citation(c, "whatsapp") == "Sulistyo-Basuki. (1991). _Pengantar ilmu perpustakaan_. Gramedia Pustaka Utama."


def test_a_catalog_thesis_is_an_unpublished_thesis_of_its_university() -> None:
    c = Candidate(source="catalog", source_id="t1", kind=Kind.THESIS, year=2021,
                  title="Literasi informasi mahasiswa tingkat akhir", authors=("Rahmawati, Dewi Sri",),
                  publisher="Universitas Diponegoro")

    assert apa_citation(c) == (
        "Rahmawati, D. S. (2021). Literasi informasi mahasiswa tingkat akhir [Unpublished thesis]."
        " Universitas Diponegoro."
    )


def test_a_work_without_author_or_year() -> None:
    c = Candidate(source="zotero", source_id="z1", kind=Kind.BOOK, title="Pedoman layanan referensi",
                  publisher="Perpustakaan Nasional RI")

    assert apa_citation(c) == "Pedoman layanan referensi. (n.d.). Perpustakaan Nasional RI."


def test_a_crossref_work_cites_in_full_from_its_item_and_with_its_doi_from_the_candidate() -> None:
    item = {
        "DOI": "10.1037/REV0000126", "type": "journal-article",
        "title": ["Language learning as language use"],
        "subtitle": ["A crosslinguistic model of child language development"],
        "author": [{"given": "Stewart M.", "family": "McCauley"}, {"given": "Morten H.", "family": "Christiansen"}],
        "container-title": ["Psychological Review"], "volume": "126", "issue": "1", "page": "1-51",
        "published": {"date-parts": [[2019, 1]]}, "publisher": "American Psychological Association (APA)",
    }

    assert apa(work_to_reference(item)) == apa(MCCAULEY)  # a DOI is case-blind; refbot writes it lower-case
    # The patron's list cites from the Candidate, which carries volume, issue and pages too.
    assert apa_citation(work_to_candidate(item, 1)) == apa(MCCAULEY)


@pytest.mark.parametrize(
    "item",
    [
        {"DOI": "10.5555/ch.1", "type": "book-chapter", "title": ["Metadata"], "author": [{"given": "Budi", "family": "Santoso"}],
         "editor": [{"given": "Hendra", "family": "Kusnadi"}], "container-title": ["Linked Data for Libraries"],
         "page": "1-20", "edition-number": "2", "publisher": "Undip Press", "issued": {"date-parts": [[2020]]}},
        {"DOI": "10.5555/a.1", "type": "journal-article", "title": ["Reading"], "author": [{"given": "Putri", "family": "Lestari"}],
         "container-title": ["PLOS ONE"], "volume": "12", "issue": "3", "article-number": "e0123",
         "issued": {"date-parts": [[2021]]}},
        {"DOI": "10.5555/thesis.2", "type": "dissertation", "title": ["Minat baca"], "author": [{"given": "Agus", "family": "Setiawan"}],
         "issued": {"date-parts": [[2020]]}, "degree": ["MA"], "publisher": "Universitas Cendana Raya"},
    ],
)
def test_the_patrons_list_cites_a_crossref_work_as_fully_as_its_item(item: dict[str, object]) -> None:
    assert apa_citation(work_to_candidate(item, 1)) == apa(work_to_reference(item))


def test_a_crossref_dissertation_says_its_degree_and_institution() -> None:
    item = {"DOI": "10.5555/thesis.1", "type": "dissertation", "title": ["Minat baca siswa"],
            "author": [{"given": "Agus", "family": "Setiawan"}], "issued": {"date-parts": [[2020]]},
            "degree": ["PhD"], "institution": [{"name": "Universitas Cendana Raya"}]}

    assert apa(work_to_reference(item)) == (
        "Setiawan, A. (2020). Minat baca siswa [Doctoral dissertation, Universitas Cendana Raya]."
        " https://doi.org/10.5555/thesis.1"
    )


@pytest.mark.parametrize(
    ("written", "inverted"),
    [("McCauley, Stewart M.", "McCauley, S. M."), ("Sartre, Jean-Paul", "Sartre, J.-P."), ("Wakefield, AJ", "Wakefield, A. J."),
     ("Hasugian, Jonner", "Hasugian, J."), ("Koentjaraningrat, 1923-2000", "Koentjaraningrat"),
     ("Universitas Indonesia. Fakultas Ilmu Budaya", "Universitas Indonesia. Fakultas Ilmu Budaya"),
     ("Beethoven, Ludwig van", "Beethoven, L.")],
)
def test_names_as_sources_write_them(written: str, inverted: str) -> None:
    assert parse_name(written).inverted == inverted


@pytest.mark.parametrize(
    ("name", "clean"),
    [("Elsevier BV", "Elsevier"), ("Springer Science and Business Media LLC", "Springer Science and Business Media"),
     ("De Gruyter Poland Sp. z o.o.", "De Gruyter Poland"), ("PT Gramedia Pustaka Utama", "Gramedia Pustaka Utama"),
     ("Wiley", "Wiley"), ("CV. Andi Offset", "Andi Offset"), ("Penerbit Erlangga", "Penerbit Erlangga")],
)
def test_business_designations_are_left_out(name: str, clean: str) -> None:
    assert publisher_name(name) == clean


# --- RIS and BibTeX -------------------------------------------------------------------


def parse_ris(text: str) -> list[list[tuple[str, str]]]:
    records: list[list[tuple[str, str]]] = [[]]
    for line in text.split("\r\n"):
        if not line:
            continue
        tag, sep, value = line.partition("  - ")
        assert sep and len(tag) == 2, line
        if tag == "ER":
            records.append([])
        else:
            records[-1].append((tag, value))
    return [r for r in records if r]


def test_ris_has_one_tagged_record_per_reference() -> None:
    text = to_ris([MCCAULEY, BROWN, BALSAM])

    first, book, chapter = parse_ris(text)
    assert text.count("ER  - \r\n") == 3 and "\n" not in text.replace("\r\n", "")
    assert first[:3] == [("TY", "JOUR"), ("AU", "McCauley, Stewart M."), ("AU", "Christiansen, Morten H.")]
    assert {("SP", "1"), ("EP", "51"), ("VL", "126"), ("IS", "1"), ("T2", "Psychological Review"),
            ("DO", "10.1037/rev0000126")} <= set(first)
    assert ("TY", "BOOK") in book and ("ET", "2") in book
    assert ("TY", "CHAP") in chapter and ("ED", "Iwamasa, Gayle Y.") in chapter and ("SP", "287") in chapter


def test_bibtex_that_a_parser_reads_back() -> None:
    odd = Reference(kind=Kind.ARTICLE, title="Biaya 50% & hasil_akhir {baru}", year=2020,
                    authors=(person("McCauley", "Stewart M."), Name(literal="Tim Literasi & Co")),
                    container="Jurnal Kepustakawanan Nusantara", pages="10-20")

    text = to_bibtex([MCCAULEY, MCCAULEY, BROWN, odd])
    entries = bibtexparser.bparser.BibTexParser(common_strings=True).parse(text).entries

    assert [e["ID"] for e in entries] == ["mccauley2019language", "mccauley2019languagea", "brown2018feminist",
                                          "mccauley2020biaya"]
    first = entries[0]
    assert first["ENTRYTYPE"] == "article" and first["journal"] == "Psychological Review"
    assert first["author"] == "McCauley, Stewart M. and Christiansen, Morten H." and first["pages"] == "1--51"
    assert entries[3]["title"] == r"{Biaya 50\% \& hasil\_akhir \{baru\}}"
    assert entries[3]["author"] == r"McCauley, Stewart M. and {Tim Literasi \& Co}"
    assert bibtex_key(Reference(kind=Kind.BOOK, title="Ärger über Ökonomie", authors=(person("Özil", "M"),))) == (
        "ozilndarger")


def test_export_leaves_retracted_items_out_and_names_the_file() -> None:
    keep = Candidate(source="catalog", source_id="b1", kind=Kind.BOOK, title="Pengantar ilmu perpustakaan",
                     authors=("Sulistyo-Basuki",), year=1991, call_number="020 SUL p")
    retracted = Candidate(source="crossref", source_id="x", kind=Kind.ARTICLE, title="Dicabut", retracted=True)

    name, mime, text = export([keep, retracted], "ris")
    bib_name, bib_mime, _ = export([keep], "bibtex", name="draft-12")

    assert (name, mime) == ("referensi.ris", "application/x-research-info-systems")
    assert (bib_name, bib_mime) == ("draft-12.bib", "application/x-bibtex")
    assert len(parse_ris(text)) == 1 and "CN  - 020 SUL p" in text and "Dicabut" not in text
    with pytest.raises(ValueError):
        export([keep], "endnote")


def test_a_journal_is_named_with_its_publisher_and_link_not_dated() -> None:
    c = Candidate(source="crossref", source_id="issn:1803-2427", kind=Kind.JOURNAL, title="Journal of Landscape Ecology",
                  publisher="De Gruyter Poland Sp. z o.o.", year=2026,
                  url="https://portal.issn.org/resource/ISSN/1803-2427")

    assert apa_citation(c, "whatsapp") == (
        "_Journal of Landscape Ecology_. De Gruyter Poland. https://portal.issn.org/resource/ISSN/1803-2427"
    )
