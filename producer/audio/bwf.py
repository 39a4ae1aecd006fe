"""The broadcast WAV as playout systems read it, written in the one pass that mastering feeds.

48 kHz 24-bit PCM (format tag 1, as EBU Tech 3285 asks) on two channels, the mono programme on
both, so that it airs, and every meter reads it, at the target loudness. Its chunks, in order:

- `bext` version 2 (EBU Tech 3285 and its supplement 1): ASCII description and originator, the
  origination date and time, the time reference (samples since midnight), the loudness figures of
  EBU R128 (integrated, range, true peak, momentary and short-term maxima) and a coding history;
- `fmt `;
- `cart` (AES46-2002): title, artist (the station), category NEWS, the dates and times between
  which it may air, and the intro and segue markers;
- `LIST`/`INFO` and `iXML` with the Arabic title, station and programme in UTF-8 (bext text is ASCII);
- `data`.

The loudness figures are measured on the programme as it is written (the mono figures plus the
3 LU of its second channel), and filled into bext when the data is complete.
"""

from __future__ import annotations

import hashlib
import math
import struct
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import BinaryIO

import numpy as np

from producer.audio.meter import (
    DUAL_MONO_LU,
    LoudnessMeter,
    TruePeakMeter,
    gated_loudness,
    loudness_range,
    lufs,
    windowed,
)
from producer.errors import AudioError
from producer.models import Samples

CHANNELS = 2
BITS = 24
_FULL_SCALE = float(1 << (BITS - 1))
_RIFF_LIMIT = (1 << 32) - 1
_BEXT_FIXED = 602
_CODING_HISTORY_SIZE = 128  # room for the history line; the rest stays NUL
_NOT_MEASURED = 0x7FFF  # Tech 3285 s1: a loudness field that carries no value
CATEGORY = "NEWS"


@dataclass(frozen=True)
class BroadcastInfo:
    """What the WAV's chunks say about the bulletin; frames are at the programme's rate."""

    title: str
    station: str
    station_ascii: str
    programme: str
    language: str
    created: datetime  # local time at the station
    valid_until: datetime
    intro_end: int  # where the voice comes in over the intro jingle
    segue: int  # where the outro jingle starts: the next item may start here


@dataclass(frozen=True)
class LoudnessFigures:
    """EBU R128 figures of the two-channel file, as bext version 2 stores them."""

    integrated: float
    loudness_range: float
    true_peak: float
    max_momentary: float
    max_short_term: float


def _software() -> str:
    try:
        return f"producer {package_version('producer')}"
    except PackageNotFoundError:
        return "producer"


def _ascii(text: str, size: int) -> bytes:
    """`text` as the ASCII of a fixed bext/cart field: other characters dropped, NUL-padded."""
    data = text.encode("ascii", "ignore")[:size]
    return data.ljust(size, b"\0")


def _utf8(text: str, size: int) -> bytes:
    """`text` in UTF-8 cut to whole characters within `size` bytes, NUL-padded."""
    data = text.encode("utf-8")[:size].decode("utf-8", "ignore").encode("utf-8")
    return data.ljust(size, b"\0")


def _chunk(name: bytes, body: bytes) -> bytes:
    return name + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def _centi(value: float) -> int:
    return round(value * 100) if math.isfinite(value) else _NOT_MEASURED


def _bext(info: BroadcastInfo, rate: int, figures: LoudnessFigures | None) -> bytes:
    seconds = info.created.hour * 3600 + info.created.minute * 60 + info.created.second
    reference = seconds * rate
    digest = hashlib.sha256(f"{info.title}\0{info.created.isoformat()}".encode()).hexdigest()
    body = b"".join(
        (
            _ascii(
                ", ".join(filter(None, (f"News bulletin {info.created:%Y-%m-%d %H:%M}", info.station_ascii))),
                256,
            ),
            _ascii(info.station_ascii, 32),
            _ascii(f"{info.created:%Y%m%d%H%M%S}{digest[:18]}", 32),
            _ascii(f"{info.created:%Y-%m-%d}", 10),
            _ascii(f"{info.created:%H:%M:%S}", 8),
            struct.pack("<IIH", reference & 0xFFFFFFFF, reference >> 32, 2),
            bytes(64),  # no UMID
        )
    )
    if figures is None:
        body += struct.pack("<5h", *[_NOT_MEASURED] * 5)
    else:
        values = (
            figures.integrated,
            figures.loudness_range,
            figures.true_peak,
            figures.max_momentary,
            figures.max_short_term,
        )
        body += struct.pack("<5h", *(_centi(v) for v in values))
    body += bytes(180)
    assert len(body) == _BEXT_FIXED
    history = f"A=PCM,F={rate},W={BITS},M=stereo,T={_software()}; mono programme on both channels\r\n"
    return body + _ascii(history, _CODING_HISTORY_SIZE)


def _cart(info: BroadcastInfo, frames: int) -> bytes:
    timers = [(b"AUDs", 0), (b"INTs", 0), (b"INTe", info.intro_end), (b"SEGs", info.segue), (b"AUDe", frames)]
    timers += [(bytes(4), 0)] * (8 - len(timers))
    return b"".join(
        (
            b"0101",
            _utf8(info.title, 64),
            _utf8(info.station, 64),
            _ascii(f"{info.created:%Y%m%d-%H%M%S}", 64),  # CutID
            _ascii(info.station_ascii, 64),  # ClientID
            _ascii(CATEGORY, 64),
            bytes(64),  # Classification
            bytes(64),  # OutCue
            _ascii(f"{info.created:%Y-%m-%d}", 10),
            _ascii(f"{info.created:%H:%M:%S}", 8),
            _ascii(f"{info.valid_until:%Y-%m-%d}", 10),
            _ascii(f"{info.valid_until:%H:%M:%S}", 8),
            _ascii("producer", 64),
            _ascii(_software().removeprefix("producer").strip(), 64),
            bytes(64),  # UserDef
            struct.pack("<i", 0),  # no level reference: levels are in bext's loudness fields
            b"".join(usage + struct.pack("<I", value) for usage, value in timers),
            bytes(276),  # reserved
            bytes(1024),  # URL
            b"\r\n",  # TagText
        )
    )


def _info(info: BroadcastInfo) -> bytes:
    fields = {
        b"INAM": info.title,
        b"IART": info.station,
        b"IPRD": info.programme,
        b"ICRD": f"{info.created:%Y-%m-%d}",
        b"ILNG": info.language,
        b"IGNR": "News",
        b"ISFT": _software(),
    }
    return b"INFO" + b"".join(_chunk(key, value.encode("utf-8") + b"\0") for key, value in fields.items())


def _ixml(info: BroadcastInfo, rate: int) -> bytes:
    root = ET.Element("BWFXML")
    for tag, text in (
        ("IXML_VERSION", "2.10"),
        ("PROJECT", info.programme),
        ("SCENE", info.title),
        ("NOTE", f"{info.title} — {info.station}"),
    ):
        ET.SubElement(root, tag).text = text
    speed = ET.SubElement(root, "SPEED")
    ET.SubElement(speed, "FILE_SAMPLE_RATE").text = str(rate)
    ET.SubElement(speed, "AUDIO_BIT_DEPTH").text = str(BITS)
    tracks = ET.SubElement(root, "TRACK_LIST")
    ET.SubElement(tracks, "TRACK_COUNT").text = str(CHANNELS)
    for index, name in enumerate(("L", "R"), start=1):
        track = ET.SubElement(tracks, "TRACK")
        ET.SubElement(track, "CHANNEL_INDEX").text = str(index)
        ET.SubElement(track, "INTERLEAVE_INDEX").text = str(index)
        ET.SubElement(track, "NAME").text = name
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _pcm(block: Samples) -> bytes:
    """Mono float samples as interleaved 24-bit little-endian frames, the sample on both channels."""
    top = (_FULL_SCALE - 1) / _FULL_SCALE
    values = np.round(np.clip(block, -1.0, top) * _FULL_SCALE).astype("<i4")
    three = values.view(np.uint8).reshape(-1, 4)[:, :3]
    return np.hstack((three, three)).tobytes()


def write_bwf(
    dest: BinaryIO, blocks: Iterable[Samples], frames: int, rate: int, info: BroadcastInfo
) -> LoudnessFigures:
    """Write the WAV of the mono `blocks` (`frames` in all) to the seekable `dest`; its figures."""
    align = CHANNELS * BITS // 8
    data_size = frames * align
    fmt = struct.pack("<HHIIHH", 1, CHANNELS, rate, rate * align, align, BITS)
    bext = _bext(info, rate, None)
    head = _chunk(b"fmt ", fmt) + _chunk(b"cart", _cart(info, frames))
    head += _chunk(b"LIST", _info(info)) + _chunk(b"iXML", _ixml(info, rate))
    riff_size = 4 + 8 + len(bext) + len(head) + 8 + data_size + data_size % 2
    if riff_size > _RIFF_LIMIT:
        raise AudioError(f"the programme is too long for a WAV file ({frames / rate / 3600:.1f} hours)")
    dest.write(b"RIFF" + struct.pack("<I", riff_size) + b"WAVE")
    bext_at = dest.tell()
    dest.write(_chunk(b"bext", bext))
    dest.write(head)
    dest.write(b"data" + struct.pack("<I", data_size))
    loudness, peak = LoudnessMeter(rate), TruePeakMeter()
    written = 0
    for block in blocks:
        block = block[: frames - written]
        loudness.feed(block)
        peak.feed(block)
        dest.write(_pcm(block))
        written += len(block)
    if written != frames:
        raise AudioError(f"the programme rendered {written} frames of the {frames} planned")
    if data_size % 2:
        dest.write(b"\0")
    peak.flush()
    figures = _figures(loudness, peak.peak)
    dest.seek(bext_at)
    dest.write(_chunk(b"bext", _bext(info, rate, figures)))
    dest.seek(0, 2)
    return figures


def _figures(meter: LoudnessMeter, peak: float) -> LoudnessFigures:
    sub_blocks = meter.sub_blocks(meter.chunks()[0])

    def top(window: int) -> float:
        means = windowed(sub_blocks, window)
        return lufs(float(means.max())) + DUAL_MONO_LU if len(means) else -math.inf

    return LoudnessFigures(
        integrated=gated_loudness(sub_blocks) + DUAL_MONO_LU,
        loudness_range=loudness_range(sub_blocks),
        true_peak=20.0 * math.log10(peak) if peak > 0 else -math.inf,
        max_momentary=top(4),
        max_short_term=top(30),
    )
