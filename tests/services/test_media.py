"""Patrons' files in folders: saved under names refbot makes, found again, deleted only when refbot named them."""

from __future__ import annotations

from pathlib import Path

import pytest

from refbot.store.media import FolderMedia, MediaFiles, safe_stem


async def test_only_the_files_refbot_named_for_those_messages_are_deleted(tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    saved = media / f"{safe_stem(1, 'wamid-media-1')}.png"
    partial = media / f"{safe_stem(1, 'wamid-media-2')}.pdf.part"  # a write a crash cut short
    other_message = media / f"{safe_stem(12, 'wamid-media-3')}.jpg"
    not_ours = [media / "1-notes.txt", media / "1-0123456789abcdef.sh", media / "1-0123456789abcdef"]
    outside = tmp_path / f"{safe_stem(1, 'wamid-media-1')}.png"
    for path in (saved, partial, other_message, outside, *not_ours):
        path.write_bytes(b"x")

    assert await MediaFiles(FolderMedia(tmp_path)).delete([1]) == 2
    assert not saved.exists() and not partial.exists()
    assert other_message.exists() and outside.exists() and all(p.exists() for p in not_ours)


async def test_a_missing_folder_deletes_nothing(tmp_path: Path) -> None:
    assert await MediaFiles(FolderMedia(tmp_path / "nowhere")).delete([1, 2]) == 0


async def test_a_saved_file_is_found_again_under_the_name_refbot_gave_it(tmp_path: Path) -> None:
    files = MediaFiles(FolderMedia(tmp_path))
    assert await files.find(3, "1234567890") is None
    saved = await files.save(3, "1234567890", b"%PDF-1.4 hello", "application/pdf")
    assert saved.key == f"media/{safe_stem(3, '1234567890')}.pdf" and saved.size == 14
    assert (tmp_path / saved.key).read_bytes() == b"%PDF-1.4 hello"  # the folder layout refbot always used
    assert await files.find(3, "1234567890") == saved
    assert await files.find(3, "another-id") is None
    assert not list((tmp_path / "media").glob("*.part"))
    assert await files.delete([3]) == 1 and await files.find(3, "1234567890") is None


@pytest.mark.parametrize("key", [
    "../refbot.sqlite3", "/etc/passwd", "media/../refbot.sqlite3", "media/.hidden", "media/a/b.png",
    "media/scan me.pdf", "media/x.png.part", "Media/x.png", "media/", "x.png", "",
])
async def test_a_name_refbot_did_not_make_is_refused(tmp_path: Path, key: str) -> None:
    folder = FolderMedia(tmp_path / "var")
    with pytest.raises(ValueError, match="not a file key"):
        await folder.put(key, b"x", "application/pdf")
    with pytest.raises(ValueError, match="not a file key"):
        await folder.get(key)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # noqa: ASYNC240 - a test may look at the disk


async def test_a_write_that_fails_leaves_neither_a_half_file_nor_the_old_one_damaged(tmp_path: Path) -> None:
    folder = FolderMedia(tmp_path)
    await folder.put("exports/referensi-1.ris", b"TY  - BOOK\nER  - \n", "application/x-research-info-systems")
    await folder.put("exports/referensi-1.ris", b"TY  - JOUR\nER  - \n", "application/x-research-info-systems")
    assert await folder.get("exports/referensi-1.ris") == b"TY  - JOUR\nER  - \n"

    (tmp_path / "letters" / "K7QM-2XWD-9RTA.pdf").mkdir(parents=True)  # in the way: the rename must fail
    with pytest.raises(OSError):
        await folder.put("letters/K7QM-2XWD-9RTA.pdf", b"%PDF-1.4", "application/pdf")
    assert [p.name for p in (tmp_path / "letters").iterdir()] == ["K7QM-2XWD-9RTA.pdf"]
    assert not await folder.exists("letters/K7QM-2XWD-9RTA.pdf")
    assert await folder.keys("exports/") == ["exports/referensi-1.ris"]


def test_there_is_one_media_error_on_both_sides() -> None:
    from connectors.whatsapp import channel, media
    from refbot.errors import ChannelError, MediaError

    assert media.MediaError is MediaError and channel.MediaError is MediaError
    assert issubclass(MediaError, ChannelError)
    assert MediaError("refused", code=100, transient=False).code == 100
