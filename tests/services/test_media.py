"""Deleting a forgotten message's files: only the names refbot gave, only in the media folder."""

from __future__ import annotations

from pathlib import Path

from refbot.services.snap.media import delete_saved, safe_stem


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
