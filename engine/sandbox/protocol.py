"""Frames between the server and the script worker: a 4-byte big-endian length, then UTF-8 JSON."""
from __future__ import annotations

import json
import struct
from typing import Any, BinaryIO

HEADER = struct.Struct(">I")
MAX_FRAME_BYTES = 16 * 1024 * 1024


class FrameTooLarge(ValueError):
    """A message would not fit in one frame."""


def encode(message: Any) -> bytes:
    """One frame holding `message`.

    Raises:
        FrameTooLarge: the JSON text is over MAX_FRAME_BYTES.
        ValueError, TypeError: `message` is not JSON data.
    """
    body = json.dumps(message, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    if len(body) > MAX_FRAME_BYTES:
        raise FrameTooLarge(f"{len(body):,} bytes of data; the limit is {MAX_FRAME_BYTES:,}")
    return HEADER.pack(len(body)) + body


def decode(body: bytes) -> Any:
    """The message in a frame's body."""
    return json.loads(body.decode("utf-8"))


def read_frame(stream: BinaryIO) -> Any | None:
    """Block until a whole frame arrives on `stream`; None at end of file.

    Raises:
        FrameTooLarge: the header announces more than MAX_FRAME_BYTES.
        EOFError: the stream ends inside a frame.
    """
    header = stream.read(HEADER.size)
    if not header:
        return None
    if len(header) < HEADER.size:
        raise EOFError("stream ended inside a frame header")
    (length,) = HEADER.unpack(header)
    if length > MAX_FRAME_BYTES:
        raise FrameTooLarge(f"frame of {length:,} bytes; the limit is {MAX_FRAME_BYTES:,}")
    body = stream.read(length)
    if len(body) < length:
        raise EOFError("stream ended inside a frame")
    return decode(body)
