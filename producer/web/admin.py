"""Admin pages: station settings (names, templates, jingles, artwork, feed, lexicon) and users.

Every change is validated before anything is stored (templates render in the sandbox, jingles
decode with ffmpeg, artwork is measured), replaces files atomically, and lands in the audit log.
"""

from __future__ import annotations

import io
import secrets
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from producer import auth
from producer.arabic.lexicon import format_lexicon
from producer.bulletin import TEMPLATE_NAMES
from producer.errors import InputError, ProducerError
from producer.feed import APPLE_CATEGORIES
from producer.models import ROLES, Target
from producer.store import db, words
from producer.store.db import User
from producer.store.station import CATEGORIES, StationConfig
from producer.web import service
from producer.web.deps import Admin, AppState, Identity, RowId, State, read_form
from producer.web.pages import engines_of, redirect, render
from producer.web.service import Rejected

router = APIRouter(include_in_schema=False)

AUDIO_TYPES = (".mp3", ".wav", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".aac")
MAX_JINGLE_SECONDS = 120.0
MAX_TEMPLATE = 5000
MAX_LEXICON = 500_000  # characters of the lexicon's text on the settings page
ROLE_LABELS = {"viewer": "مستمع (معاينة فقط)", "editor": "محرّر", "admin": "مدير"}
TEMPLATE_LABELS = {
    "ident": "تعريف المحطة",
    "greeting": "التحية",
    "headlines": "العناوين",
    "transition": "الانتقال بين الأخبار",
    "signoff": "الختام",
}
# Apple's category names in Arabic for the settings page; the feed itself carries Apple's English names.
CATEGORY_LABELS = {
    "Arts": "الفنون",
    "Business": "الأعمال",
    "Comedy": "الكوميديا",
    "Education": "التعليم",
    "Fiction": "القصص",
    "Government": "الحكومة",
    "History": "التاريخ",
    "Health & Fitness": "الصحة واللياقة",
    "Kids & Family": "الأطفال والأسرة",
    "Leisure": "الترفيه",
    "Music": "الموسيقى",
    "News": "الأخبار",
    "News/Business News": "أخبار الأعمال",
    "News/Daily News": "الأخبار اليومية",
    "News/Entertainment News": "أخبار الترفيه",
    "News/News Commentary": "التعليق على الأخبار",
    "News/Politics": "السياسة",
    "News/Sports News": "الأخبار الرياضية",
    "News/Tech News": "أخبار التقنية",
    "Religion & Spirituality": "الدين والروحانيات",
    "Religion & Spirituality/Islam": "الإسلام",
    "Religion & Spirituality/Christianity": "المسيحية",
    "Science": "العلوم",
    "Society & Culture": "المجتمع والثقافة",
    "Sports": "الرياضة",
    "Technology": "التقنية",
    "True Crime": "الجريمة الحقيقية",
    "TV & Film": "التلفزيون والسينما",
}
# The shipped jingles a station hears until it uploads its own.
DEFAULT_JINGLES = {"intro": "intro.ogg", "outro": "outro.ogg", "stinger": "stinger.ogg"}


def _field(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name)
    return value if isinstance(value, str) else default


def shipped_template(name: str) -> str:
    return (resources.files("producer") / "templates" / f"{name}.j2").read_text(encoding="utf-8")


def _settings_page(request: Request, state: AppState, status: int = 200, **extra: Any) -> Response:
    config = service.station(state)
    station = words.station_words(state.db)
    templates = {name: station.templates.get(name) or shipped_template(name) for name in TEMPLATE_NAMES}
    with state.db.read() as s:
        log = db.audit_log(s, 50)
    context: dict[str, Any] = {
        "config": config,
        "templates": templates,
        "template_labels": TEMPLATE_LABELS,
        "categories": APPLE_CATEGORIES,
        "category_labels": CATEGORY_LABELS,
        "engines": engines_of(state),
        "lexicon": format_lexicon(station.lexicon.entries()),
        "audit": log,
    }
    return render(request, "settings.html", status, **{**context, **extra})


@router.get("/settings")
def settings_page(request: Request, state: State, who: Admin, saved: str | None = None) -> Response:
    return _settings_page(request, state, notice="حُفظت الإعدادات." if saved else None)


def _save(state: AppState, who: Identity, action: str, values: dict[str, Any]) -> None:
    with state.db.write() as s:
        current = StationConfig.load(state.settings, db.station_values(s))
        try:
            StationConfig.model_validate({**current.model_dump(), **values})
        except ValidationError as exc:
            raise Rejected(422, f"قيمة غير صالحة في الإعدادات: {exc.errors()[0]['loc'][0]}") from exc
        db.set_station_values(s, values)
        db.audit(s, who.user.name, action, "station", fields=sorted(values))


# ---- station names, engine, feed --------------------------------------------------------------------


@router.post("/settings/station")
async def save_station(request: Request, state: State, who: Admin) -> Response:
    form = await read_form(request)
    return await run_in_threadpool(_save_station, request, state, who, form)


def _save_station(request: Request, state: AppState, who: Identity, form: FormData) -> Response:
    values: dict[str, Any] = {
        key: _field(form, key).strip()
        for key in (
            "station_name",
            "programme_name",
            "engine",
            "voice",
            "target",
            "feed_title",
            "feed_description",
            "feed_author",
            "feed_owner_email",
            "feed_category",
        )
    }
    values["voice"] = values["voice"] or None
    values["feed_explicit"] = _field(form, "feed_explicit") == "on"
    values["feed_locked"] = _field(form, "feed_locked") == "on"
    try:
        pace = _field(form, "pace").strip()
        if pace:
            if not pace.isdigit() or not 80 <= int(pace) <= 220:
                raise Rejected(422, "سرعة القراءة عدد كلمات في الدقيقة بين 80 و220.")
            values["pace"] = int(pace)
        for key in ("station_name", "programme_name", "feed_title", "feed_author"):
            if not values[key]:
                raise Rejected(422, "أسماء المحطة والبرنامج وعنوان الخلاصة ومؤلفها لا تكون فارغة.")
            service.check_text(values[key], "الاسم", 200)
        service.check_text(values["feed_description"], "وصف الخلاصة", 4000)
        service.check_engine(values["engine"])
        if values["target"] not in tuple(Target):
            raise Rejected(422, "الوجهة يجب أن تكون بودكاست أو بث إذاعي.")
        if values["feed_category"] not in CATEGORIES:
            raise Rejected(422, "اختاروا تصنيفًا من القائمة.")
        email = values["feed_owner_email"]
        if email and ("@" not in email or " " in email or len(email) > 200):
            raise Rejected(422, "البريد الإلكتروني لمالك الخلاصة غير صالح.")
        _save(state, who, "settings.station", values)
    except Rejected as exc:
        return _settings_page(request, state, exc.status, error=exc.message)
    return redirect("/settings?saved=station")


# ---- templates -----------------------------------------------------------------------------------------


@router.post("/settings/templates")
async def save_templates(request: Request, state: State, who: Admin) -> Response:
    form = await read_form(request)
    return await run_in_threadpool(_save_templates, request, state, who, form)


def check_templates(state: AppState, texts: dict[str, str]) -> dict[str, str]:
    """Render the templates in the sandbox with a sample story: the preview, or Rejected."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from producer.bulletin import BulletinOptions, compose
    from producer.models import Story

    for name, text in texts.items():
        if len(text) > MAX_TEMPLATE:
            raise Rejected(413, f"قالب «{TEMPLATE_LABELS[name]}» أطول من {MAX_TEMPLATE} حرف.")
        service.check_text(text, f"قالب «{TEMPLATE_LABELS[name]}»", MAX_TEMPLATE)
    config = service.station(state)
    # Two stories, so the transition between them is previewed too.
    samples = [
        Story("عنوان خبر تجريبي", ("نص الخبر التجريبي.",)),
        Story("عنوان خبر ثان", ("نص الخبر الثاني.",)),
    ]
    # Also a bulletin of the most stories allowed, with long headlines: a template that only fails
    # or runs away on a full bulletin is refused now, not at the first big render.
    full = [
        Story(f"عنوان خبر تجريبي طويل رقم {i} " + "ـ" * 150, ("نص.",))
        for i in range(state.settings.max_stories)
    ]
    options = BulletinOptions(config.station_name, config.programme_name, texts)
    now = datetime.now(ZoneInfo(state.settings.timezone))
    try:
        compose(full, options, now)
        script = compose(samples, options, now)
    except ProducerError as exc:
        raise Rejected(422, f"القالب غير صالح: {exc}") from exc
    except Exception as exc:
        # The template is the station's code: whatever it raises (1/0, "a" + 1, a range over
        # the sandbox's limit, endless recursion) makes it invalid, never a server error.
        raise Rejected(422, f"القالب غير صالح: {type(exc).__name__}: {exc}"[:300]) from exc
    preview: dict[str, list[str]] = {}
    for seg in script.segments:
        if seg.kind.value in texts:
            preview.setdefault(seg.kind.value, []).append(seg.text)
    return {name: "\n".join(parts) for name, parts in preview.items()}


def _save_templates(request: Request, state: AppState, who: Identity, form: FormData) -> Response:
    # A template the form does not send (an older page, an API client) stays the shipped one.
    texts = {
        name: _field(form, name, shipped_template(name)).replace("\r\n", "\n") for name in TEMPLATE_NAMES
    }
    try:
        preview = check_templates(state, texts)
    except Rejected as exc:
        return _settings_page(request, state, exc.status, error=exc.message, templates=texts)
    if _field(form, "action") == "preview":
        return _settings_page(request, state, templates=texts, preview=preview)
    try:
        # A template equal to the shipped one is not stored, so later product updates still reach it.
        stored = {
            name: text for name, text in texts.items() if text.strip() != shipped_template(name).strip()
        }
        with state.db.write() as s:
            words.set_templates(s, stored, who.user.name)
            db.audit(s, who.user.name, "settings.templates", "station", fields=sorted(stored))
    except Rejected as exc:
        return _settings_page(request, state, exc.status, error=exc.message, templates=texts)
    return redirect("/settings?saved=templates")


# ---- jingles and artwork ---------------------------------------------------------------------------


async def _upload(form: FormData, state: AppState) -> tuple[str, bytes] | None:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    data = await upload.read(int(state.settings.max_upload_mb * 2**20) + 1)
    return Path(upload.filename).name, data


@router.get("/settings/jingle/{slot}/default")
def default_jingle(slot: str, who: Admin) -> Response:
    """The shipped jingle of a slot, to listen to on the settings page."""
    from fastapi.responses import FileResponse

    from producer.resources import bundled

    name = DEFAULT_JINGLES.get(slot)
    if name is None:
        return Response("not found", status_code=404, media_type="text/plain")
    return FileResponse(bundled("audio") / name, media_type="audio/ogg")


@router.post("/settings/jingle")
async def save_jingle(request: Request, state: State, who: Admin) -> Response:
    form = await read_form(request)
    upload = await _upload(form, state)
    return await run_in_threadpool(_save_jingle, request, state, who, _field(form, "slot"), upload)


def check_jingle(state: AppState, name: str, data: bytes) -> None:
    from producer.audio.ffmpeg import decode_file, read_header

    if not name.lower().endswith(AUDIO_TYPES):
        raise Rejected(415, "الفاصل يجب أن يكون ملف صوت (mp3 أو wav أو ogg أو flac أو m4a).")
    if not data:
        raise Rejected(422, "ملف الفاصل فارغ.")
    if len(data) > state.settings.max_upload_mb * 2**20:
        raise Rejected(413, "ملف الفاصل أكبر من الحد المسموح.")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{Path(name).suffix.lower()}"
        path.write_bytes(data)
        try:
            # The header first: a long or high-rate file is refused before any decoding.
            if read_header(path).seconds > MAX_JINGLE_SECONDS:
                raise Rejected(422, f"الفاصل أطول من {MAX_JINGLE_SECONDS:.0f} ثانية.")
            clip = decode_file(path, 8000, MAX_JINGLE_SECONDS + 1)
        except ProducerError as exc:
            raise Rejected(422, "تعذّرت قراءة ملف الفاصل كصوت؛ تأكدوا أنه ملف صوتي سليم.") from exc
    if clip.duration > MAX_JINGLE_SECONDS:
        raise Rejected(422, f"الفاصل أطول من {MAX_JINGLE_SECONDS:.0f} ثانية.")


def _save_jingle(
    request: Request, state: AppState, who: Identity, slot: str, upload: tuple[str, bytes] | None
) -> Response:
    field = {"intro": "jingle_intro_key", "outro": "jingle_outro_key"}.get(slot)
    try:
        if field is None:
            raise Rejected(422, "اختاروا فاصل البداية أو النهاية.")
        old = getattr(service.station(state), field)
        if upload is None:
            _save(state, who, f"settings.jingle.{slot}.remove", {field: None})
        else:
            name, data = upload
            check_jingle(state, name, data)
            key = f"station/jingle-{slot}-{secrets.token_hex(6)}{Path(name).suffix.lower()}"
            state.store.put_bytes(key, data)
            _save(state, who, f"settings.jingle.{slot}", {field: key})
        if old:
            state.store.delete_prefix(old)
    except Rejected as exc:
        return _settings_page(request, state, exc.status, error=exc.message)
    return redirect("/settings?saved=jingle")


@router.post("/settings/artwork")
async def save_artwork(request: Request, state: State, who: Admin) -> Response:
    form = await read_form(request)
    upload = await _upload(form, state)
    return await run_in_threadpool(_save_artwork, request, state, who, upload)


def check_artwork(data: bytes) -> str:
    """The artwork's extension when it is a square RGB JPEG or PNG of 1400-3000 px (Apple's rule)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, size, mode = image.format, image.size, image.mode
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise Rejected(422, "تعذّرت قراءة الصورة؛ ارفعوا ملف JPEG أو PNG سليمًا.") from exc
    if kind not in ("JPEG", "PNG"):
        raise Rejected(415, "صورة الغلاف يجب أن تكون JPEG أو PNG.")
    width, height = size
    if width != height or not 1400 <= width <= 3000:
        raise Rejected(422, f"صورة الغلاف يجب أن تكون مربعة بين 1400 و3000 بكسل (المرفوعة {width}×{height}).")
    if mode not in ("RGB", "RGBA", "P", "L"):
        raise Rejected(422, "صورة الغلاف يجب أن تكون بألوان RGB.")
    return ".jpg" if kind == "JPEG" else ".png"


def _save_artwork(
    request: Request, state: AppState, who: Identity, upload: tuple[str, bytes] | None
) -> Response:
    try:
        if upload is None:
            raise Rejected(422, "اختاروا صورة الغلاف.")
        _name, data = upload
        if len(data) > state.settings.max_upload_mb * 2**20:
            raise Rejected(413, "الصورة أكبر من الحد المسموح.")
        suffix = check_artwork(data)
        old = service.station(state).artwork_key
        key = f"station/artwork-{secrets.token_hex(6)}{suffix}"
        state.store.put_bytes(key, data)
        _save(state, who, "settings.artwork", {"artwork_key": key})
        if old:
            state.store.delete_prefix(old)
    except Rejected as exc:
        return _settings_page(request, state, exc.status, error=exc.message)
    return redirect("/settings?saved=artwork")


# ---- lexicon ---------------------------------------------------------------------------------------------


@router.post("/settings/lexicon")
async def save_lexicon(request: Request, state: State, who: Admin) -> Response:
    form = await read_form(request)
    return await run_in_threadpool(_save_lexicon, request, state, who, _field(form, "lexicon"))


def _save_lexicon(request: Request, state: AppState, who: Identity, text: str) -> Response:
    from producer.arabic.lexicon import parse_lexicon

    text = text.replace("\r\n", "\n")
    try:
        service.check_text(text.replace("\t", " "), "المعجم", MAX_LEXICON)
        try:
            # Checked as one lexicon (entry and size bounds) before anything is written.
            with state.db.write() as s:
                count = words.replace_lexicon(s, parse_lexicon(text, source="the lexicon"), who.user.name)
                db.audit(s, who.user.name, "settings.lexicon", "station", entries=count)
        except InputError as exc:
            raise Rejected(422, f"المعجم غير صالح: {exc}") from exc
    except Rejected as exc:
        return _settings_page(request, state, exc.status, error=exc.message, lexicon=text)
    return _settings_page(request, state, notice=f"حُفظ المعجم ({count} مدخلًا).")


# ---- users ---------------------------------------------------------------------------------------------


def _users_page(request: Request, state: AppState, status: int = 200, **extra: Any) -> Response:
    with state.db.read() as s:
        users = db.list_users(s)
        tokens = db.list_tokens(s)
    context = {"users": users, "tokens": tokens, "roles": ROLES, "role_labels": ROLE_LABELS}
    return render(request, "users.html", status, **context, **extra)


@router.get("/users")
def users_page(request: Request, state: State, who: Admin) -> Response:
    return _users_page(request, state)


def _check_password(password: str, name: str) -> None:
    if len(password) > auth.MAX_PASSWORD:
        raise Rejected(413, "كلمة المرور أطول من اللازم.")
    if not auth.password_is_strong(password, name):
        raise Rejected(
            422,
            f"كلمة المرور سهلة التخمين: {auth.MIN_PASSWORD} محارف على الأقل، لا كلمة شائعة ولا كلمة "
            "تتبعها أرقام؛ بضع كلمات لا رابط بينها تصلح.",
        )


@router.post("/users")
async def add_user(request: Request, state: State, who: Admin) -> Response:
    form = await read_form(request)
    name, role, password = _field(form, "name").strip(), _field(form, "role"), _field(form, "password")
    return await run_in_threadpool(_add_user, request, state, who, name, role, password)


def _add_user(
    request: Request, state: AppState, who: Identity, name: str, role: str, password: str
) -> Response:
    try:
        name = auth.normal_name(name)
        if not auth.name_is_valid(name):
            raise Rejected(422, "اسم المستخدم من 1 إلى 64 محرفًا مطبوعًا، بلا حروف من كتابة أخرى تشبه حروفه.")
        if role not in ROLES:
            raise Rejected(422, "اختاروا دورًا من القائمة.")
        _check_password(password, name)
        with state.db.write() as s:
            if db.user_by_name(s, name) is not None:
                raise Rejected(409, f"المستخدم «{name}» موجود من قبل.")
            auth.add_user(s, name, role, password)
            db.audit(s, who.user.name, "user.add", name, role=role)
    except Rejected as exc:
        return _users_page(request, state, exc.status, error=exc.message, name=name)
    return redirect("/users")


@router.post("/tokens/{token_id}/revoke")
def revoke_token(token_id: RowId, request: Request, state: State, who: Admin) -> Response:
    with state.db.write() as s:
        if not db.drop_token(s, token_id):
            return _users_page(request, state, 404, error="رمز API غير موجود.")
        db.audit(s, who.user.name, "token.revoke", str(token_id))
    return redirect("/users")


@router.post("/users/{user_id}")
async def change_user(user_id: RowId, request: Request, state: State, who: Admin) -> Response:
    form = await read_form(request)
    role, active, password = _field(form, "role"), _field(form, "active") == "on", _field(form, "password")
    return await run_in_threadpool(_change_user, request, state, who, user_id, role, active, password)


def _change_user(
    request: Request, state: AppState, who: Identity, user_id: int, role: str, active: bool, password: str
) -> Response:
    try:
        if role not in ROLES:
            raise Rejected(422, "اختاروا دورًا من القائمة.")
        with state.db.write() as s:
            user = s.get(User, user_id)
            if user is None:
                raise Rejected(404, "المستخدم غير موجود.")
            if password:
                _check_password(password, user.name)
            admins = [u for u in db.list_users(s) if u.role == "admin" and u.active and u.id != user.id]
            if not admins and (role != "admin" or not active):
                raise Rejected(409, "لا بد من بقاء مدير نشط واحد على الأقل.")
            if user.active and not active:
                auth.end_access(s, user)  # a deactivated account keeps no session or token
            user.role, user.active = role, active
            if password:
                auth.set_password(s, user, password)
            db.audit(
                s, who.user.name, "user.change", user.name, role=role, active=active, password=bool(password)
            )
    except Rejected as exc:
        return _users_page(request, state, exc.status, error=exc.message)
    return redirect("/users")


# ---- Piper voices -------------------------------------------------------------------------------------
# Voices live in this machine's voices folder (Settings.voices_dir), like the CLI's: a scale-out worker
# on another machine needs the same voice installed there.

VOICE_SAMPLE = "هذه نشرة الأخبار من إذاعتنا، نقدّم لكم فيها أهم ما جرى اليوم في المدينة والعالم."


def _voices_page(request: Request, state: AppState, status: int = 200, **extra: Any) -> Response:
    from producer.tts.voices import installed_voices

    config = service.station(state)
    default = config.voice if config.engine == "piper" else None
    context: dict[str, Any] = {
        "voices": installed_voices(state.settings.voices_dir),
        "default_voice": default,
        "base_url": state.settings.voices_base_url,
        "sample": VOICE_SAMPLE,
    }
    return render(request, "voices.html", status, **{**context, **extra})


@router.get("/settings/voices")
def voices_page(request: Request, state: State, who: Admin) -> Response:
    return _voices_page(request, state)


def _voice_changed(state: AppState, who: Identity, action: str, name: str) -> None:
    state.engines = None  # the engine catalog lists the voices: ask the preview process again
    with state.db.write() as s:
        db.audit(s, who.user.name, action, name)


def _voice_error(exc: ProducerError) -> Rejected:
    from producer.errors import DownloadError

    if isinstance(exc, DownloadError):
        return Rejected(502, f"تعذّر تنزيل الصوت: {exc}")
    return Rejected(422, f"لم يُثبَّت الصوت: {exc}")


@router.post("/settings/voices/install")
async def install_voice(request: Request, state: State, who: Admin) -> Response:
    form = await read_form(request)
    return await run_in_threadpool(_install_voice, request, state, who, _field(form, "name").strip())


def _install_voice(request: Request, state: AppState, who: Identity, name: str) -> Response:
    from producer.tts.voices import install_by_name

    try:
        if not name:
            raise Rejected(422, "اكتبوا اسم الصوت كما في مجموعة piper-voices، مثل ar_JO-kareem-medium.")
        try:
            voice = install_by_name(name, state.settings.voices_dir, state.settings.voices_base_url)
        except ProducerError as exc:
            raise _voice_error(exc) from exc
        _voice_changed(state, who, "voice.install", voice.name)
    except Rejected as exc:
        return _voices_page(request, state, exc.status, error=exc.message, name=name)
    return _voices_page(request, state, notice=f"ثُبّت الصوت {voice.name}.")


@router.post("/settings/voices/upload")
async def upload_voice(request: Request, state: State, who: Admin) -> Response:
    form = await read_form(request)
    model, config = form.get("model"), form.get("config")
    return await run_in_threadpool(_upload_voice, request, state, who, model, config)


def _upload_voice(
    request: Request, state: AppState, who: Identity, model: object, config: object
) -> Response:
    from producer.tts.voices import install_files

    try:
        if not (isinstance(model, UploadFile) and isinstance(config, UploadFile) and model.filename):
            raise Rejected(422, "ارفعوا ملفَّي الصوت معًا: النموذج ‎.onnx وإعداده ‎.onnx.json.")
        name = Path(model.filename).name.removesuffix(".onnx")
        if not model.filename.endswith(".onnx"):
            raise Rejected(415, "ملف النموذج يجب أن ينتهي بـ ‎.onnx.")
        try:
            voice = install_files(name, model.file, config.file, state.settings.voices_dir)
        except ProducerError as exc:
            raise _voice_error(exc) from exc
        _voice_changed(state, who, "voice.upload", voice.name)
    except Rejected as exc:
        return _voices_page(request, state, exc.status, error=exc.message)
    return _voices_page(request, state, notice=f"ثُبّت الصوت {voice.name}.")


@router.post("/settings/voices/{name}/remove")
def remove_piper_voice(name: str, request: Request, state: State, who: Admin) -> Response:
    from producer.tts.voices import remove_voice

    config = service.station(state)
    try:
        if config.engine == "piper" and config.voice == name:
            raise Rejected(409, "هذا هو الصوت الافتراضي للمحطة؛ اختاروا صوتًا افتراضيًا غيره أولًا.")
        try:
            remove_voice(name, state.settings.voices_dir)
        except ProducerError as exc:
            raise Rejected(404, f"لا يوجد صوت مثبّت بهذا الاسم: {name}") from exc
        _voice_changed(state, who, "voice.remove", name)
    except Rejected as exc:
        return _voices_page(request, state, exc.status, error=exc.message)
    return _voices_page(request, state, notice=f"حُذف الصوت {name}.")


@router.post("/settings/voices/{name}/default")
def set_default_voice(name: str, request: Request, state: State, who: Admin) -> Response:
    from producer.tts.piper import arabic_voices

    try:
        if name not in arabic_voices(state.settings.voices_dir):
            raise Rejected(404, f"لا يوجد صوت عربي مثبّت بهذا الاسم: {name}")
        _save(state, who, "settings.voice", {"engine": "piper", "voice": name})
    except Rejected as exc:
        return _voices_page(request, state, exc.status, error=exc.message)
    return _voices_page(request, state, notice=f"صار {name} الصوت الافتراضي للمحطة.")


@router.get("/settings/voices/{name}/sample")
def piper_voice_sample(name: str, state: State, who: Admin) -> Response:
    """The sample sentence in this voice, at the station's pace, voiced by the preview process."""
    from producer.store.station import station_settings
    from producer.tts.piper import arabic_voices
    from producer.web.preview import voice_segment

    if name not in arabic_voices(state.settings.voices_dir):
        return Response("لا يوجد صوت عربي مثبّت بهذا الاسم.", status_code=404, media_type="text/plain")
    conf = station_settings(state.settings, service.station(state))
    lexicon = words.station_words(state.db).lexicon
    try:
        wav = state.previews.submit(voice_segment, conf, VOICE_SAMPLE, "piper", name, lexicon).result(
            timeout=300
        )
    except ProducerError as exc:
        return Response(f"تعذّر توليد العيّنة: {exc}", status_code=422, media_type="text/plain")
    return Response(wav, media_type="audio/wav", headers={"Cache-Control": "no-store"})
