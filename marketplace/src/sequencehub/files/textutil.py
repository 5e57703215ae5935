"""Small text helpers shared by the sequence readers."""

from __future__ import annotations

import re

_XML_ESCAPE = re.compile(r"&(amp|lt|gt|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def base_name(path: str) -> str:
    """The last component of a Windows or Unix path (``C:\\\\x\\\\song.mp3`` -> ``song.mp3``)."""
    return re.split(r"[\\/]", path.strip())[-1]


def unescape_xml_once(text: str) -> str:
    """Undo one level of XML escaping (xLights escapes ``<head>`` text twice)."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _NAMED:
            return _NAMED[name]
        code = int("0" + name[1:], 0) if name.startswith("#x") else int(name[1:])
        try:
            return chr(code)
        except (ValueError, OverflowError):
            return match.group(0)

    return _XML_ESCAPE.sub(replace, text)


def c_string(data: bytes) -> str:
    """Text of a NUL-terminated byte string (UTF-8, undecodable bytes replaced)."""
    return data.split(b"\0", 1)[0].decode("utf-8", errors="replace").strip()
