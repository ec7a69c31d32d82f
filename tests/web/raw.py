"""HTTP/1.1 written byte by byte, for requests a well-behaved client will not send (raw bytes in a header)."""

from __future__ import annotations

import asyncio

from yarl import URL


async def raw_request(base: str, method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> int:
    """Send one request over a fresh connection; the status of the answer.

    Raises:
        ConnectionError: the server closed the connection without answering.
    """
    url = URL(base)
    assert url.host is not None and url.port is not None
    reader, writer = await asyncio.open_connection(url.host, url.port)
    try:
        head = [f"{method} {path} HTTP/1.1".encode("ascii"), f"Host: {url.host}:{url.port}".encode("ascii"),
                b"Connection: close", f"Content-Length: {len(body)}".encode("ascii")]
        head += [name + b": " + value for name, value in headers]
        writer.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()
        await writer.wait_closed()
    if not status_line:
        raise ConnectionError(f"{method} {path}: the server closed the connection without an answer")
    return int(status_line.split()[1])
