"""Station audio files as an attacker would make them: refused from the header before decoding,
decoded within bounds, and never read as playlists. Peak memory is measured in a fresh process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from producer.audio.ffmpeg import decode_file, ffmpeg_exe, read_header, sniff
from producer.errors import AudioError

_MEASURE = """
import resource, sys
from pathlib import Path
from producer.audio.ffmpeg import decode_file
from producer.errors import AudioError
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    clip = decode_file(Path(sys.argv[1]), 8000, float(sys.argv[2]))
    outcome = f"decoded {clip.duration:.1f} s"
except AudioError as exc:
    outcome = str(exc)
after = resource.getrusage(resource.RUSAGE_SELF)
print((after.ru_maxrss - before) / 1024, after.ru_utime + after.ru_stime, outcome, sep="\\t")
"""


def measured(path: Path, max_seconds: float) -> tuple[float, float, str]:
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path), str(max_seconds)],
        capture_output=True,
        text=True,
        check=True,
    )
    grown, cpu, outcome = done.stdout.strip().split("\t", 2)
    return float(grown), float(cpu), outcome


def long_silent_flac(path: Path, seconds: int, rate: int) -> Path:
    """Real FLAC of `seconds` of silence: a few dozen KB that decode to gigabytes."""
    with sf.SoundFile(path, "w", rate, 1, format="FLAC", subtype="PCM_16") as f:
        block = np.zeros(rate * 10, np.int16)
        for _ in range(seconds // 10):
            f.write(block)
    return path


def test_a_long_high_rate_flac_is_refused_from_its_header(tmp_path: Path) -> None:
    flac = long_silent_flac(tmp_path / "jingle.flac", 4000, 96_000)
    assert flac.stat().st_size < 2 * 2**20
    assert read_header(flac).seconds == pytest.approx(4000)
    grown, cpu, outcome = measured(flac, 121)
    assert "4000 s, over 121 s" in outcome
    assert grown < 50 and cpu < 5, (grown, cpu)


def test_a_flac_of_unknown_length_is_refused_from_its_header(tmp_path: Path) -> None:
    flac = long_silent_flac(tmp_path / "jingle.flac", 20, 48_000)
    data = bytearray(flac.read_bytes())
    # STREAMINFO's total-samples field (the low 36 bits of bytes 21-25) set to 0: "unknown".
    data[21] &= 0xF0
    data[22:26] = bytes(4)
    flac.write_bytes(bytes(data))
    with pytest.raises(AudioError, match="over 121 s"):
        decode_file(flac, 8000, 121)


def test_an_mp3_longer_than_its_header_says_stops_decoding_at_the_limit(tmp_path: Path) -> None:
    def mp3(seconds: int, *extra: str) -> bytes:
        out = tmp_path / f"{seconds}.mp3"
        source = ["-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", str(seconds)]
        subprocess.run(
            [
                ffmpeg_exe(),
                "-v",
                "error",
                "-y",
                *source,
                "-c:a",
                "libmp3lame",
                "-b:a",
                "32k",
                *extra,
                str(out),
            ],
            check=True,
        )
        return out.read_bytes()

    # A 10 s MP3 whose Xing header says so, followed by 300 s more of frames without a header.
    lying = tmp_path / "jingle.mp3"
    lying.write_bytes(mp3(10) + mp3(300, "-write_xing", "0", "-id3v2_version", "0"))
    assert read_header(lying).seconds == pytest.approx(10, abs=0.1)
    grown, _cpu, outcome = measured(lying, 121)
    assert "longer than its header says" in outcome
    assert grown < 50


def test_a_decode_within_the_limit_is_exact(tmp_path: Path) -> None:
    wav = tmp_path / "j.wav"
    sf.write(wav, np.full(44_100 * 3, 0.25, np.float32), 44_100)
    clip = decode_file(wav, 8000, 121)
    assert clip.duration == pytest.approx(3.0, abs=0.01)
    assert float(np.median(clip.samples)) == pytest.approx(0.25, abs=0.01)


@pytest.mark.parametrize(
    "content",
    [
        "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{target}\n#EXT-X-ENDLIST\n",
        "ffconcat version 1.0\nfile '{target}'\n",
        "<?xml version='1.0'?><smil><body><audio src='{target}'/></body></smil>",
    ],
    ids=["hls", "concat", "smil"],
)
def test_playlists_are_never_followed(tmp_path: Path, content: str) -> None:
    secret = tmp_path / "secret.wav"
    sf.write(secret, np.full(8000, 0.5, np.float32), 8000)
    for name in ("jingle.mp3", "jingle.m4a", "jingle.wav"):
        playlist = tmp_path / name
        playlist.write_text(content.format(target=secret), encoding="utf-8")
        with pytest.raises(AudioError, match="not an audio file"):
            decode_file(playlist, 8000)


def test_mp3_frames_are_sniffed_and_read_by_ffmpeg_with_the_mp3_demuxer_only(tmp_path: Path) -> None:
    assert sniff(b"ID3\x04") == "mp3"
    assert sniff(b"\xff\xfb\x90\x00") == "mp3"
    assert sniff(b"\xff\xf1\x50\x80") == "aac"
    assert sniff(b"\x00\x00\x00\x20ftypM4A ") == "mov"
    assert sniff(b"#EXTM3U\n") is None
