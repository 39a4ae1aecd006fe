"""The station's loudness, bed and playout settings reach the files a real build writes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from audio_support import ebur128, make_script
from test_audio_bwf import chunks, parse_bext, parse_cart
from test_audio_encode import decode

from producer.pipeline import build_episode
from producer.resources import bundled
from producer.settings import Settings

SCRIPT = make_script(1)


def test_podcast_loudness_setting_is_the_loudness_as_played_on_two_channels(tmp_path: Path) -> None:
    out = tmp_path / "quiet.mp3"
    build_episode(SCRIPT, out, settings=Settings(podcast_lufs=-18.0))
    assert ebur128(out, dual_mono=True)[0] == pytest.approx(-18.0, abs=1.0)
    assert ebur128(out)[0] == pytest.approx(-21.0, abs=1.0)


def test_broadcast_settings_reach_bext_and_cart(tmp_path: Path) -> None:
    out = tmp_path / "bulletin.wav"
    settings = Settings(broadcast_lufs=-24.0, station_ascii="Alwan FM", cart_expiry_hours=0.5)
    build_episode(SCRIPT, out, settings=settings)
    found = chunks(out)
    bext = parse_bext(found["bext"])
    assert bext.originator == "Alwan FM"
    assert bext.loudness[0] / 100 == pytest.approx(ebur128(out)[0], abs=0.1)
    assert ebur128(out)[0] == pytest.approx(-24.0, abs=0.5)
    cart = parse_cart(found["cart"])
    expires = SCRIPT.created + timedelta(minutes=30)
    assert (cart["end_date"], cart["end_time"]) == (f"{expires:%Y-%m-%d}", f"{expires:%H:%M:%S}")


def test_the_bed_level_setting_moves_the_bed_and_not_the_voice(tmp_path: Path) -> None:
    """Two builds whose beds are set 12 LU apart: in the pause after the headlines (bed alone) they
    differ by 12 dB; the episodes' loudness, which the voice makes, hardly."""
    bed = bundled("audio") / "bed.ogg"
    decoded, loudness, cues = [], [], None
    for level in (-24.0, -12.0):
        out = tmp_path / f"bed{level}.mp3"
        files = build_episode(SCRIPT, out, settings=Settings(music_bed=bed, bed_level_lu=level))
        decoded.append(decode(out))
        loudness.append(ebur128(out)[0])
        cues = files.cues
    assert loudness[1] - loudness[0] == pytest.approx(0.0, abs=0.6)
    assert cues is not None
    rate = 44100
    headlines = cues[2]  # ident, greeting, headlines, then the first transition after a 0.8 s pause
    pause = slice(round((headlines.end + 0.3) * rate), round((cues[3].start - 0.1) * rate))
    quiet, loud = (10 * np.log10(np.mean(d[pause].astype(np.float64) ** 2)) for d in decoded)
    assert loud - quiet == pytest.approx(12.0, abs=1.0)
