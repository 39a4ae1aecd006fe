"""The bundled jingles and the station's own files: decoding, levelling, and broken files."""

from __future__ import annotations

import importlib.util
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from audio_support import speechlike

from producer.audio.assets import default_assets
from producer.audio.ffmpeg import decode_file, ffmpeg_exe
from producer.audio.master import measure
from producer.errors import AudioError
from producer.resources import bundled

ROOT = Path(__file__).resolve().parents[2]


def test_bundled_jingles_decode_at_the_programme_rate() -> None:
    assets = default_assets(48000)
    assert assets.bed is None
    lengths = {name: getattr(assets, name).duration for name in ("intro", "outro", "stinger")}
    assert 4.0 <= lengths["intro"] <= 6.0
    assert 4.0 <= lengths["outro"] <= 6.0
    assert 1.0 <= lengths["stinger"] <= 1.5
    for name in ("intro", "outro", "stinger"):
        clip = getattr(assets, name)
        assert clip.rate == 48000
        assert -30.0 < measure([clip.samples], 48000).integrated_lufs < -10.0


def test_bundled_files_are_small_ogg() -> None:
    folder = bundled("audio")
    files = sorted(folder.glob("*.ogg"))
    assert [f.name for f in files] == ["bed.ogg", "intro.ogg", "outro.ogg", "stinger.ogg"]
    assert sum(f.stat().st_size for f in files) < 400_000


def test_the_intro_ends_in_a_quiet_tail_for_speech_to_start_over() -> None:
    intro = default_assets(44100).intro
    assert intro is not None
    tail = intro.samples[-round(1.2 * 44100) :]
    head = intro.samples[: round(1.2 * 44100)]
    assert np.sqrt(np.mean(tail**2)) < 0.3 * np.sqrt(np.mean(head**2))
    assert abs(intro.samples[-1]) < 1e-3  # fades to silence


def test_the_bed_loops_without_a_seam() -> None:
    bed = default_assets(44100, use_bed=True).bed
    assert bed is not None and 20 <= bed.duration <= 30
    x = bed.samples
    # The sound carries on across the loop point: same level either side, and the step from
    # the last sample back to the first is no bigger than the steps just before it.
    rms = [float(np.sqrt(np.mean(part**2))) for part in (x[:8820], x[-8820:])]
    assert 0.7 < rms[0] / rms[1] < 1.4
    assert abs(float(x[0]) - float(x[-1])) <= 2 * np.abs(np.diff(x[-200:])).max()


def test_a_station_file_in_another_format_is_decoded(tmp_path: Path) -> None:
    wav = tmp_path / "station.wav"
    sf.write(wav, speechlike(3, 16000, seed=3) * 1.9, 16000, subtype="PCM_16")
    flac = tmp_path / "station.flac"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(wav), str(flac)], check=True)
    assets = default_assets(44100, intro=flac, stinger=wav, bed=wav)
    assert assets.intro is not None and assets.bed is not None
    assert assets.intro.rate == 44100 and assets.intro.duration == pytest.approx(3.0, abs=0.01)
    assert assets.bed.duration == pytest.approx(3.0, abs=0.01)


def test_a_broken_jingle_is_an_audio_error_naming_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "jingle.ogg"
    broken.write_bytes(b"OggS" + bytes(range(256)) * 4)
    with pytest.raises(AudioError, match=r"jingle\.ogg"):
        default_assets(44100, outro=broken)
    with pytest.raises(AudioError, match="not found"):
        default_assets(44100, stinger=tmp_path / "missing.mp3")
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0, np.float32), 8000)
    with pytest.raises(AudioError, match=r"empty\.wav"):
        decode_file(empty, 8000)


def test_make_jingles_is_deterministic() -> None:
    spec = importlib.util.spec_from_file_location("make_jingles", ROOT / "scripts" / "make_jingles.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    first, again = module.stinger(), module.stinger()
    np.testing.assert_array_equal(first, again)
    assert math.isclose(np.abs(first).max(), 10 ** (-3 / 20), rel_tol=1e-9)


def test_in_process_decoding_matches_ffmpeg(tmp_path: Path) -> None:
    """WAV, FLAC and Ogg are read by libsndfile + soxr, the rest by ffmpeg: the same audio."""
    from producer.audio.ffmpeg import _decode_with_ffmpeg

    stereo = np.stack([speechlike(2, 22050, seed=8), speechlike(2, 22050, seed=9)], axis=1)
    wav = tmp_path / "stereo.wav"
    sf.write(wav, stereo, 22050, subtype="PCM_16")
    ours, theirs = decode_file(wav, 44100).samples, _decode_with_ffmpeg(wav, 44100).samples
    assert abs(len(ours) - len(theirs)) <= 2
    n = min(len(ours), len(theirs))
    assert np.corrcoef(ours[:n], theirs[:n])[0, 1] > 0.999
