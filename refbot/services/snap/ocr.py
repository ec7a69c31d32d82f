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


_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp")


async def read_file(path: Path, mime_type: str, *, languages: str = "ind+eng", seconds: float = 30.0) -> str:
    """The text in an image or PDF file (its extension decides when the type does not).

    Raises:
        OcrError: the file cannot be read.
    """
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        mime_type = "application/pdf"
    elif not mime_type.startswith("image/") and suffix in _IMAGE_SUFFIXES:
        mime_type = f"image/{suffix.lstrip('.')}"
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as e:
        raise OcrError(f"cannot open {path.name}: {e.strerror}") from e
    return await read_data(data, mime_type or suffix, languages=languages, seconds=seconds)


async def read_data(data: bytes, mime_type: str, *, languages: str = "ind+eng", seconds: float = 30.0) -> str:
    """The text in an image or PDF, given its bytes and type.

    Raises:
        OcrError: the bytes cannot be read.
    """
    if mime_type == "application/pdf":
        return await read_pdf(data, languages=languages, seconds=seconds)
    if mime_type.startswith("image/"):
        image = await asyncio.to_thread(_open, data)
        return await read_image(image, languages=languages, seconds=seconds)
    raise OcrError(f"cannot read text from a {mime_type or 'untyped'} file")


async def read_image(image: Image.Image, *, languages: str = "ind+eng", seconds: float = 30.0) -> str:
    """The text Tesseract finds in one image."""
    prepared = await asyncio.to_thread(_prepare, image)
    try:
        return await _tesseract(prepared, languages, seconds)
    finally:
        prepared.unlink(missing_ok=True)


async def read_pdf(data: bytes, *, languages: str = "ind+eng", seconds: float = 30.0) -> str:
    """A PDF's text layer, or the text of its first pages' images when it has none."""
    text, images = await asyncio.to_thread(_pdf_contents, data)
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


def _open(data: bytes) -> Image.Image:
    try:
        with Image.open(io.BytesIO(data)) as image:
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


def _pdf_contents(data: bytes) -> tuple[str, list[Image.Image]]:
    try:
        reader = PdfReader(io.BytesIO(data))
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
