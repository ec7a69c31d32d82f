"""Patrons' files: saved under names refbot makes, found again, deleted only when refbot named them."""

from __future__ import annotations

from pathlib import Path

from refbot.store.media import MediaFiles, delete_saved, safe_stem


def test_only_the_files_refbot_named_for_those_messages_are_deleted(tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    saved = media / f"{safe_stem(1, 'wamid-media-1')}.png"
    partial = media / f"{safe_stem(1, 'wamid-media-2')}.pdf.part"
    other_message = media / f"{safe_stem(12, 'wamid-media-3')}.jpg"
    not_ours = [media / "1-notes.txt", media / "1-0123456789abcdef.sh", media / "1-0123456789abcdef"]
    outside = tmp_path / f"{safe_stem(1, 'wamid-media-1')}.png"
    for path in (saved, partial, other_message, outside, *not_ours):
        path.write_bytes(b"x")

    assert delete_saved(media, [1]) == 2
    assert not saved.exists() and not partial.exists()
    assert other_message.exists() and outside.exists() and all(p.exists() for p in not_ours)


def test_a_missing_folder_deletes_nothing(tmp_path: Path) -> None:
    assert delete_saved(tmp_path / "media", [1, 2]) == 0


async def test_a_saved_file_is_found_again_under_the_name_refbot_gave_it(tmp_path: Path) -> None:
    files = MediaFiles(tmp_path / "media")
    assert await files.find(3, "1234567890") is None
    saved = await files.save(3, "1234567890", b"%PDF-1.4 hello", "application/pdf")
    assert saved.path.name == f"{safe_stem(3, '1234567890')}.pdf" and saved.size == 14
    assert await files.find(3, "1234567890") == saved
    assert await files.find(3, "another-id") is None
    assert not list(files.folder.glob("*.part"))
    assert await files.delete([3]) == 1 and await files.find(3, "1234567890") is None


def test_there_is_one_media_error_on_both_sides() -> None:
    from connectors.whatsapp import channel, media
    from refbot.errors import ChannelError, MediaError

    assert media.MediaError is MediaError and channel.MediaError is MediaError
    assert issubclass(MediaError, ChannelError)
    assert MediaError("refused", code=100, transient=False).code == 100
