"""Just enough PNG for screenshot checks, with the standard library only (no Pillow).

``read_png`` decodes 8-bit RGB and RGBA images (what Chromium writes);
``colours`` counts the distinct colours of a region; ``text_chunks`` and
``with_text`` read and add ``tEXt`` metadata, which is how a committed
screenshot records what it was made from.
"""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from dataclasses import dataclass

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {2: 3, 6: 4}  # colour type -> bytes per pixel at 8 bits


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    channels: int
    rows: list[bytes]  # unfiltered scanlines (the first ``height`` decoded)

    def pixel(self, x: int, y: int) -> tuple[int, ...]:
        start = x * self.channels
        return tuple(self.rows[y][start : start + min(3, self.channels)])


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    if not data.startswith(SIGNATURE):
        raise ValueError("not a PNG file")
    found, at = [], len(SIGNATURE)
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        found.append((kind, data[at + 8 : at + 8 + length]))
        at += 12 + length
    return found


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def _unfilter(kind: int, line: bytearray, prev: bytes, bpp: int) -> bytearray:
    if kind == 0:
        return line
    if kind == 2:
        return bytearray((x + p) & 0xFF for x, p in zip(line, prev, strict=True))
    out = bytearray(len(line))
    for i, x in enumerate(line):
        a = out[i - bpp] if i >= bpp else 0
        if kind == 1:
            out[i] = (x + a) & 0xFF
        elif kind == 3:
            out[i] = (x + ((a + prev[i]) >> 1)) & 0xFF
        else:
            c = prev[i - bpp] if i >= bpp else 0
            out[i] = (x + _paeth(a, prev[i], c)) & 0xFF
    return out


def read_png(data: bytes, max_rows: int | None = None) -> Image:
    """Decode (at most ``max_rows`` rows of) an 8-bit, non-interlaced RGB or RGBA PNG."""
    parts = chunks(data)
    header = next(body for kind, body in parts if kind == b"IHDR")
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or colour_type not in CHANNELS or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour_type})")
    bpp = CHANNELS[colour_type]
    raw = zlib.decompress(b"".join(body for kind, body in parts if kind == b"IDAT"))
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytes(stride)
    for y in range(height if max_rows is None else min(height, max_rows)):
        start = y * (stride + 1)
        line = _unfilter(raw[start], bytearray(raw[start + 1 : start + 1 + stride]), prev, bpp)
        rows.append(bytes(line))
        prev = rows[-1]
    return Image(width, height, bpp, rows)


def colours(image: Image, step: int = 1) -> Counter[tuple[int, ...]]:
    """How many pixels of each colour (every ``step``-th pixel of every decoded row)."""
    counts: Counter[tuple[int, ...]] = Counter()
    for row in image.rows:
        for x in range(0, image.width, step):
            start = x * image.channels
            counts[tuple(row[start : start + 3])] += 1
    return counts


def text_chunks(data: bytes) -> dict[str, str]:
    found: dict[str, str] = {}
    for kind, body in chunks(data):
        if kind == b"tEXt" and b"\x00" in body:
            key, _, value = body.partition(b"\x00")
            found[key.decode("latin-1")] = value.decode("latin-1")
    return found


def with_text(data: bytes, entries: dict[str, str]) -> bytes:
    """``data`` with ``tEXt`` chunks (replacing those of the same keys) after the header."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    def replaced(kind: bytes, body: bytes) -> bool:
        return kind == b"tEXt" and body.partition(b"\x00")[0].decode("latin-1") in entries

    parts = chunks(data)
    out = [SIGNATURE, chunk(*parts[0])]
    out += [chunk(b"tEXt", f"{k}\x00{v}".encode("latin-1")) for k, v in entries.items()]
    out += [chunk(kind, body) for kind, body in parts[1:] if not replaced(kind, body)]
    return b"".join(out)
