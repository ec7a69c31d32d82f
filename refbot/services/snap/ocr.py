"""Reading the text of a patron's screenshot or PDF with Tesseract.

Tesseract runs as a child process (``tesseract IMAGE stdout -l ind+eng``) with a time limit;
the image is first turned grey and, when small, enlarged — phone screenshots hold small
text, and Tesseract reads best at 300 dpi-like sizes. A PDF's own text layer is used when it
has one; a scanned PDF's page images go through Tesseract. The Debian packages
``tesseract-ocr``, ``tesseract-ocr-ind`` and ``tesseract-ocr-eng`` provide the program and
the Indonesian and English language data.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import tempfile
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PageObject, PdfReader
from pypdf.errors import PdfReadError

from refbot.errors import RefbotError

TARGET_WIDTH = 2000
MAX_PDF_PAGES = 3
MIN_TEXT_LAYER = 20


class OcrError(RefbotError):
    """An image could not be read (no Tesseract, a broken file, too slow)."""


async def read_file(path: Path, mime_type: str, *, languages: str = "ind+eng", seconds: float = 30.0) -> str:
    """The text in an image or PDF.

    Raises:
        OcrError: the file cannot be read.
    """
    if mime_type == "application/pdf" or path.suffix.lower() == ".pdf":
        return await read_pdf(path, languages=languages, seconds=seconds)
    if mime_type.startswith("image/") or path.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp"):
        image = await asyncio.to_thread(_open, path)
        return await read_image(image, languages=languages, seconds=seconds)
    raise OcrError(f"cannot read text from a {mime_type or path.suffix} file")


async def read_image(image: Image.Image, *, languages: str = "ind+eng", seconds: float = 30.0) -> str:
    """The text Tesseract finds in one image."""
    prepared = await asyncio.to_thread(_prepare, image)
    try:
        return await _tesseract(prepared, languages, seconds)
    finally:
        prepared.unlink(missing_ok=True)


async def read_pdf(path: Path, *, languages: str = "ind+eng", seconds: float = 30.0) -> str:
    """A PDF's text layer, or the text of its first pages' images when it has none."""
    text, images = await asyncio.to_thread(_pdf_contents, path)
    if len(text.strip()) >= MIN_TEXT_LAYER or not images:
        return text.strip()
    parts = [await read_image(image, languages=languages, seconds=seconds) for image in images]
    return "\n".join(p for p in parts if p).strip()


async def _tesseract(image_path: Path, languages: str, seconds: float) -> str:
    try:
        process = await asyncio.create_subprocess_exec(
            "tesseract", str(image_path), "stdout", "-l", languages, "--psm", "3",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
    except FileNotFoundError as e:
        raise OcrError("Tesseract is not installed (Debian: tesseract-ocr tesseract-ocr-ind tesseract-ocr-eng)") from e
    try:
        out, err = await asyncio.wait_for(process.communicate(), seconds)
    except TimeoutError as e:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise OcrError(f"Tesseract took longer than {seconds:g} s") from e
    if process.returncode != 0:
        raise OcrError(f"Tesseract failed: {err.decode('utf-8', 'replace').strip()[:300]}")
    return out.decode("utf-8", "replace").strip()


def _open(path: Path) -> Image.Image:
    try:
        with Image.open(path) as image:
            image.load()
            return ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as e:
        raise OcrError(f"not a readable image: {e}") from e


def _prepare(image: Image.Image) -> Path:
    """A grey, large-enough PNG copy for Tesseract, in a temporary file."""
    grey = image.convert("L")
    if grey.width < TARGET_WIDTH:
        factor = min(3.0, TARGET_WIDTH / max(grey.width, 1))
        grey = grey.resize((round(grey.width * factor), round(grey.height * factor)), Image.Resampling.LANCZOS)
    with tempfile.NamedTemporaryFile(prefix="refbot-ocr-", suffix=".png", delete=False) as handle:
        grey.save(handle, format="PNG")
        return Path(handle.name)


def _pdf_contents(path: Path) -> tuple[str, list[Image.Image]]:
    try:
        reader = PdfReader(path)
        pages = list(reader.pages)[:MAX_PDF_PAGES]
        text = "\n".join(page.extract_text() or "" for page in pages)
        images = [] if len(text.strip()) >= MIN_TEXT_LAYER else _page_images(pages)
    except (PdfReadError, OSError, ValueError) as e:
        raise OcrError(f"not a readable PDF: {e}") from e
    return text, images


def _page_images(pages: list[PageObject]) -> list[Image.Image]:
    found: list[Image.Image] = []
    for page in pages:
        for embedded in page.images:
            with contextlib.suppress(UnidentifiedImageError, OSError):
                found.append(Image.open(io.BytesIO(embedded.data)))
    return found
