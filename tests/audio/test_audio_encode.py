"""The one encode (MP3 with ID3v2.4 chapters, broadcast WAV) and the transcript and chapters beside it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from audio_support import ebur128, ebur128_samples, make_script, speechlike
from mutagen.id3 import ID3, CTOCFlags
from mutagen.mp3 import MP3

from producer.audio.assemble import Programme, plan_programme
from producer.audio.assets import default_assets
from producer.audio.encode import encode, write_chapters_json, write_vtt
from producer.audio.master import TARGETS, master
from producer.errors import AudioError
from producer.models import Chapter, Clip, Cue, EpisodeMeta, Samples

SCRIPT = make_script(3)


def programme_for(rate: int) -> Programme:
    speech = [Clip(speechlike(1.5 + i % 3, 22050, seed=i), 22050) for i in range(len(SCRIPT.segments))]
    return plan_programme(SCRIPT, speech, default_assets(rate), rate=rate)


def meta_for(programme: Programme) -> EpisodeMeta:
    return EpisodeMeta(
        title=SCRIPT.title,
        station=SCRIPT.station,
        programme=SCRIPT.programme,
        created=SCRIPT.created,
        chapters=programme.chapters,
        cues=programme.cues,
    )


@dataclass(frozen=True)
class Encoded:
    path: Path
    programme: Programme
    mastered: tuple[float, float]  # ffmpeg's reading of the blocks that were encoded


@pytest.fixture(scope="module")
def podcast(tmp_path_factory: pytest.TempPathFactory) -> Encoded:
    target = TARGETS["podcast"]
    programme = programme_for(target.rate)
    folder = tmp_path_factory.mktemp("podcast")
    blocks = list(master(programme, target))
    out = folder / "bulletin.mp3"
    encode(iter(blocks), rate=target.rate, target=target, out=out, meta=meta_for(programme))
    return Encoded(out, programme, ebur128_samples(np.concatenate(blocks), target.rate, folder))


def test_mp3_is_mastered_and_as_long_as_the_programme(podcast: Encoded) -> None:
    info = MP3(podcast.path).info
    assert (info.sample_rate, info.channels, info.bitrate) == (44100, 1, 96000)
    assert info.length == pytest.approx(podcast.programme.duration, abs=0.05)
    lufs, peak = ebur128(podcast.path)
    assert lufs == pytest.approx(-16.0, abs=1.0)
    assert peak <= -1.0
    # LAME's CBR input scaling is made up for: the file is as loud as what was mastered.
    assert lufs == pytest.approx(podcast.mastered[0], abs=0.15)


def test_mp3_tags_and_chapters_read_back(podcast: Encoded) -> None:
    programme = podcast.programme
    tags = ID3(podcast.path)
    assert tags.version == (2, 4, 0)
    assert str(tags["TIT2"]) == "نشرة الصباح"
    assert str(tags["TPE1"]) == "راديو ألوان"
    assert str(tags["TALB"]) == "نشرة الأخبار"
    assert str(tags["TDRC"]) == "2025-03-04 08:30:00"
    assert str(tags["TLAN"]) == "ara"
    chapters = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    assert [c.element_id for c in chapters] == ["chp0", "chp1", "chp2", "chp3"]
    assert [str(c.sub_frames["TIT2"]) for c in chapters] == ["العناوين", *SCRIPT.headlines]
    assert [(c.start_time, c.end_time) for c in chapters] == [
        (round(ch.start * 1000), round(ch.end * 1000)) for ch in programme.chapters
    ]
    (toc,) = tags.getall("CTOC")
    assert toc.flags & CTOCFlags.TOP_LEVEL and toc.flags & CTOCFlags.ORDERED
    assert toc.child_element_ids == ["chp0", "chp1", "chp2", "chp3"]


def test_broadcast_wav_is_48k_24_bit_with_bext(tmp_path: Path) -> None:
    target = TARGETS["broadcast"]
    programme = programme_for(target.rate)
    out = tmp_path / "bulletin.wav"
    encode(master(programme, target), rate=target.rate, target=target, out=out, meta=meta_for(programme))
    info = sf.info(out)
    assert (info.samplerate, info.channels, info.subtype) == (48000, 1, "PCM_24")
    assert info.frames == programme.frames
    head = out.read_bytes()[:4096]
    assert b"bext" in head and b"LIST" in head
    assert "نشرة الصباح".encode() in head
    lufs, peak = ebur128(out)
    assert lufs == pytest.approx(-23.0, abs=1.0)
    assert peak <= -1.0


def parse_vtt(text: str) -> list[tuple[float, float, str]]:
    assert text.startswith("WEBVTT\n\n")
    cues = []
    for block in text.strip().split("\n\n")[1:]:
        lines = block.split("\n")
        match = re.fullmatch(r"(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})", lines[1])
        assert match, lines[1]
        h1, m1, s1, ms1, h2, m2, s2, ms2 = map(int, match.groups())
        cues.append(
            (
                h1 * 3600 + m1 * 60 + s1 + ms1 / 1000,
                h2 * 3600 + m2 * 60 + s2 + ms2 / 1000,
                "\n".join(lines[2:]),
            )
        )
    return cues


def test_vtt_has_one_cue_per_spoken_segment(podcast: Encoded, tmp_path: Path) -> None:
    programme = podcast.programme
    out = tmp_path / "bulletin.vtt"
    write_vtt(programme.cues, out)
    cues = parse_vtt(out.read_text("utf-8"))
    assert len(cues) == len(SCRIPT.segments)
    starts = [c[0] for c in cues]
    assert starts == sorted(starts)
    assert all(0 <= a < b <= programme.duration for a, b, _ in cues)
    assert cues[4][2] == "نص الخبر 1\nفقرة ثانية"  # no blank line inside a cue


def test_vtt_escapes_markup(tmp_path: Path) -> None:
    out = tmp_path / "x.vtt"
    write_vtt([Cue(0.0, 3723.5, "a <b> & c --> d")], out)
    assert (
        out.read_text("utf-8") == "WEBVTT\n\n1\n00:00:00.000 --> 01:02:03.500\na &lt;b&gt; &amp; c --&gt; d\n"
    )


def test_chapters_json_follows_podcasting_2_0(tmp_path: Path) -> None:
    out = tmp_path / "bulletin.chapters.json"
    write_chapters_json(
        [Chapter("عنوان 1", 7.0, 11.625), Chapter("عنوان 2", 11.625, 17.5)], out, title="نشرة"
    )
    document = json.loads(out.read_text("utf-8"))
    assert document == {
        "version": "1.2.0",
        "title": "نشرة",
        "chapters": [
            {"startTime": 7.0, "endTime": 11.625, "title": "عنوان 1"},
            {"startTime": 11.625, "endTime": 17.5, "title": "عنوان 2"},
        ],
    }


def test_unwritable_output_is_an_error_and_leaves_nothing(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    target = TARGETS["podcast"]
    meta = EpisodeMeta("t", "s", "p", SCRIPT.created)
    blocks = [np.zeros(44100, np.float32)]
    for out in (not_a_folder / "x.mp3", tmp_path / "missing" / "x.mp3"):
        with pytest.raises(AudioError, match="cannot write"):
            encode(iter(blocks), rate=44100, target=target, out=out, meta=meta)
        with pytest.raises(AudioError):
            write_vtt([], out.with_suffix(".vtt"))
        with pytest.raises(AudioError):
            write_chapters_json([], out.with_suffix(".json"), title="t")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_a_failure_mid_stream_leaves_no_file(tmp_path: Path) -> None:
    def failing() -> Iterator[Samples]:
        yield np.zeros(44100, np.float32)
        raise AudioError("a speech clip could not be read")

    target = TARGETS["podcast"]
    with pytest.raises(AudioError, match="speech clip"):
        encode(
            failing(),
            rate=44100,
            target=target,
            out=tmp_path / "x.mp3",
            meta=EpisodeMeta("t", "s", "p", SCRIPT.created),
        )
    assert list(tmp_path.iterdir()) == []


def test_an_existing_episode_survives_a_failed_encode(tmp_path: Path) -> None:
    out = tmp_path / "x.wav"
    out.write_bytes(b"old episode")

    def failing() -> Iterator[Samples]:
        raise AudioError("nothing to encode")
        yield np.zeros(1, np.float32)

    with pytest.raises(AudioError):
        encode(
            failing(),
            rate=48000,
            target=TARGETS["broadcast"],
            out=out,
            meta=EpisodeMeta("t", "s", "p", SCRIPT.created),
        )
    assert out.read_bytes() == b"old episode"
    assert [p.name for p in tmp_path.iterdir()] == ["x.wav"]
