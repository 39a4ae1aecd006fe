"""The podcast episode as players read it: chapters with long Arabic titles in ffprobe and mutagen,
and the same length from every decoder (ffmpeg, mpg123, GStreamer)."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
from audio_support import make_script, speechlike
from mutagen.id3 import ID3

from producer.audio import mp3
from producer.audio.assemble import Timeline, plan_programme
from producer.audio.assets import default_assets
from producer.audio.encode import encode
from producer.audio.ffmpeg import ffmpeg_exe
from producer.audio.master import TARGETS
from producer.models import Clip, EpisodeMeta

# Up to 200 characters of Arabic, some 370 bytes in UTF-8: ffmpeg dropped titles over 127 bytes from
# ID3v2.4. Of unequal lengths, as a tag writer that orders frames by size would reorder them.
_WORDS = "تواصل الاشتباكات في المدينة وسط دعوات دولية لوقف إطلاق النار وفتح ممرات إنسانية "
HEADLINES = tuple(f"{i + 1}. {_WORDS * 3}"[:size] for i, size in enumerate((200, 170, 200, 140)))


@dataclass(frozen=True)
class Episode:
    path: Path
    programme: Timeline


@pytest.fixture(scope="module")
def episode(tmp_path_factory: pytest.TempPathFactory) -> Episode:
    script = replace(make_script(4), headlines=HEADLINES)
    # Lengths that differ from story to story, so that the chapters' frames differ in size too.
    speech = [
        [Clip(speechlike(1.0 + (i * 7 % 5) * 0.4, 22050, seed=i), 22050)] for i in range(len(script.segments))
    ]
    target = TARGETS["podcast"]
    programme = plan_programme(
        script, speech, default_assets(target.rate), rate=target.rate, granule=mp3.FRAME
    )
    meta = EpisodeMeta(
        script.title, script.station, script.programme, script.created, chapters=programme.chapters
    )
    out = tmp_path_factory.mktemp("players") / "long-titles.mp3"
    encode(programme, target, out, meta)
    return Episode(out, programme)


def test_headlines_are_200_arabic_characters() -> None:
    assert max(len(h) for h in HEADLINES) == 200 and min(len(h.encode()) for h in HEADLINES) > 250


@pytest.mark.skipif(
    shutil.which("ffprobe") is None, reason="ffprobe is not installed (scripts/setup.sh --test)"
)
def test_ffprobe_lists_every_chapter_in_order(episode: Episode) -> None:
    done = subprocess.run(
        ["ffprobe", "-v", "warning", "-show_chapters", "-of", "json", str(episode.path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stderr == ""
    chapters = json.loads(done.stdout)["chapters"]
    expected = episode.programme.chapters
    assert [c["tags"]["title"] for c in chapters] == ["العناوين", *HEADLINES]
    assert [(c["start"], c["end"]) for c in chapters] == [
        (round(c.start * 1000), round(c.end * 1000)) for c in expected
    ]
    starts = [c["start"] for c in chapters]
    assert starts == sorted(starts)


def test_the_ffmpeg_imageio_ffmpeg_ships_reads_every_chapter(episode: Episode) -> None:
    """imageio-ffmpeg's build (ffmpeg 7 and later) has no ffprobe; its metadata export lists chapters."""
    import imageio_ffmpeg

    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(episode.path)]
    done = subprocess.run([*cmd, "-f", "ffmetadata", "-"], capture_output=True, check=True)
    assert done.stderr == b""
    sections = done.stdout.decode().split("[CHAPTER]")[1:]
    titles = [
        next(line[6:] for line in section.splitlines() if line.startswith("title=")) for section in sections
    ]
    starts = [
        int(next(line[6:] for line in section.splitlines() if line.startswith("START=")))
        for section in sections
    ]
    assert titles == ["العناوين", *HEADLINES]
    # ffmpeg 9 counts from the first decoded sample, the encoder's and decoder's delay (25 ms) before
    # the programme's start; ffprobe 5.1 from the programme's start, as ID3 means it.
    expected = [round(c.start * 1000) for c in episode.programme.chapters]
    assert starts == sorted(starts) and all(0 <= e - s <= 26 for s, e in zip(starts, expected, strict=True))


def test_mutagen_reads_the_same_chapters_stored_in_time_order(episode: Episode) -> None:
    tags = ID3(episode.path)
    chaps = tags.getall("CHAP")  # in the order the frames are stored
    assert [str(c.sub_frames["TIT2"]) for c in chaps] == ["العناوين", *HEADLINES]
    assert [c.start_time for c in chaps] == [round(c.start * 1000) for c in episode.programme.chapters]
    (toc,) = tags.getall("CTOC")
    assert toc.child_element_ids == [c.element_id for c in chaps]


def test_each_story_chapter_starts_at_its_stinger(episode: Episode) -> None:
    programme = episode.programme
    stingers = [p.start / programme.rate for p in programme.placements if p.label == "stinger"]
    assert len(stingers) == 3
    assert [c.start for c in programme.chapters[2:]] == stingers


def _ffmpeg_frames(path: Path) -> tuple[int, str]:
    done = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-v", "warning", "-i", str(path), "-f", "f32le", "-"], capture_output=True
    )
    return len(done.stdout) // 4, done.stderr.decode()


@pytest.mark.skipif(
    shutil.which("mpg123") is None, reason="mpg123 is not installed (scripts/setup.sh --test)"
)
def test_ffmpeg_and_mpg123_decode_exactly_the_programme_without_a_warning(episode: Episode) -> None:
    frames, warnings = _ffmpeg_frames(episode.path)
    assert (frames, warnings) == (episode.programme.frames, "")
    done = subprocess.run(["mpg123", "-q", "-s", str(episode.path)], capture_output=True)
    assert done.returncode == 0 and done.stderr == b""
    assert len(done.stdout) // 2 == episode.programme.frames


@pytest.mark.skipif(
    shutil.which("gst-launch-1.0") is None, reason="GStreamer is not installed (scripts/setup.sh --test)"
)
def test_gstreamer_decodes_the_programme_exactly_without_a_warning(episode: Episode, tmp_path: Path) -> None:
    """GStreamer 1.22 trims the delay and padding an Info frame's LAME tag gives (it reads the tag
    only when its encoder is named LAME): the programme comes out whole, aligned with ffmpeg's."""
    raw = tmp_path / "decoded.f32"
    pipeline = f"filesrc location={episode.path} ! decodebin ! audioconvert"
    pipeline += f" ! audio/x-raw,format=F32LE,channels=1 ! filesink location={raw}"
    done = subprocess.run(["gst-launch-1.0", "-q", *pipeline.split()], capture_output=True)
    assert done.returncode == 0 and done.stderr == b"", done.stderr
    decoded = np.fromfile(raw, "<f4")
    assert len(decoded) == episode.programme.frames
    reference = _ffmpeg_decoded(episode.path)
    assert np.argmax(np.abs(decoded)) == pytest.approx(np.argmax(np.abs(reference)), abs=2)
    assert np.abs(decoded - reference).max() < 1e-3


def _ffmpeg_decoded(path: Path) -> np.ndarray:
    cmd = [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path), "-f", "f32le", "-"]
    return np.frombuffer(subprocess.run(cmd, capture_output=True, check=True).stdout, "<f4")
