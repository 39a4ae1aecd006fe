"""The broadcast WAV as playout systems read it: chunks parsed back here by a reader of our own
(following EBU Tech 3285 and AES46 byte by byte, not the writer's code), loudness checked against
ffmpeg's ebur128, and the audio read by soundfile and ffprobe."""

from __future__ import annotations

import io
import json
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from test_audio_encode import SCRIPT, meta_for, programme_for

from producer.audio.assemble import Timeline
from producer.audio.bwf import BroadcastInfo, write_bwf
from producer.audio.encode import encode
from producer.audio.ffmpeg import ffmpeg_exe
from producer.audio.master import TARGETS, master
from producer.errors import AudioError


def chunks(path: Path) -> dict[str, bytes]:
    data = path.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8
    found: dict[str, bytes] = {}
    pos = 12
    while pos < len(data):
        name, size = data[pos : pos + 4].decode("ascii"), struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        assert name not in found
        found[name] = data[pos + 8 : pos + 8 + size]
        pos += 8 + size + size % 2
    assert pos == len(data)
    return found


def text(field: bytes) -> str:
    return field.rstrip(b"\0").decode("utf-8")


@dataclass(frozen=True)
class Wav:
    path: Path
    programme: Timeline
    chunks: dict[str, bytes]


@pytest.fixture(scope="module")
def wav(tmp_path_factory: pytest.TempPathFactory) -> Wav:
    target = TARGETS["broadcast"]
    programme = programme_for(target.rate)
    out = tmp_path_factory.mktemp("bwf") / "bulletin.wav"
    encode(programme, target, out, meta_for(programme), station_ascii="Radio Alwan", valid_hours=3.0)
    return Wav(out, programme, chunks(out))


def test_chunk_order_puts_the_metadata_before_the_audio(wav: Wav) -> None:
    assert list(wav.chunks) == ["bext", "fmt ", "cart", "LIST", "iXML", "data"]


def test_fmt_is_plain_pcm_two_channels_48k_24_bit(wav: Wav) -> None:
    tag, channels, rate, per_second, align, bits = struct.unpack("<HHIIHH", wav.chunks["fmt "])
    assert (tag, channels, rate, per_second, align, bits) == (1, 2, 48000, 48000 * 6, 6, 24)
    assert len(wav.chunks["data"]) == wav.programme.frames * 6


def test_soundfile_reads_the_mastered_programme_on_both_channels(wav: Wav) -> None:
    info = sf.info(wav.path)
    assert (info.samplerate, info.channels, info.subtype, info.frames) == (
        48000,
        2,
        "PCM_24",
        wav.programme.frames,
    )
    audio, _ = sf.read(wav.path, dtype="float32")
    assert np.array_equal(audio[:, 0], audio[:, 1])
    mastered = np.concatenate(list(master(wav.programme, TARGETS["broadcast"])))
    assert np.abs(audio[:, 0] - mastered).max() < 2.0**-22  # 24-bit rounding


@dataclass(frozen=True)
class Bext:
    description: str
    originator: str
    reference: str
    date: str
    time: str
    time_reference: int
    version: int
    umid: bytes
    loudness: tuple[int, int, int, int, int]
    coding_history: str


def parse_bext(body: bytes) -> Bext:
    """EBU Tech 3285 v2 field by field: 256 + 32 + 32 + 10 + 8 bytes of text, two DWORDs, a WORD,
    64 bytes of UMID, five signed WORDs of loudness, 180 reserved, then the coding history."""
    assert len(body) >= 602
    low, high, version = struct.unpack("<IIH", body[338:348])
    assert body[422:602] == bytes(180)
    for field in (body[0:256], body[256:288], body[288:320], body[320:338], body[602:]):
        field.decode("ascii")  # bext text is ASCII
    return Bext(
        text(body[0:256]),
        text(body[256:288]),
        text(body[288:320]),
        text(body[320:330]),
        text(body[330:338]),
        low | high << 32,
        version,
        body[348:412],
        struct.unpack("<5h", body[412:422]),
        text(body[602:]),
    )


def test_bext_version_2_fields(wav: Wav) -> None:
    bext = parse_bext(wav.chunks["bext"])
    assert bext.version == 2
    assert bext.description == "News bulletin 2025-03-04 08:30, Radio Alwan"
    assert bext.originator == "Radio Alwan"
    assert bext.reference.startswith("20250304083000") and len(bext.reference) == 32
    assert (bext.date, bext.time) == ("2025-03-04", "08:30:00")
    assert bext.time_reference == (8 * 3600 + 30 * 60) * 48000  # samples since midnight
    assert bext.umid == bytes(64)
    assert re.fullmatch(r"A=PCM,F=48000,W=24,M=stereo,T=producer[^\r\n]*\r\n", bext.coding_history)


def ffmpeg_r128(path: Path, folder: Path) -> dict[str, float]:
    """ffmpeg's ebur128 summary (I, LRA, true peak) and the maxima of its momentary and short-term
    readings, which it prints every 100 ms."""
    log = folder / "r128.txt"
    graph = f"ebur128=peak=true:metadata=1,ametadata=mode=print:file={log}"
    done = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-nostats", "-i", str(path), "-af", graph, "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = done.stderr[done.stderr.rindex("Summary:") :]
    readings = log.read_text()

    def summary_value(pattern: str) -> float:
        found = re.search(pattern + r":\s+(-?[\d.]+)", summary)
        assert found, summary
        return float(found[1])

    return {
        "I": summary_value("I"),
        "LRA": summary_value("LRA"),
        "TP": summary_value("Peak"),
        "M": max(float(v) for v in re.findall(r"lavfi\.r128\.M=(-?[\d.]+)", readings)),
        "S": max(float(v) for v in re.findall(r"lavfi\.r128\.S=(-?[\d.]+)", readings)),
    }


def test_bext_loudness_equals_ffmpegs_reading_of_the_file(wav: Wav, tmp_path: Path) -> None:
    value, lra, peak, momentary, short_term = parse_bext(wav.chunks["bext"]).loudness
    ffmpeg = ffmpeg_r128(wav.path, tmp_path)
    # ffmpeg prints one decimal: 0.1 apart at most, and 0.05 of that is its rounding.
    assert value / 100 == pytest.approx(ffmpeg["I"], abs=0.1)
    assert lra / 100 == pytest.approx(ffmpeg["LRA"], abs=0.1)
    assert peak / 100 == pytest.approx(ffmpeg["TP"], abs=0.1)
    assert momentary / 100 == pytest.approx(ffmpeg["M"], abs=0.1)
    assert short_term / 100 == pytest.approx(ffmpeg["S"], abs=0.1)
    # EBU R128 as aired: the two-channel file at -23 LUFS, peaks under -1 dBTP.
    assert ffmpeg["I"] == pytest.approx(-23.0, abs=0.5)
    assert ffmpeg["TP"] <= -1.0
    assert 0.0 < lra < 2000 and momentary > value and short_term > value


def parse_cart(body: bytes) -> dict[str, object]:
    """AES46-2002: version, 7 x 64 bytes of text, start and end date (10) and time (8), 3 x 64 of
    text, the level reference, 8 post timers (FOURCC + DWORD), 276 reserved, 1024 of URL, tag text."""
    names = ["title", "artist", "cut_id", "client_id", "category", "classification", "out_cue"]
    fields: dict[str, object] = {"version": body[0:4].decode("ascii")}
    pos = 4
    for name in names:
        fields[name] = text(body[pos : pos + 64])
        pos += 64
    for name, size in (("start_date", 10), ("start_time", 8), ("end_date", 10), ("end_time", 8)):
        fields[name] = text(body[pos : pos + size])
        pos += size
    for name in ("producer_app", "producer_version", "user_def"):
        fields[name] = text(body[pos : pos + 64])
        pos += 64
    fields["level_reference"] = struct.unpack("<i", body[pos : pos + 4])[0]
    pos += 4
    timers = {}
    for _ in range(8):
        usage, value = body[pos : pos + 4], struct.unpack("<I", body[pos + 4 : pos + 8])[0]
        if usage != bytes(4):
            timers[usage.decode("ascii")] = value
        pos += 8
    fields["timers"] = timers
    assert pos == 748 and body[748:1024] == bytes(276)
    fields["url"] = text(body[1024:2048])
    fields["tag_text"] = body[2048:].decode("utf-8")
    return fields


def test_cart_tells_automation_what_it_is_when_to_air_it_and_where_to_segue(wav: Wav) -> None:
    cart = parse_cart(wav.chunks["cart"])
    created = SCRIPT.created
    expires = created + timedelta(hours=3)
    placements = wav.programme.placements
    outro = next(p for p in placements if p.label == "outro")
    ident = next(p for p in placements if p.label == "ident")
    assert cart["version"] == "0101"
    assert cart["title"] == SCRIPT.title
    assert cart["artist"] == SCRIPT.station
    assert cart["category"] == "NEWS"
    assert cart["client_id"] == "Radio Alwan"
    assert cart["cut_id"] == "20250304-083000"
    assert (cart["start_date"], cart["start_time"]) == ("2025-03-04", "08:30:00")
    assert (cart["end_date"], cart["end_time"]) == (f"{expires:%Y-%m-%d}", f"{expires:%H:%M:%S}")
    assert cart["producer_app"] == "producer"
    assert cart["timers"] == {
        "AUDs": 0,
        "INTs": 0,
        "INTe": ident.start,  # the voice comes in over the intro
        "SEGs": outro.start,  # the next item may start as the outro does
        "AUDe": wav.programme.frames,
    }
    assert 0 < ident.start < outro.start < wav.programme.frames


def test_a_long_arabic_title_is_cut_to_whole_letters_in_cart(tmp_path: Path) -> None:
    target = TARGETS["broadcast"]
    programme = programme_for(target.rate)
    long_title = "نشرة أخبار الساعة الثامنة والنصف صباحاً من راديو ألوان في دمشق"  # over 64 bytes
    meta = meta_for(programme)
    out = tmp_path / "long.wav"
    encode(programme, target, out, replace(meta, title=long_title))
    cart = parse_cart(chunks(out)["cart"])
    assert long_title.startswith(str(cart["title"])) and len(str(cart["title"]).encode()) <= 64


def test_the_arabic_title_is_in_info_and_ixml_as_utf8(wav: Wav) -> None:
    body = wav.chunks["LIST"]
    assert body[:4] == b"INFO"
    info, pos = {}, 4
    while pos < len(body):
        name, size = body[pos : pos + 4].decode("ascii"), struct.unpack("<I", body[pos + 4 : pos + 8])[0]
        info[name] = text(body[pos + 8 : pos + 8 + size])
        pos += 8 + size + size % 2
    assert info["INAM"] == SCRIPT.title
    assert info["IART"] == SCRIPT.station
    assert info["IPRD"] == SCRIPT.programme
    assert info["ICRD"] == "2025-03-04"
    assert info["ILNG"] == "ara"
    root = ET.fromstring(wav.chunks["iXML"])
    assert root.tag == "BWFXML"
    assert root.findtext("PROJECT") == SCRIPT.programme
    assert root.findtext("SCENE") == SCRIPT.title
    assert root.findtext("SPEED/FILE_SAMPLE_RATE") == "48000"
    assert root.findtext("TRACK_LIST/TRACK_COUNT") == "2"


@pytest.mark.skipif(
    shutil.which("ffprobe") is None, reason="ffprobe is not installed (scripts/setup.sh --test)"
)
def test_ffprobe_reads_the_wav_without_a_warning(wav: Wav) -> None:
    done = subprocess.run(
        ["ffprobe", "-v", "warning", "-show_format", "-show_streams", "-of", "json", str(wav.path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stderr == ""
    probed = json.loads(done.stdout)
    (stream,) = probed["streams"]
    assert (stream["codec_name"], stream["sample_rate"], stream["channels"]) == ("pcm_s24le", "48000", 2)
    assert int(stream["duration_ts"]) == wav.programme.frames
    tags = probed["format"]["tags"]
    assert tags["title"] == SCRIPT.title
    assert tags["artist"] == SCRIPT.station
    # ffmpeg reads bext too, under names of its own.
    assert (tags["encoded_by"], tags["time_reference"]) == ("Radio Alwan", str((8 * 3600 + 30 * 60) * 48000))


def test_a_programme_too_long_for_riff_is_refused_before_anything_is_written() -> None:
    created = datetime(2025, 3, 4, 8, 30)
    info = BroadcastInfo("t", "s", "", "p", "ara", created, created, 0, 0)
    dest = io.BytesIO()
    frames = 7 * 3600 * 48000  # 7 hours of 48 kHz 24-bit stereo: over 4 GiB
    with pytest.raises(AudioError, match="too long"):
        write_bwf(dest, iter(()), frames, 48000, info)
    assert dest.getvalue() == b""
