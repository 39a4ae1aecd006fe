"""The automation's states, schedules and errors in Arabic: exact sentences for the backend's
reasons, and the common schedules in words."""

from __future__ import annotations

import pytest

from producer.web.airtext import describe_cron, handoff_error, length, run_error, source_error


@pytest.mark.parametrize(
    ("cron", "words"),
    [
        ("55 * * * *", "كل ساعة عند الدقيقة 55"),
        ("0 7 * * *", "الساعة 07:00 كل يوم"),
        ("30 18 * * 5,6", "الساعة 18:30 أيام الجمعة، السبت"),
        ("*/15 * * * *", "كل 15 دقيقة"),
        ("0 6-22 * * 1-5", "كل ساعة عند الدقيقة 0 من الساعة 6 إلى 22 من الاثنين إلى الجمعة"),
        ("* * * * *", "كل دقيقة"),
        ("5 4 1 * *", "حسب الجدول"),
        ("0 7 * * mon", "حسب الجدول"),
    ],
)
def test_schedules_in_words(cron: str, words: str) -> None:
    assert describe_cron(cron) == words


@pytest.mark.parametrize(
    ("english", "arabic"),
    [
        ("http://x/feed answered HTTP 500", "خادم الموقع معطّل (HTTP 500)."),
        ("http://x/feed answered HTTP 404", "الصفحة غير موجودة على الموقع (HTTP 404)."),
        ("http://x/feed answered HTTP 403", "رفض الموقع الطلب (HTTP 403)."),
        ("http://x/feed is larger than 5120 KB", "الصفحة أكبر من 5120 كيلوبايت، فلم تُقرأ."),
        ("http://x/feed did not answer within 0.5 s", "لم يُجب الموقع خلال 0.5 ثانية."),
        ("http://x/ cannot be reached: [Errno 111] Connection refused", "تعذّر الوصول إلى الموقع."),
        ("http://x/ is not an RSS or Atom feed", "العنوان ليس خلاصة RSS أو Atom."),
        ("no article text was found at http://x/a", "لم يُعثر على نص خبر في الصفحة."),
        ("something new", "خطأ في المصدر: something new"),
    ],
)
def test_source_errors_in_arabic(english: str, arabic: str) -> None:
    assert source_error(english) == arabic


@pytest.mark.parametrize(
    ("english", "arabic"),
    [
        ("no new articles in its sources", "لا أخبار جديدة في مصادرها."),
        (
            "no new articles in its sources; these could not be read: ألوان، عنب بلدي",
            "لا أخبار جديدة في مصادرها؛ تعذّرت قراءة: ألوان، عنب بلدي.",
        ),
        ("not approved in time", "لم تُعتمد قبل الموعد، فلم تُبث."),
        ("the service was down at its build time", "كانت الخدمة متوقفة وقت تحضيرها، فلم تُبث."),
        ("skipped by سلمى", "تخطّاها سلمى، فلم تُبث."),
        ("render failed: ffmpeg exited 1", "فشل توليد الصوت: ffmpeg exited 1"),
    ],
)
def test_run_reasons_in_arabic(english: str, arabic: str) -> None:
    assert run_error(english) == arabic


def test_hand_off_errors_keep_the_path_left_to_right() -> None:
    said = handoff_error("dir:/srv/air: the bulletin cannot be written to /srv/air: Permission denied")
    assert said == "تعذّرت كتابة النشرة في \u2068/srv/air\u2069: لا إذن بالكتابة فيه"
    assert (
        handoff_error("webhook:http://x answered 500")
        == "تعذّر التسليم: \u2068webhook:http://x answered 500\u2069"
    )
    assert handoff_error(None) == ""


def test_lengths() -> None:
    assert [length(s) for s in (240, 95.4, 59.6, 0)] == ["4:00", "1:35", "1:00", "0:00"]
