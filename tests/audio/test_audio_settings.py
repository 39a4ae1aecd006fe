"""The station's loudness, bed and playout settings reach the files a real build writes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from audio_support import ebur128, make_script
from test_audio_bwf import chunks, parse_bext, parse_cart

from producer.pipeline import build_episode
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
