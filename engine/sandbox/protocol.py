"""Frames between the server and the script worker: a 4-byte big-endian length, then UTF-8 JSON."""
from __future__ import annotations

import json
import math
import struct
from typing import Any, BinaryIO

HEADER = struct.Struct(">I")
MAX_FRAME_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64


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


def json_problem(value, depth: int = 0) -> str | None:
    """Why `value` is not JSON data a script may hand back, or None when it is."""
    if depth > MAX_DEPTH:
        return f"nested more than {MAX_DEPTH} levels deep"
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return None if _is_unicode(value) else "text that is not valid Unicode (a lone surrogate)"
    if isinstance(value, int):
        return "a number with too many digits" if value.bit_length() > 10_000 else None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"the number {value}"
    if isinstance(value, (list, tuple)):
        for item in value:
            problem = json_problem(item, depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"a dict key {type(key).__name__}, not str"
            if not _is_unicode(key):
                return "a dict key that is not valid Unicode (a lone surrogate)"
            problem = json_problem(item, depth + 1)
            if problem:
                return problem
        return None
    return f"it holds a {type(value).__name__}"


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
