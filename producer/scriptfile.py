"""The script as an editable text file, and as JSON-able data.

The text form is for people: staff open `bulletin.script` in any editor, change wording, and
`producer build bulletin.script` voices exactly what they left. Sections start with a bracketed
kind (`[story 2]`); lines starting with `#` are comments; blank lines inside a section are dropped.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from producer.errors import InputError
from producer.models import SEGMENT_LABELS, Script, Segment, SegmentKind

MAGIC = "# producer script v1"
_HEADER_KEYS = ("title", "station", "programme", "created")
_SECTION = re.compile(r"^\[\s*([a-z]+)(?:\s+(\d+))?\s*\]\s*(?:#.*)?$")


def looks_like_script(text: str) -> bool:
    return text.lstrip("\ufeff").startswith(MAGIC)


def headlines_of(segments: tuple[Segment, ...]) -> tuple[str, ...]:
    """A story's headline is the first line of its story segment, so editing it renames the chapter."""
    return tuple(seg.text.split("\n", 1)[0] for seg in segments if seg.kind is SegmentKind.STORY)


def script_to_text(script: Script) -> str:
    lines = [
        MAGIC,
        "# عدّلوا النص كما تشاؤون ثم: producer build هذا_الملف -o نشرة.mp3",
        "# كل قسم يبدأ بسطر بين قوسين مربعين؛ الأسطر التي تبدأ بـ # ملاحظات لا تُقرأ.",
        *(f"{key}: {_header_value(script, key)}" for key in _HEADER_KEYS),
        "",
    ]
    for seg in script.segments:
        number = f" {seg.story + 1}" if seg.story is not None else ""
        lines.append(f"[{seg.kind.value}{number}]  # {SEGMENT_LABELS[seg.kind]}")
        lines.extend(seg.text.split("\n"))
        lines.append("")
    return "\n".join(lines)


def _header_value(script: Script, key: str) -> str:
    value = getattr(script, key)
    return value.isoformat() if isinstance(value, datetime) else str(value)


def script_from_text(text: str) -> Script:
    header: dict[str, str] = {}
    segments: list[Segment] = []
    current: tuple[SegmentKind, int | None] | None = None
    body: list[str] = []

    def close_section() -> None:
        if current is not None and body:
            segments.append(Segment(current[0], "\n".join(body), story=current[1]))

    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _SECTION.match(line)
        if match:
            close_section()
            current, body = _section(match, number), []
        elif current is None:
            key, sep, value = line.partition(":")
            if not sep or key.strip() not in _HEADER_KEYS:
                raise InputError(f"script line {number}: expected a header like 'title: …' or a [section]")
            header[key.strip()] = value.strip()
        else:
            body.append(line)
    close_section()
    if not any(seg.kind is SegmentKind.STORY for seg in segments):
        raise InputError("the script has no [story N] section to read")
    missing = [key for key in _HEADER_KEYS if key not in header]
    if missing:
        raise InputError(f"the script header lacks {', '.join(missing)}")
    try:
        created = datetime.fromisoformat(header["created"])
    except ValueError as exc:
        raise InputError(f"the script's created date is not ISO 8601: {header['created']!r}") from exc
    return Script(
        title=header["title"],
        station=header["station"],
        programme=header["programme"],
        created=created,
        headlines=headlines_of(tuple(segments)),
        segments=tuple(segments),
    )


def _section(match: re.Match[str], line: int) -> tuple[SegmentKind, int | None]:
    try:
        kind = SegmentKind(match.group(1))
    except ValueError:
        known = ", ".join(k.value for k in SegmentKind)
        raise InputError(f"script line {line}: unknown section [{match.group(1)}] (known: {known})") from None
    story = int(match.group(2)) - 1 if match.group(2) else None
    if kind in (SegmentKind.STORY, SegmentKind.TRANSITION) and (story is None or story < 0):
        raise InputError(f"script line {line}: [{kind.value}] needs a story number, e.g. [{kind.value} 1]")
    return kind, story


def script_to_dict(script: Script) -> dict[str, Any]:
    return {
        "title": script.title,
        "station": script.station,
        "programme": script.programme,
        "created": script.created.isoformat(),
        "headlines": list(script.headlines),
        "segments": [
            {"kind": seg.kind.value, "text": seg.text, "story": seg.story} for seg in script.segments
        ],
    }


def script_from_dict(data: dict[str, Any]) -> Script:
    try:
        segments = tuple(
            Segment(SegmentKind(item["kind"]), str(item["text"]).strip(), item.get("story"))
            for item in data["segments"]
        )
        return Script(
            title=str(data["title"]),
            station=str(data["station"]),
            programme=str(data["programme"]),
            created=datetime.fromisoformat(data["created"]),
            headlines=headlines_of(segments),
            segments=segments,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"invalid script data: {exc}") from exc
