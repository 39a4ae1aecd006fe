from pathlib import Path

import pytest

from producer.settings import Settings, load_settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented(name):
    field = Settings.model_fields[name]
    assert field.description, f"{name} has no help text"
    assert f"`PRODUCER_{name.upper()}`" in README


def test_environment_and_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("PRODUCER_STATION_NAME", "راديو سوريالي")
    monkeypatch.setenv("PRODUCER_ESPEAK_RATE", "170")
    conf = load_settings(data_dir=tmp_path)
    assert conf.station_name == "راديو سوريالي"
    assert conf.espeak_rate == 170
    assert conf.lexicon_file == tmp_path / "lexicon.tsv"
    assert conf.voices_dir == tmp_path / "voices"


def test_invalid_value_is_rejected(monkeypatch):
    monkeypatch.setenv("PRODUCER_ESPEAK_RATE", "5")
    with pytest.raises(ValueError, match="espeak_rate"):
        load_settings()


def test_an_override_wins_over_the_environment_whose_names_take_any_case(monkeypatch, tmp_path):
    monkeypatch.setenv("PRODUCER_STATION_NAME", "من البيئة")
    monkeypatch.setenv("producer_programme_name", "موجز")
    monkeypatch.setenv("PRODUCER_NOT_A_SETTING", "x")
    conf = load_settings(data_dir=tmp_path, station_name="من سطر الأوامر")
    assert (conf.station_name, conf.programme_name) == ("من سطر الأوامر", "موجز")
    monkeypatch.setenv("PRODUCER_CACHE_MAX_MB", "12")
    assert load_settings().cache_max_mb == 12
