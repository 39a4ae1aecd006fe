"""The automation's states, schedules and errors in the newsroom's Arabic.

The backend keeps its reasons in English (logs, the command line); the pages say them in Arabic
from these tables, keyed by the English sentence's shape. A reason no pattern knows is shown as
it is, after an Arabic lead-in, rather than hidden.
"""

from __future__ import annotations

import re
from datetime import datetime

RUN_STATES = {
    "building": "قيد التحضير",
    "awaiting": "بانتظار الاعتماد",
    "published": "منشورة، لم تُسلَّم للبث",
    "handed_off": "سُلّمت للبث",
    "skipped": "لم تُبث",
    "missed": "فاتت",
    "failed": "فشلت",
}
RUN_BADGES = {
    "building": "running",
    "awaiting": "running",
    "published": "failed",
    "handed_off": "published",
    "skipped": "",
    "missed": "failed",
    "failed": "failed",
}
KINDS = {"feed": "خلاصة RSS/Atom", "page": "صفحة خبر"}

_SOURCE_ERRORS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"answered HTTP 404$"), "الصفحة غير موجودة على الموقع (HTTP 404)."),
    (re.compile(r"answered HTTP (5\d\d)$"), "خادم الموقع معطّل (HTTP {0})."),
    (re.compile(r"answered HTTP (\d+)$"), "رفض الموقع الطلب (HTTP {0})."),
    (re.compile(r"is larger than (\d+) KB$"), "الصفحة أكبر من {0} كيلوبايت، فلم تُقرأ."),
    (re.compile(r"did not answer within ([\d.]+) s$"), "لم يُجب الموقع خلال {0} ثانية."),
    (re.compile(r"redirects too many times$"), "يعيد الموقع التوجيه مرات كثيرة."),
    (re.compile(r"cannot be reached"), "تعذّر الوصول إلى الموقع."),
    (re.compile(r"is not an RSS or Atom feed$"), "العنوان ليس خلاصة RSS أو Atom."),
    (re.compile(r"^no article text was found"), "لم يُعثر على نص خبر في الصفحة."),
    (re.compile(r"answered 'not modified'"), "أجاب الموقع «لم يتغيّر» على أول طلب."),
]
_RUN_ERRORS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^no new articles in its sources$"), "لا أخبار جديدة في مصادرها."),
    (
        re.compile(r"^no new articles in its sources; these could not be read: (.+)$"),
        "لا أخبار جديدة في مصادرها؛ تعذّرت قراءة: {0}.",
    ),
    (re.compile(r"^not approved in time$"), "لم تُعتمد قبل الموعد، فلم تُبث."),
    (re.compile(r"^the service was down at its build time$"), "كانت الخدمة متوقفة وقت تحضيرها، فلم تُبث."),
    (re.compile(r"^skipped by (.+)$"), "تخطّاها {0}، فلم تُبث."),
    (re.compile(r"^its build was interrupted$"), "انقطع تحضيرها."),
    (re.compile(r"^render failed: (.+)$"), "فشل توليد الصوت: {0}"),
    (re.compile(r"^the bulletin could not be composed: (.+)$"), "تعذّر تأليف النشرة: {0}"),
]
_FOLDER_ERROR = re.compile(r"the bulletin cannot be written to (.+): (.+)$")
# The operating system's reasons a watch folder cannot be written (strerror).
_OS_REASONS = {
    "File exists": "يوجد ملف بهذا الاسم مكان المجلد",
    "Not a directory": "في المسار ملف مكان مجلد",
    "No such file or directory": "المسار غير موجود",
    "Permission denied": "لا إذن بالكتابة فيه",
    "No space left on device": "لا مساحة على القرص",
    "Read-only file system": "القرص للقراءة فقط",
}


def _say(text: str | None, table: list[tuple[re.Pattern[str], str]], lead: str) -> str:
    if not text:
        return ""
    for pattern, arabic in table:
        found = pattern.search(text)
        if found:
            return arabic.format(*found.groups())
    return f"{lead}: {text}"


def source_error(text: str | None) -> str:
    return _say(text, _SOURCE_ERRORS, "خطأ في المصدر")


def run_error(text: str | None) -> str:
    return _say(text, _RUN_ERRORS, "خطأ")


def handoff_error(text: str | None) -> str:
    """A hand-off's error; the folder's path is isolated (U+2068…U+2069) so that it reads left to
    right inside the Arabic sentence."""
    if not text:
        return ""
    found = _FOLDER_ERROR.search(text)
    if found:
        folder, reason = found.groups()
        return f"تعذّرت كتابة النشرة في \u2068{folder}\u2069: {_OS_REASONS.get(reason, reason)}"
    return f"تعذّر التسليم: \u2068{text}\u2069"


_DAYS = ["الأحد", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت"]


def _days(field: str) -> str | None:
    if field == "*":
        return ""
    if field == "1-5":
        return "من الاثنين إلى الجمعة"
    names = []
    for part in field.split(","):
        if not part.isdigit() or int(part) > 7:
            return None
        names.append(_DAYS[int(part) % 7])
    return "أيام " + "، ".join(names)


def describe_cron(expression: str) -> str:
    """The common schedules in words ("كل ساعة عند الدقيقة 55"); others as "حسب الجدول"."""
    fields = expression.split()
    if len(fields) != 5:
        return "حسب الجدول"
    minute, hour, day, month, weekday = fields
    days = _days(weekday)
    if day != "*" or month != "*" or days is None:
        return "حسب الجدول"
    suffix = f" {days}" if days else ""
    if minute == "*" and hour == "*":
        return "كل دقيقة" + suffix
    step = re.fullmatch(r"\*/(\d+)", minute)
    if step and hour == "*":
        return f"كل {step[1]} دقيقة" + suffix
    if not minute.isdigit():
        return "حسب الجدول"
    if hour == "*":
        return f"كل ساعة عند الدقيقة {int(minute)}" + suffix
    if hour.isdigit():
        return f"الساعة {int(hour):02d}:{int(minute):02d}" + (suffix or " كل يوم")
    hours = re.fullmatch(r"(\d+)-(\d+)", hour)
    if hours:
        return f"كل ساعة عند الدقيقة {int(minute)} من الساعة {hours[1]} إلى {hours[2]}" + suffix
    return "حسب الجدول"


def length(seconds: float) -> str:
    """Seconds as M:SS."""
    total = round(seconds)
    return f"{total // 60}:{total % 60:02d}"


def stamp(text: str) -> datetime:
    """A hand-off's time as the run stores it (ISO 8601, UTC)."""
    return datetime.fromisoformat(text)
