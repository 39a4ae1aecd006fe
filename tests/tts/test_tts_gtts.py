from __future__ import annotations

import time

import pytest
from fake_google import RATE, FakeGoogle, free_port
from tts_support import LONG, MEDIUM, SHORT, joined, rms

from producer.errors import EngineError, EngineUnavailable
from producer.settings import load_settings
from producer.tts.gtts import GttsConfig, GttsEngine
from producer.tts.registry import create_engine


def test_gtts_voices_each_sentence_from_the_endpoint(gtts: GttsEngine, google: FakeGoogle) -> None:
    assert gtts.check() is None
    chunks = list(gtts.synthesize(MEDIUM))
    assert len(chunks) == 2
    assert {chunk.rate for chunk in chunks} == {RATE}
    assert all(rms(chunk.samples) > 0.1 for chunk in chunks)
    assert sorted(google.texts) == sorted(
        [
            "أعلنت البلدية افتتاح جسر جديد فوق النهر.",
            "وقال رئيس البلدية إن الجسر يخفف الازدحام في وسط المدينة.",
        ]
    )


def test_gtts_duration_grows_with_the_text(gtts: GttsEngine) -> None:
    lengths = [len(joined(list(gtts.synthesize(text)))) for text in (SHORT, MEDIUM, LONG)]
    assert lengths[0] < lengths[1] < lengths[2]


def test_gtts_sends_pieces_within_the_limit_and_loses_no_word(gtts: GttsEngine, google: FakeGoogle) -> None:
    sentence = (
        "قال مسؤول كبير في قوات سوريا الديمقراطية، يوم أمس الجمعة، إن قسد ستعلن عن عملية ضد تنظيم "
        "الدولة في شمال محافظة دير الزور اليوم السبت، في الساعة 10:30 صباحا، وإن عدد المقاتلين "
        "1 000 000 مقاتل تقريبا بحسب التقديرات الأولية المنشورة أمس."
    )
    chunks = list(gtts.synthesize(sentence))
    assert len(chunks) == 1  # one sentence, several requests joined
    assert all(len(text) <= 100 for text in google.texts)
    assert sorted(google.texts) == sorted(
        [
            "قال مسؤول كبير في قوات سوريا الديمقراطية، يوم أمس الجمعة،",
            "إن قسد ستعلن عن عملية ضد تنظيم الدولة "
            "في شمال محافظة دير الزور اليوم السبت، في الساعة 10:30 صباحا،",
            "وإن عدد المقاتلين 1 000 000 مقاتل تقريبا بحسب التقديرات الأولية المنشورة أمس.",
        ]
    )


def test_gtts_keeps_requests_in_flight_within_its_concurrency(google: FakeGoogle) -> None:
    text = " ".join(f"الجملة رقم {word} من النشرة." for word in ("واحد", "اثنان", "ثلاثة", "أربعة") * 3)
    with GttsEngine(GttsConfig(base_url=google.base_url, concurrency=2)) as engine:
        assert len(list(engine.synthesize(text))) == 12
    assert google.requests == 12
    assert google.max_in_flight <= 2


def test_gtts_retries_after_429_then_succeeds() -> None:
    with (
        FakeGoogle(failures=[429, 503]) as google,
        GttsEngine(GttsConfig(base_url=google.base_url, backoff=0.01)) as engine,
    ):
        chunks = list(engine.synthesize(SHORT))
    assert len(chunks) == 1
    assert google.requests == 3
    assert google.texts == [SHORT]


def test_gtts_gives_up_after_its_attempts_on_500() -> None:
    with (
        FakeGoogle(failures=[500] * 10) as google,
        GttsEngine(GttsConfig(base_url=google.base_url, backoff=0.01, attempts=3)) as engine,
        pytest.raises(EngineError, match=r"^Google TTS kept failing \(HTTP 500\) after 3 attempts\.$"),
    ):
        list(engine.synthesize(SHORT))
    assert google.requests == 3


def test_gtts_does_not_retry_a_refusal() -> None:
    with (
        FakeGoogle(failures=[403]) as google,
        GttsEngine(GttsConfig(base_url=google.base_url, backoff=0.01)) as engine,
        pytest.raises(EngineError, match="refused the request with HTTP 403"),
    ):
        list(engine.synthesize(SHORT))
    assert google.requests == 1


def test_unreachable_google_is_reported_at_once() -> None:
    base_url = f"http://127.0.0.1:{free_port()}"
    engine = GttsEngine(GttsConfig(base_url=base_url, backoff=5.0))
    assert engine.check() == "Google TTS cannot be reached at 127.0.0.1: Connection refused."
    started = time.monotonic()
    with pytest.raises(
        EngineUnavailable, match=r"^Google TTS cannot be reached at 127\.0\.0\.1: Connection refused\.$"
    ):
        list(engine.synthesize(SHORT))
    # No backoff sleeps: a refused connection is not retried (5 s backoff would show).
    assert time.monotonic() - started < 5.0
    engine.close()


def test_registry_refuses_an_unreachable_gtts() -> None:
    settings = load_settings(gtts_base_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(EngineUnavailable, match=r"^Google TTS cannot be reached"):
        create_engine("gtts", settings)


def test_gtts_rejects_another_language_as_voice(gtts: GttsEngine) -> None:
    with pytest.raises(EngineError, match="gTTS has no voice 'en'"):
        list(gtts.synthesize(SHORT, "en"))


def test_gtts_cache_key_options_name_the_host(gtts: GttsEngine, google: FakeGoogle) -> None:
    assert gtts.options_key() == f"lang=ar tld=com host={google.base_url}"
    assert GttsEngine(GttsConfig(tld="com.eg")).options_key() == "lang=ar tld=com.eg"
