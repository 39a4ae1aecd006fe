"""MP3 at the byte level: LAME's frames, and an episode file made of separately encoded parts.

An MP3 frame carries 1,152 samples. LAME turns n samples into ceil(n / 1152) + 1 frames whose
decoded output starts with 1,105 samples of delay (576 of its own, 529 of the decoder) and ends
in padding. Frames of separately encoded stretches, joined, therefore decode exactly as those
stretches laid end to end, as long as each stretch but the last is fed one frame's worth less
than its length on the 1,152 grid and that frame's worth was silence (the encoder's delay and
padding fill it with silence again). Every stretch starts with an empty bit reservoir, so the
joined frames are a valid stream; one Xing/LAME "Info" frame in front gives players the frame
count, a seek table and the delay and padding to trim, as LAME's own files do.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import anycrc
import lameenc
import numpy as np

from producer.errors import AudioError
from producer.models import Samples

FRAME = 1152
ENCODER_DELAY = 576  # LAME's own; the decoder adds 529 more
RATE = 44100
# 96 kbps mono is transparent for speech and jingles. LAME's quality 7 skips noise shaping and
# encodes about twice as fast as its default: the encode is the floor of a build's time, and at
# this bitrate the difference is not audible.
BITRATE_KBPS = 96
QUALITY = 7
# LAME's CBR/ABR presets up to 160 kbps scale the input by 0.95 (the `scale` column of
# abr_switch_map in its presets.c): feeding 1/0.95 more keeps the file at the mastered loudness.
# CBR rather than VBR so that players seek exactly to chapter starts.
LAME_CBR_SCALE = 0.95

_CRC16 = anycrc.Model("CRC16-ARC")  # the LAME tag's music and tag CRCs
_BITRATES_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_XING_OFFSET = 4 + 17  # header, then side information of an MPEG-1 mono frame
_LAME_OFFSET = _XING_OFFSET + 120  # "Info", flags, frames, bytes, 100-entry TOC, quality


class LameEncoder:
    """LAME in this process (lameenc): mono float blocks in, bare MP3 frames out (no tag frame).

    In-process because an encoder process costs its start for every part (~50 ms of CPU for
    Debian's ffmpeg, as much as encoding 30 s of speech), and LAME releases the GIL while it
    encodes, so threads encode on every core. LAME takes 16-bit PCM here: the mastered float
    is scaled by 1/LAME_CBR_SCALE and rounded, far below what 96 kbps keeps.
    """

    def __init__(self, rate: int = RATE) -> None:
        self._lame = lameenc.Encoder()
        self._lame.set_bit_rate(BITRATE_KBPS)
        self._lame.set_in_sample_rate(rate)
        self._lame.set_out_sample_rate(rate)
        self._lame.set_channels(1)
        self._lame.set_quality(QUALITY)

    def encode(self, block: Samples) -> bytes:
        pcm = np.rint(block * np.float32(32768.0 / LAME_CBR_SCALE))
        return bytes(self._lame.encode(np.clip(pcm, -32768, 32767).astype("<i2").tobytes()))

    def flush(self) -> bytes:
        return bytes(self._lame.flush())


def encode_mp3(blocks: Iterable[Samples], rate: int = RATE) -> bytes:
    """The MP3 frames of the mono float `blocks`, encoded as one stream."""
    encoder = LameEncoder(rate)
    return b"".join([*(encoder.encode(block) for block in blocks), encoder.flush()])


@functools.cache
def _lame_version() -> bytes:
    """What LAME writes of its name and version in its frames (b"LAME3.100"), for the Info frame."""
    found = re.search(rb"LAME[0-9.]+", encode_mp3([np.zeros(FRAME, np.float32)]))
    return found[0][:9] if found else b"LAME"


def encoder_id() -> str:
    """Everything that decides the encoder's bytes, for cache keys."""
    version = _lame_version().decode("ascii", "replace")
    return f"lameenc {version} {BITRATE_KBPS}k q{QUALITY} scale{LAME_CBR_SCALE} s16"


def frames_for(samples: int) -> int:
    """How many frames LAME makes of `samples` samples."""
    return -(-samples // FRAME) + 1


def _frame_size(header: int) -> int:
    if header >> 21 != 0x7FF or (header >> 19) & 3 != 3 or (header >> 17) & 3 != 1:
        raise ValueError("not an MPEG-1 Layer III frame")
    bitrate = _BITRATES_KBPS[(header >> 12) & 15] if (header >> 12) & 15 < 15 else 0
    if not bitrate or (header >> 10) & 3 != 0:
        raise ValueError("not a 44.1 kHz frame at a fixed bitrate")
    return 144 * bitrate * 1000 // RATE + ((header >> 9) & 1)


def count_frames(data: bytes | memoryview) -> int:
    """The number of whole MP3 frames `data` consists of; ValueError if it is anything else."""
    pos = count = 0
    while pos < len(data):
        if pos + 4 > len(data):
            raise ValueError("data ends inside a frame header")
        pos += _frame_size(int.from_bytes(data[pos : pos + 4], "big"))
        count += 1
    if pos != len(data):
        raise ValueError("data ends inside a frame")
    return count


def crc16(data: bytes | memoryview) -> int:
    return int(_CRC16.calc(data))


@dataclass(frozen=True)
class Stretch:
    """Encoded frames stored in a file: `size` bytes from `offset`, `frames` frames, their CRC-16."""

    path: Path
    offset: int
    size: int
    frames: int
    crc: int


def _info_template() -> bytes:
    """An empty Xing "Info" frame with a LAME tag for these settings, to be filled in for an episode.

    A frame of the episode's own kind (MPEG-1 Layer III, 96 kbps, 44.1 kHz, mono, no padding)
    whose side information is empty, so decoders play it as silence or skip it; the LAME tag's
    name tells players to read its delay and padding.
    """
    bitrate_index = _BITRATES_KBPS.index(BITRATE_KBPS)
    header = (0xFFFB << 16 | bitrate_index << 12 | 0b11 << 6).to_bytes(4, "big")
    frame = bytearray(_frame_size(int.from_bytes(header, "big")))
    frame[:4] = header
    # "Info", then flags: frame count, byte count, seek table and quality fields present.
    frame[_XING_OFFSET : _XING_OFFSET + 8] = b"Info" + (0x0F).to_bytes(4, "big")
    frame[_LAME_OFFSET : _LAME_OFFSET + 9] = _lame_version().ljust(9, b"\0")
    return bytes(frame)


def info_frame(stretches: Sequence[Stretch], samples: int) -> bytes:
    """The Xing/LAME Info frame for `stretches` joined, holding `samples` samples of programme."""
    frame = bytearray(_info_template())
    frames = sum(s.frames for s in stretches)
    total = len(frame) + sum(s.size for s in stretches)
    padding = frames * FRAME - ENCODER_DELAY - samples
    if not 0 <= padding < 4096:
        raise AudioError(f"{samples} samples do not fit {frames} MP3 frames")
    xing, lame = _XING_OFFSET, _LAME_OFFSET
    frame[xing + 8 : xing + 12] = frames.to_bytes(4, "big")
    frame[xing + 12 : xing + 16] = total.to_bytes(4, "big")
    frame[xing + 16 : xing + 116] = _seek_table(stretches, len(frame), total)
    frame[lame + 21 : lame + 24] = (ENCODER_DELAY << 12 | padding).to_bytes(3, "big")
    frame[lame + 28 : lame + 32] = total.to_bytes(4, "big")
    crc = 0
    for s in stretches:
        crc = int(_CRC16.combine(crc, s.crc, s.size))
    frame[lame + 32 : lame + 34] = crc.to_bytes(2, "big")
    # The tag's own CRC covers the frame's first 190 bytes, the CRC field itself still zero.
    frame[lame + 34 : lame + 36] = bytes(2)
    frame[lame + 34 : lame + 36] = crc16(bytes(frame[:190])).to_bytes(2, "big")
    return bytes(frame)


def _seek_table(stretches: Sequence[Stretch], start: int, total: int) -> bytes:
    """Xing's table: for each percent of the duration, the byte position as a share of 256.

    Within a stretch the frames are taken as equally long (at a fixed bitrate they differ by
    one padding byte at most), which is as fine as the table can tell.
    """
    frames = sum(s.frames for s in stretches)
    table = bytearray(100)
    index = first = 0
    pos = start
    for percent in range(100):
        wanted = percent * frames // 100
        while index < len(stretches) and first + stretches[index].frames <= wanted:
            first += stretches[index].frames
            pos += stretches[index].size
            index += 1
        inside = 0
        if index < len(stretches):
            inside = (wanted - first) * stretches[index].size // stretches[index].frames
        table[percent] = min(255, 256 * (pos + inside) // total)
    return bytes(table)


def write_episode(dest: BinaryIO, tag: bytes, stretches: Sequence[Stretch], samples: int) -> None:
    """The ID3 tag, the Info frame and the stretches' frames, in that order, to `dest`."""
    dest.write(tag)
    dest.write(info_frame(stretches, samples))
    for s in stretches:
        try:
            with open(s.path, "rb") as src:
                src.seek(s.offset)
                left = s.size
                while left:
                    chunk = src.read(min(left, 1 << 20))
                    if not chunk:
                        raise AudioError(f"the encoded part {s.path.name} was cut short while in use")
                    dest.write(chunk)
                    left -= len(chunk)
        except FileNotFoundError as exc:
            raise AudioError(f"the encoded part {s.path.name} was removed while in use; build again") from exc
