"""Writing the episode: the MP3 from its encoded parts (ID3v2.3 chapters, an Info frame that makes
it gapless), the broadcast WAV, and the transcript and chapters beside them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from audio_support import ebur128, ebur128_samples, make_script, speechlike
from mutagen.id3 import ID3, CTOCFlags
from mutagen.mp3 import MP3

from producer.audio import mp3
from producer.audio.assemble import Placement, Timeline, plan_programme
from producer.audio.assets import default_assets
from producer.audio.encode import encode, write_chapters_json, write_vtt
from producer.audio.ffmpeg import ffmpeg_exe
from producer.audio.master import TARGETS, Deliverable, master
from producer.audio.parts import PartCache, PartEncoder
from producer.errors import AudioError
from producer.models import Chapter, Clip, Cue, EpisodeMeta

SCRIPT = make_script(3)


def voiced(edited: int | None = None) -> list[list[Clip]]:
    """Speech for SCRIPT, stories in two lines; `edited` changes that segment's last line."""
    out = []
    for i, segment in enumerate(SCRIPT.segments):
        lines = segment.text.split("\n")
        seeds = [10 * i + k for k in range(len(lines))]
        if i == edited:
            seeds[-1] += 1000
        out.append([Clip(speechlike(1.5 + (i + k) % 3, 22050, seed=s), 22050) for k, s in enumerate(seeds)])
    return out


def programme_for(rate: int, speech: list[list[Clip]] | None = None) -> Timeline:
    granule = mp3.FRAME if rate == mp3.RATE else 1
    return plan_programme(SCRIPT, speech or voiced(), default_assets(rate), rate=rate, granule=granule)


def meta_for(programme: Timeline) -> EpisodeMeta:
    return EpisodeMeta(
        title=SCRIPT.title,
        station=SCRIPT.station,
        programme=SCRIPT.programme,
        created=SCRIPT.created,
        chapters=programme.chapters,
        cues=programme.cues,
    )


def decode(path: Path) -> np.ndarray:
    cmd = [ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "f32le", "-ac", "1", "-"]
    return np.frombuffer(subprocess.run(cmd, capture_output=True, check=True).stdout, "<f4")


def encode_cached(
    programme: Timeline, target: Deliverable, out: Path, cache: PartCache, workers: int = 1
) -> None:
    with PartEncoder(target, cache, workers=workers) as encoder:
        encode(programme, target, out, meta_for(programme), encoder=encoder)


@dataclass(frozen=True)
class Encoded:
    path: Path
    programme: Timeline
    mastered: np.ndarray  # the whole programme mastered in one go
    loudness: tuple[float, float]  # ffmpeg's reading of it


@pytest.fixture(scope="module")
def podcast(tmp_path_factory: pytest.TempPathFactory) -> Encoded:
    target = TARGETS["podcast"]
    programme = programme_for(target.rate)
    folder = tmp_path_factory.mktemp("podcast")
    out = folder / "bulletin.mp3"
    encode_cached(programme, target, out, PartCache(folder / "parts", 1 << 30), workers=2)
    mastered = np.concatenate(list(master(programme, target)))
    return Encoded(out, programme, mastered, ebur128_samples(mastered, target.rate, folder))


def test_mp3_is_mastered_and_exactly_as_long_as_the_programme(podcast: Encoded) -> None:
    info = MP3(podcast.path).info
    assert (info.sample_rate, info.channels, info.bitrate) == (44100, 1, 96000)
    # Players that read the Info frame trim the encoder's delay and padding: not one sample more.
    assert len(decode(podcast.path)) == podcast.programme.frames
    assert info.length == pytest.approx(podcast.programme.duration, abs=0.06)  # mutagen does not trim
    lufs, peak = ebur128(podcast.path)
    assert lufs == pytest.approx(-19.0, abs=1.0)  # a mono podcast, as AES TD1004 and Apple ask
    assert peak <= -1.0
    # As a phone plays it, on both channels: the podcast target.
    assert ebur128(podcast.path, dual_mono=True)[0] == pytest.approx(-16.0, abs=1.0)
    # LAME's CBR input scaling is made up for: the file is as loud as what was mastered.
    assert lufs == pytest.approx(podcast.loudness[0], abs=0.15)


def test_parts_join_into_the_programme_mastered_whole(podcast: Encoded) -> None:
    """Decoded, the joined parts are the whole programme mastered at once, sample-aligned: no
    gap, click or shift at the joins, and each item levelled as it is alone."""
    assert len(podcast.programme.cuts) >= 5
    decoded = decode(podcast.path)
    reference = podcast.mastered
    lags = range(-50, 51)
    scores = [float(np.dot(decoded[200 + lag : 20000 + lag], reference[200:20000])) for lag in lags]
    assert lags[int(np.argmax(scores))] == 0
    error = decoded - reference
    assert np.sqrt(np.mean(error**2)) < 0.1 * np.sqrt(np.mean(reference**2))  # MP3 at 96 kbps
    for cut in podcast.programme.cuts:  # the pause before each join stays silent, no click
        # (up to the 576 samples in which MP3's window spreads the next onset back: pre-echo)
        assert np.abs(decoded[cut - mp3.FRAME : cut - 640]).max() < 1e-3
        near = slice(cut - 4000, cut + 4000)
        assert np.sqrt(np.mean(error[near] ** 2)) < 0.1 * np.sqrt(np.mean(reference[near] ** 2)) + 1e-4


def test_an_edit_re_encodes_only_the_parts_it_touched(tmp_path: Path) -> None:
    target = TARGETS["podcast"]
    cache = PartCache(tmp_path / "parts", 1 << 30)
    before = programme_for(target.rate)
    encode_cached(before, target, tmp_path / "before.mp3", cache)
    stored = cache.stats().entries
    story = next(i for i, seg in enumerate(SCRIPT.segments) if seg.kind.value == "story")
    after = programme_for(target.rate, voiced(edited=story))
    encode_cached(after, target, tmp_path / "after.mp3", cache)
    assert cache.stats().entries == stored + 1  # one new part, every other one reused
    # Byte for byte what a build from scratch writes.
    fresh = tmp_path / "fresh.mp3"
    encode(after, target, fresh, meta_for(after))
    assert fresh.read_bytes() == (tmp_path / "after.mp3").read_bytes()


def test_a_damaged_part_is_encoded_again(tmp_path: Path) -> None:
    target = TARGETS["podcast"]
    cache = PartCache(tmp_path / "parts", 1 << 30)
    programme = programme_for(target.rate)
    first = tmp_path / "first.mp3"
    encode_cached(programme, target, first, cache)
    victim = sorted((tmp_path / "parts").rglob("*.part"))[0]
    data = bytearray(victim.read_bytes())
    data[-100] ^= 0xFF
    victim.write_bytes(bytes(data))
    again = tmp_path / "again.mp3"
    encode_cached(programme, target, again, cache)
    assert again.read_bytes() == first.read_bytes()


def test_mp3_tags_and_chapters_read_back(podcast: Encoded) -> None:
    programme = podcast.programme
    tags = ID3(podcast.path)
    assert tags.version == (2, 3, 0)
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


def short_programme(rate: int) -> Timeline:
    clip = Clip(speechlike(1.0, rate, seed=1), rate)
    return Timeline(rate, rate, (Placement(clip, 0, rate),))


@pytest.mark.parametrize("name", ["podcast", "broadcast"])
def test_unwritable_output_is_an_error_and_leaves_nothing(name: str, tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    target = TARGETS[name]
    meta = EpisodeMeta("t", "s", "p", SCRIPT.created)
    suffix = ".mp3" if name == "podcast" else ".wav"
    for out in (not_a_folder / f"x{suffix}", tmp_path / "missing" / f"x{suffix}"):
        with pytest.raises(AudioError, match="cannot write"):
            encode(short_programme(target.rate), target, out, meta)
        with pytest.raises(AudioError):
            write_vtt([], out.with_suffix(".vtt"))
        with pytest.raises(AudioError):
            write_chapters_json([], out.with_suffix(".json"), title="t")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


class Unreadable:
    """A cached clip that cannot be read back when the mix reaches it."""

    rate, frames = 22050, 22050

    def load(self) -> Clip:
        raise AudioError("a speech clip could not be read")

    def identity(self) -> str:
        return "unreadable"


@pytest.mark.parametrize("name", ["podcast", "broadcast"])
def test_a_failure_mid_render_leaves_no_file_and_keeps_the_old_episode(name: str, tmp_path: Path) -> None:
    target = TARGETS[name]
    rate = target.rate
    good = Clip(speechlike(1.0, rate, seed=2), rate)
    programme = Timeline(
        rate, 6 * rate, (Placement(good, 0, rate), Placement(Unreadable(), 4 * rate, 2 * rate)), cuts=()
    )
    out = tmp_path / ("x.mp3" if name == "podcast" else "x.wav")
    out.write_bytes(b"old episode")
    with pytest.raises(AudioError, match="speech clip"):
        encode(programme, target, out, EpisodeMeta("t", "s", "p", SCRIPT.created))
    assert out.read_bytes() == b"old episode"
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_under_a_music_bed_the_episode_is_one_part(tmp_path: Path) -> None:
    """Nothing is silent under a bed, so there is nowhere to cut: one part, still exact."""
    target = TARGETS["podcast"]
    assets = default_assets(target.rate, use_bed=True)
    programme = plan_programme(SCRIPT, voiced(), assets, rate=target.rate, granule=mp3.FRAME)
    assert programme.cuts == ()
    cache = PartCache(tmp_path / "parts", 1 << 30)
    out = tmp_path / "bed.mp3"
    encode_cached(programme, target, out, cache)
    assert cache.stats().entries == 1
    decoded = decode(out)
    assert len(decoded) == programme.frames
    lufs, peak = ebur128(out, dual_mono=True)
    assert lufs == pytest.approx(-16.0, abs=1.0) and peak <= -1.0
    # The bed fills the pause after the headlines, ducked but audible.
    headlines = next(p for p in programme.placements if p.label == "headlines")
    pause = decoded[headlines.end + 2000 : headlines.end + 8000]
    assert 1e-3 < np.sqrt(np.mean(pause**2)) < 0.1


@pytest.mark.skipif(
    shutil.which("mp3val") is None, reason="mp3val is not installed (scripts/setup.sh --test)"
)
def test_an_independent_validator_finds_the_joined_stream_sound(podcast: Encoded) -> None:
    """mp3val walks every frame and checks the Xing/LAME header against them."""
    report = subprocess.run(["mp3val", str(podcast.path)], capture_output=True, text=True, check=True).stdout
    assert "WARNING" not in report and "ERROR" not in report, report
    frames = re.search(r"(\d+) MPEG frames \(MPEG 1 Layer III\), \+ID3v2, CBR", report)
    assert frames is not None, report
    # The Info frame, then as many frames as one encode of the whole programme would make.
    assert int(frames[1]) == 1 + mp3.frames_for(podcast.programme.frames)
