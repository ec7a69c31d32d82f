"""What the desk answers to greetings, thanks and services asked about in words — and what it does not draft.

The lexicon's own rules (spellings, emoji, the texts and codes it names) are checked here too;
which route each kind of message takes is the table in ``test_smalltalk_routes.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from refbot.config import DeskSettings
from refbot.desk.courtesy import timetable
from refbot.desk.erasure import is_erasure
from refbot.desk.hours import OfficeHours
from refbot.desk.smalltalk import Kind, Lexicon, normalize
from refbot.services.codes import Command, parse_code
from refbot.texts import LANGUAGES, has, t
from tests.conftest import LIBRARIAN, LIBRARIAN_2, PATRON, Desk, eventually, running_desk

# -- the lexicon ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


@pytest.mark.parametrize("spelling", ["terima kasih", "terimakasih", "trimakasih", "makasih", "makasiiih", "mksh",
                                      "trims", "thx", "thanks", "thankss", "tq", "ty", "Terima kasiih 🙏🏻",
                                      "MAKASIH BANYAK KAK!!!", "hatur nuhun", "syukron"])
def test_thanks_is_read_however_it_is_typed(lexicon: Lexicon, spelling: str) -> None:
    assert lexicon.classify(spelling).kind is Kind.THANKS


@pytest.mark.parametrize("spelling", ["halo", "hallo", "haloooo", "helloo", "hai kak", "hi", "hey min", "P",
                                      "assalamualaikum", "asalamualaikum", "Assalamu'alaikum warahmatullahi",
                                      "selamat sore", "pagi kak", "good evening"])
def test_greetings_are_read_however_they_are_typed(lexicon: Lexicon, spelling: str) -> None:
    assert lexicon.classify(spelling).kind is Kind.GREETING


def test_emoji_alone_is_an_acknowledgement_and_a_question_mark_a_nudge(lexicon: Lexicon) -> None:
    assert lexicon.classify("👍").kind is Kind.ACK
    assert lexicon.classify("🙏🙏").kind is Kind.ACK
    assert lexicon.classify("??").kind is Kind.GREETING


def test_one_unknown_word_makes_it_a_need(lexicon: Lexicon) -> None:
    assert lexicon.classify("terima kasih kak").kind is Kind.THANKS
    verdict = lexicon.classify("terima kasih kak, ada buku statistik?")
    assert verdict.kind is Kind.NEED and "ada" in verdict.why


def test_the_language_is_the_one_of_the_words_that_decided(lexicon: Lexicon) -> None:
    assert lexicon.classify("makasih kak").language == "id"
    assert lexicon.classify("thank you").language == "en"
    assert lexicon.classify("ok").language is None  # both languages say it: the patron's own language decides
    assert lexicon.classify("what are my loans?").code == "LOANS"
    assert lexicon.classify("pinjaman saya apa saja?").code == "PINJAMAN"


def test_normalizing_drops_emoji_and_punctuation_and_long_repeats() -> None:
    assert normalize("Makasiiih kaaak 🙏!!") == "makasih kak"
    assert normalize("Assalamu'alaikum, wr. wb.") == "assalamualaikum wr wb"
    assert normalize("yes, delete") == "yes delete" and is_erasure(normalize("Yes, delete!"))


def test_a_library_can_add_its_own_words() -> None:
    data = {"max_service_words": 14, "needs": ["cari"], "words": {"greeting": {"id": ["horas"]}}, "topics": {}}
    own = Lexicon.from_data(data)
    assert own.classify("horas kak").kind is Kind.NEED  # "kak" is not in this small lexicon
    assert own.classify("horas").kind is Kind.GREETING


# -- the texts and the codes they name ---------------------------------------------------------

HINTS = {
    "renew": Command.RENEW, "suggest": Command.SUGGEST, "register": Command.REGISTER,
    "clearance": Command.CLEARANCE, "language": Command.LANGUAGE,
}


def _topics(lexicon: Lexicon, answer: Kind) -> set[str]:
    return {topic.name for topic in lexicon.topics if topic.answer is answer}


def test_every_hint_has_its_text_in_both_languages(lexicon: Lexicon) -> None:
    assert _topics(lexicon, Kind.HINT) == {*HINTS, "erase"}
    for topic in _topics(lexicon, Kind.HINT):
        assert has(f"smalltalk_hint_{topic}")
        assert t("id", f"smalltalk_hint_{topic}") != t("en", f"smalltalk_hint_{topic}")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("topic", "command"), HINTS.items())
def test_a_hint_names_a_code_the_desk_takes(topic: str, command: Command, language: str) -> None:
    hint = t(language, f"smalltalk_hint_{topic}")
    codes = re.findall(r"\b([A-Z]{3,})(#[^\s,.)]*)?", hint)
    taken = [parse_code(word + (rest.replace("<", "").replace(">", "") if rest else "")) for word, rest in codes]
    assert any(code is not None and code.command is command for code in taken), hint


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_erasure_hint_names_the_words_that_erase(language: str) -> None:
    hint = t(language, "smalltalk_hint_erase")
    words = "HAPUS DATA" if language == "id" else "DELETE MY DATA"
    assert words in hint and is_erasure(words)


def test_the_timetable_puts_days_with_the_same_hours_together() -> None:
    hours = OfficeHours.from_settings(DeskSettings(office_hours=("mon-fri 08:00-16:00", "sat 08:00-12:00")))
    assert timetable(hours, "id") == "Senin–Jumat 08:00–16:00; Sabtu 08:00–12:00"
    assert timetable(hours, "en") == "Monday–Friday 08:00–16:00; Saturday 08:00–12:00"


# -- the desk's answers ------------------------------------------------------------------------


async def _handled(desk: Desk, n: int) -> None:
    async def done() -> bool:
        return (await desk.services.store.inbox_counts()).get("done", 0) >= n

    await eventually(done, what=f"{n} message(s) handled")


async def _texts(desk: Desk, phone: str) -> list[str]:
    return [m["text"] for m in await desk.sent_to(phone)]


async def _no_draft_and_librarians_untouched(desk: Desk) -> None:
    assert await desk.services.store.draft_ids() == []
    assert await desk.sent_to(LIBRARIAN) == [] and await desk.sent_to(LIBRARIAN_2) == []


async def test_a_greeting_is_answered_with_an_invitation_and_no_draft(desk: Desk) -> None:
    await desk.patron_says("halo kak")
    await _handled(desk, 1)
    [reply] = await _texts(desk, PATRON)
    assert reply == t("id", "smalltalk_greeting") and "MENU" in reply
    await desk.patron_says("Good morning!", sender="6281200000077")
    await _handled(desk, 2)
    assert await _texts(desk, "6281200000077") == [t("en", "smalltalk_greeting")]
    await _no_draft_and_librarians_untouched(desk)


async def test_thanks_is_answered_once_and_then_the_desk_keeps_quiet(desk: Desk) -> None:
    await desk.patron_says("makasih banyak kak 🙏")
    await _handled(desk, 1)
    assert await _texts(desk, PATRON) == [t("id", "smalltalk_thanks")]
    await desk.patron_says("ok siap")  # right after the desk's answer: no reply to a reply
    await _handled(desk, 2)
    assert await _texts(desk, PATRON) == [t("id", "smalltalk_thanks")]
    await _no_draft_and_librarians_untouched(desk)


async def test_without_a_quiet_window_every_thanks_is_answered(tmp_path: Path, catalog_dir: Path) -> None:
    async with running_desk(tmp_path, catalog_dir, desk=DeskSettings(quiet_after_answer_minutes=0)) as desk:
        await desk.patron_says("makasih")
        await _handled(desk, 1)
        await desk.patron_says("👍")
        await _handled(desk, 2)
        assert await _texts(desk, PATRON) == [t("id", "smalltalk_thanks"), t("id", "smalltalk_ack")]


async def test_a_service_that_needs_a_code_is_answered_with_the_code(desk: Desk) -> None:
    await desk.patron_says("cara perpanjang buku kak?")
    await _handled(desk, 1)
    [reply] = await _texts(desk, PATRON)
    assert reply.startswith("Untuk memperpanjang, kirim PERPANJANG#<barcode>")
    await _no_draft_and_librarians_untouched(desk)


async def test_opening_hours_come_from_the_settings(tmp_path: Path, catalog_dir: Path) -> None:
    hours = DeskSettings(office_hours=("mon-thu 08:00-16:00", "fri 08:00-11:30", "sat 09:00-12:00"))
    async with running_desk(tmp_path, catalog_dir, desk=hours) as desk:
        await desk.patron_says("kapan perpustakaan buka?")
        await _handled(desk, 1)
        [reply] = await _texts(desk, PATRON)
        assert reply.startswith("Jam layanan perpustakaan: Senin–Kamis 08:00–16:00; Jumat 08:00–11:30; Sabtu 09:00–12:00.")
        assert "Saat ini" in reply  # and whether it is open now, or when it opens again
        await _no_draft_and_librarians_untouched(desk)


async def test_asking_for_ris_in_words_answers_as_the_code_does(desk: Desk) -> None:
    await desk.patron_says("bisa minta format RIS kak?")
    await _handled(desk, 1)
    assert await _texts(desk, PATRON) == [t("id", "export_none", format="RIS")]
    await _no_draft_and_librarians_untouched(desk)


async def test_yes_delete_erases_after_the_request_and_explains_without_one(desk: Desk) -> None:
    await desk.patron_says("yes, delete")  # nothing asked: how to erase, not a draft
    await _handled(desk, 1)
    assert await _texts(desk, PATRON) == [t("en", "smalltalk_hint_erase")]
    await desk.patron_says("DELETE MY DATA")
    await _handled(desk, 2)
    await desk.patron_says("Yes, delete!")
    await _handled(desk, 3)
    assert (await _texts(desk, PATRON))[-1] == t("en", "erase_done")
    await _no_draft_and_librarians_untouched(desk)


async def test_a_greeting_with_a_need_is_a_question(desk: Desk) -> None:
    await desk.patron_says("halo kak, saya cari buku tentang katalogisasi")
    await eventually(desk.services.store.draft_ids, what="a draft for the librarians")
    assert not any(text == t("id", "smalltalk_greeting") for text in await _texts(desk, PATRON))
