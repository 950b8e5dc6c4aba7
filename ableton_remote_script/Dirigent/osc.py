"""A small OSC 1.0 codec for the Remote Script (Live's Python has no python-osc): messages and
bundles with int32, float32, string, true/false arguments. Written for Dirigent."""

from __future__ import annotations

import struct
from typing import Any


def _pad(raw: bytes) -> bytes:
    return raw + b"\x00" * (4 - len(raw) % 4)


def encode(address: str, args: Any = ()) -> bytes:
    """One OSC message as bytes."""
    tags, data = ",", b""
    for a in args:
        if isinstance(a, bool):
            tags += "T" if a else "F"
        elif isinstance(a, int):
            tags += "i"
            data += struct.pack(">i", a)
        elif isinstance(a, float):
            tags += "f"
            data += struct.pack(">f", a)
        else:
            tags += "s"
            data += _pad(str(a).encode("utf-8"))
    return _pad(address.encode("utf-8")) + _pad(tags.encode("ascii")) + data


def _string(data: bytes, at: int) -> tuple[str, int]:
    end = data.index(b"\x00", at)
    return data[at:end].decode("utf-8"), (end // 4 + 1) * 4


def decode(data: bytes) -> list[tuple[str, list[Any]]]:
    """The (address, [args]) messages in a datagram (bundles unpacked); raises ValueError."""
    try:
        if data.startswith(b"#bundle\x00"):
            out: list[tuple[str, list[Any]]] = []
            at = 16
            while at < len(data):
                (size,) = struct.unpack_from(">i", data, at)
                out.extend(decode(data[at + 4 : at + 4 + size]))
                at += 4 + size
            return out
        address, at = _string(data, 0)
        tags, at = _string(data, at) if at < len(data) else (",", at)
        args: list[Any] = []
        for tag in tags[1:]:
            if tag == "i":
                args.append(struct.unpack_from(">i", data, at)[0])
                at += 4
            elif tag == "f":
                args.append(struct.unpack_from(">f", data, at)[0])
                at += 4
            elif tag == "s":
                value, at = _string(data, at)
                args.append(value)
            elif tag in "TF":
                args.append(tag == "T")
            else:
                raise ValueError(f"unsupported OSC type tag {tag!r}")
        return [(address, args)]
    except (struct.error, UnicodeDecodeError, IndexError) as e:
        raise ValueError(f"not an OSC packet: {e}") from e
