"""The editor's streamed preview over HTTP: MP3 frames sent on while the segment is voiced, read
back by ffmpeg, as long as the same segment's WAV; the preview limits still hold."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
import soundfile

from tests.web.support import ARTICLE_WATER, Newsroom

# Two sentences, 25 words: voiced sentence by sentence, so the stream has its first audio early.
SEGMENT = (
    "قال وزير الصحة إن المستشفيات الحكومية ستفتح عيادات مسائية في المدن الكبرى لتخفيف الضغط. "
    "وأضاف أن الخدمة ستبدأ مطلع الشهر المقبل في ثلاث محافظات بعد تدريب الأطباء."
)

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="Debian's ffmpeg is not installed")


def decoded_seconds(mp3: bytes) -> float:
    """The stream's length as ffmpeg (not the encoder's library) decodes it."""
    decode = ["-f", "mp3", "-i", "pipe:", "-f", "s16le", "-ac", "1", "-ar", "22050", "pipe:"]
    pcm = subprocess.run(
        ["ffmpeg", "-v", "error", *decode],
        input=mp3,
        capture_output=True,
        check=True,
    ).stdout
    return len(pcm) / 2 / 22050


@pytest.mark.parametrize("newsroom", ["sqlite"], indirect=True)
def test_a_streamed_preview_is_the_segment_in_mp3(newsroom: Newsroom) -> None:
    with newsroom.api() as api:
        bulletin = api.post("/api/v1/bulletins", json={"articles": [ARTICLE_WATER]}).json()["id"]
        chunks = []
        # Four in a row from one editor, who may have two at a time: each gives its place back.
        for _ in range(4):
            with api.stream(
                "POST", f"/bulletins/{bulletin}/listen", data={"text": SEGMENT, "format": "mp3"}
            ) as reply:
                assert reply.status_code == 200, reply.read()
                assert reply.headers["content-type"] == "audio/mpeg"
                assert "content-length" not in reply.headers  # sent as it is made
                chunks = list(reply.iter_bytes())
        wav = api.post(f"/bulletins/{bulletin}/listen", data={"text": SEGMENT})
        assert wav.status_code == 200 and wav.headers["content-type"] == "audio/wav"
        refused = api.post(
            f"/bulletins/{bulletin}/listen", data={"text": SEGMENT, "format": "mp3", "voice": "ar+nope"}
        )
    assert refused.status_code == 422 and "ar+nope" in refused.json()["detail"]
    samples, rate = soundfile.read(io.BytesIO(wav.content))
    mp3 = b"".join(chunks)
    # The MP3 adds the encoder's delay and padding (a few frames of 1,152 samples) to the same audio.
    assert len(samples) / rate > 4
    assert 0 <= decoded_seconds(mp3) - len(samples) / rate < 0.25


@pytest.mark.parametrize("newsroom", ["sqlite"], indirect=True)
def test_streamed_previews_keep_to_two_at_a_time_per_account(newsroom: Newsroom) -> None:
    """A streamed preview holds its account's place while it is voiced, as a WAV preview does."""
    from concurrent.futures import ThreadPoolExecutor

    with newsroom.api() as api:
        bulletin = api.post("/api/v1/bulletins", json={"articles": [ARTICLE_WATER]}).json()["id"]

    def listen(i: int) -> int:
        # Long enough (about a minute of speech) that none is voiced before all four arrive.
        text = " ".join(f"نبأ رقم {i} عن الطرق في حمص، الفقرة {n}." for n in range(60))
        form = {"text": text, "format": "mp3"}
        with newsroom.api() as api, api.stream("POST", f"/bulletins/{bulletin}/listen", data=form) as reply:
            reply.read()
            return reply.status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(listen, range(4)))
    assert sorted(statuses) == [200, 200, 429, 429], statuses
