"""The automation's pages in a real browser (Debian's chromium through Playwright) against a real
`producer serve`, its sources served by a real HTTP server: sources, a programme's form, the
editors' picks read by the run, the runs' history with a failed hand-off retried, and the
approval view on a phone. The server's own scheduler is off: the test runs its steps
(`advance_runs`, as a second scheduler process would), so each transition happens when the test
says and every page is asserted on the state it caused."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import Site
from sqlalchemy import select

from producer.air.runs import Services, advance_runs, schedule_tick
from producer.jobs import JobQueue
from producer.settings import Settings
from producer.store.air import Article, Programme, Run, RunState, Source
from producer.store.db import Bulletin, Episode, utcnow
from producer.store.files import open_store
from tests.web.support import (
    ADMIN_PASSWORD,
    VIEWER_PASSWORD,
    Server,
    login,
    run_cli,
    server_env,
    start_server,
)
from tests.web.test_browser import CHROMIUM, browser  # noqa: F401 (the browser fixture)

WATER = "عودة المياه إلى 12 حيا في مدينة حلب"
SCHOOLS = "افتتاح ثلاث مدارس جديدة في ريف إدلب"
BREAD = "ارتفاع أسعار الخبز في درعا بعد رفع سعر الطحين"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium package is not installed"
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A newsroom of its own for each test (the same news in two tests' sources would be one)."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = start_server(data_dir, server_env(data_dir, PRODUCER_SCHEDULER="false"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def services(server: Server) -> Iterator[Services]:
    """The server's database and files, for this process to run the scheduler's steps."""
    settings = Settings(data_dir=server.data_dir)
    with server.database() as database:
        store = open_store(settings)
        yield Services(settings, database, store, JobQueue(settings, database, store))


def _login(page: object, server: Server, after: str) -> None:
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    page.goto(f"{server.url}/login?next={after}")
    page.fill("input[name=name]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit].primary")


def _settled(services: Services, run_id: int, timeout: float = 300) -> Run:
    """The run once its render is done and the scheduler's step has moved it on."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        advance_runs(services, now=utcnow())
        with services.db.read() as s:
            run = s.get(Run, run_id)
        assert run is not None
        if run.state != RunState.BUILDING:
            return run
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} was not rendered")


def _newest_run(services: Services, programme: str) -> Run:
    with services.db.read() as s:
        programme_id = s.scalars(select(Programme.id).where(Programme.name == programme)).one()
        return s.scalars(select(Run).where(Run.programme_id == programme_id).order_by(Run.id.desc())).first()


def _headlines(services: Services, run: Run) -> list[str]:
    with services.db.read() as s:
        bulletin = s.get(Bulletin, run.bulletin_id)
    assert bulletin is not None and bulletin.script is not None
    return list(bulletin.script["headlines"])


def test_sources_programme_picks_runs_and_a_retried_hand_off(
    browser: object,  # noqa: F811
    server: Server,
    services: Services,
    site: Site,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    page = browser.new_page(locale="ar", viewport={"width": 1280, "height": 900})
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(page, server, "/sources")
    expect(page.locator("h1")).to_have_text("المصادر")
    notice = page.locator(".alert.notice")
    error = page.locator(".alert.error#form-error")

    # Sources: a feed found by fetching it, a second one, and a broken one said to be a feed.
    for name, path, kind in (
        ("ألوان", "/feed.xml", ""),
        ("الوكالة", "/agency.xml", ""),
        ("معطّل", "/broken", "feed"),
    ):
        form = page.locator("#add-source")
        form.locator("input[name=url]").fill(site.url(path))
        form.locator("input[name=name]").fill(name)
        form.locator("select[name=kind]").select_option(kind)
        form.locator("button[type=submit]").click()
        expect(notice).to_have_text(f"أُضيف المصدر «{name}» (خلاصة RSS/Atom).")
    row = page.locator("tr[data-source='ألوان']")
    expect(row.locator(".fetched")).to_have_text("لم يُجلب بعد")
    expect(row.locator(".count")).to_have_text("0 خبر")

    # Test now: the feed's two stories; the agency repeats the water story (kept as a duplicate).
    row.locator("[data-fetch]").click()
    expect(notice).to_have_text("جُلب «ألوان»: 2 جديدة، 0 محدّثة، 0 مكررة.")
    expect(page.locator("tr[data-source='ألوان'] .count")).to_have_text("2 خبر")
    expect(page.locator("tr[data-source='ألوان'] .fetched")).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$")
    )
    page.locator("tr[data-source='الوكالة'] [data-fetch]").click()
    expect(notice).to_have_text("جُلب «الوكالة»: 1 جديدة، 0 محدّثة، 1 مكررة.")
    page.locator("tr[data-source='ألوان'] [data-fetch]").click()
    expect(notice).to_have_text("جُلب «ألوان»: لم يتغيّر شيء منذ آخر جلب.")
    page.locator("tr[data-source='معطّل'] [data-fetch]").click()
    expect(error).to_have_text("«معطّل»: خادم الموقع معطّل (HTTP 500).")
    expect(page.locator("tr[data-source='معطّل'] .source-error")).to_have_text("خادم الموقع معطّل (HTTP 500).")
    page.locator("tr[data-source='معطّل'] [data-active]").click()
    expect(notice).to_have_text("«معطّل»: أوقف جلبه.")
    expect(page.locator("tr[data-source='معطّل'] .badge.off")).to_have_text("موقوف")
    page.locator("tr[data-source='معطّل'] [data-delete]").click()
    expect(notice).to_have_text("حُذف المصدر «معطّل» وأخباره.")

    # A single article page, found to be one by fetching it; its article is the one Alwan's feed
    # teased, kept already under the same URL.
    form = page.locator("#add-source")
    form.locator("input[name=url]").fill(site.url("/news/schools"))
    form.locator("input[name=name]").fill("مدارس")
    form.locator("select[name=kind]").select_option("")
    form.locator("button[type=submit]").click()
    expect(notice).to_have_text("أُضيف المصدر «مدارس» (صفحة خبر).")
    page.locator("tr[data-source='مدارس'] [data-fetch]").click()
    expect(notice).to_have_text("جُلب «مدارس»: 0 جديدة، 0 محدّثة، 0 مكررة.")
    page.locator("tr[data-source='مدارس'] [data-delete]").click()
    expect(page.locator("tr[data-source]")).to_have_count(2)

    # A programme: the form refuses a bad schedule and keeps what was typed.
    blocker = tmp_path / "playout"
    blocker.write_text("a file where the watch folder should be")
    page.click("a[href='/programmes']")
    page.click("#new-programme")
    form = page.locator("#programme-form")
    form.locator("input[name=name]").fill("نشرة الساعة")
    form.locator("input[name=cron]").fill("55 * * *")
    form.locator("input[name=length]").fill("1:35")
    form.locator("input[name=max_stories]").fill("2")
    form.locator("input[name=sources][value='ألوان']").check()
    form.locator("input[name=sources][value='الوكالة']").check()
    form.locator("textarea[name=playout]").fill(f"dir:{blocker}")
    form.locator("button[type=submit]").click()
    expect(error).to_have_text(
        "الجدول تعبير cron من خمسة حقول (الدقيقة الساعة اليوم الشهر يوم الأسبوع)، مثل 55 * * * *."
    )
    expect(form.locator("input[name=name]")).to_have_value("نشرة الساعة")
    expect(form.locator("input[name=sources][value='الوكالة']")).to_be_checked()
    form.locator("input[name=cron]").fill("55 * * * *")
    form.locator("button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("نشرة الساعة")

    # The next bulletin: newest first; two fit the count. The editor moves the bread story down,
    # drops it, pins the water story and extends the schools story by a paragraph.
    def order() -> list[str]:
        return page.locator(".candidate .headline").all_inner_texts()

    assert order() == [BREAD, SCHOOLS, WATER]
    expect(page.locator("#total")).to_have_text(re.compile(r"^المجموع التقديري \d:\d\d من 1:35$"))

    def act(headline: str, action: str) -> None:
        page.locator(".candidate", has_text=headline).locator(f"button[value={action}]").click()
        expect(page.locator("h1")).to_have_text("نشرة الساعة")

    act(BREAD, "down")
    assert order() == [SCHOOLS, BREAD, WATER]
    act(BREAD, "drop")
    act(WATER, "pin")
    act(SCHOOLS, "extend")
    assert order() == [WATER, SCHOOLS, BREAD]
    reads = page.locator(".candidate .reads").all_inner_texts()
    assert re.fullmatch(r"تُقرأ 1 من 3 فقرات، \d+ ث", reads[0]), reads
    assert re.fullmatch(r"تُقرأ 2 من 3 فقرات، \d+ ث", reads[1]), reads
    assert reads[2] == "مستبعد"
    expect(page.locator(".candidate", has_text=WATER).locator(".pinned")).to_have_text("مثبّت")

    planned = page.locator("#total .time").first.inner_text()
    page.click("#build")
    expect(notice).to_have_text("بدأ تحضير النشرة التالية.")
    expect(page.locator("#next-built")).to_contain_text("حُضّرت هذه النشرة")
    expect(page.locator(".candidate button")).to_have_count(0)  # the picks are fixed now

    # The run read what the editors chose.
    run = _settled(services, _newest_run(services, "نشرة الساعة").id)
    with services.db.read() as s:
        ids = {a.headline: a.id for a in s.scalars(select(Article).where(Article.same_as.is_(None)))}
        bulletin = s.get(Bulletin, run.bulletin_id)
    assert bulletin is not None and bulletin.script is not None
    assert run.article_ids == [ids[WATER], ids[SCHOOLS]]
    assert bulletin.script["headlines"] == [WATER, SCHOOLS]
    assert [len(text.split("\n\n")) for text in bulletin.articles] == [2, 3]  # headline + paragraphs

    # The script editor shows each segment's estimate and the total the page planned, against
    # the programme's length.
    page.goto(f"{server.url}/bulletins/{bulletin.id}")
    expect(page.locator("#estimate")).to_have_text(f"المدة التقديرية {planned} من 1:35 بسرعة قراءة المحطة")
    expect(page.locator("fieldset.kind-story .estimate")).to_have_count(2)
    expect(page.locator("fieldset.kind-story .estimate").first).to_have_text(re.compile(r"^نحو \d+ ث$"))

    # The hand-off failed (a file where the folder should be): shown, then retried once fixed.
    assert run.state == RunState.PUBLISHED
    page.click("a[href='/runs']")
    expect(page.locator("h1")).to_have_text("سجل البث")
    row = page.locator(f"tr[data-run='{run.id}']")
    expect(row.locator(".state")).to_have_text("منشورة، لم تُسلَّم للبث")
    # The folder's path is isolated left to right inside the Arabic sentence.
    expect(row.locator(".handoff .bad")).to_have_text(
        f"تعذّرت كتابة النشرة في \u2068{blocker}\u2069: يوجد ملف بهذا الاسم مكان المجلد"
    )
    blocker.unlink()
    row.locator("[data-retry]").click()
    expect(notice).to_have_text("أُعيدت محاولة التسليم.")
    expect(page.locator("#state")).to_have_text("سُلّمت للبث")
    (delivered,) = blocker.iterdir()
    with services.db.read() as s:
        episode = s.get(Episode, s.get(Run, run.id).episode_id)  # type: ignore[union-attr]
    assert episode is not None and episode.published
    assert delivered.read_bytes() == services.store.path(episode.audio_key).read_bytes()  # type: ignore[attr-defined]
    page.goto(f"{server.url}/runs")
    row = page.locator(f"tr[data-run='{run.id}']")
    expect(row.locator(".state")).to_have_text("سُلّمت للبث")
    expect(row.locator(".handoff")).to_contain_text(f"dir:{blocker}: سُلّمت")
    expect(row.locator(".publication")).to_have_text(re.compile(r"^نُشرت \d{4}-\d\d-\d\d \d\d:\d\d$"))
    expect(page.locator("[data-retry]")).to_have_count(0)

    # The programmes' list says when it runs, where it goes and how its last bulletin went.
    page.click("a[href='/programmes']")
    listed = page.locator("tr[data-programme='نشرة الساعة']")
    expect(listed.locator(".schedule")).to_have_text("كل ساعة عند الدقيقة 55")
    expect(listed.locator(".mode")).to_have_text("نشر تلقائي")
    expect(listed.locator(".length")).to_have_text("المدة 1:35، حتى 2 أخبار")
    expect(listed.locator(".targets")).to_have_text(f"البث إلى: dir:{blocker}")
    expect(listed.locator(".last .badge")).to_have_text("سُلّمت للبث")

    # Edited through the same checks: an approval deadline before the build is refused.
    listed.locator("a.name").click()
    page.click("a[href$='/edit']")
    form = page.locator("#programme-form")
    expect(form.locator("input[name=length]")).to_have_value("1:35")
    form.locator("input[name=mode][value=approve]").check()
    form.locator("input[name=approve_by]").fill("10")
    form.locator("button[type=submit]").click()
    expect(error).to_have_text("موعد الاعتماد يقع بين التحضير والبث: أقل من دقائق التحضير قبل البث.")
    form.locator("input[name=approve_by]").fill("2")
    form.locator("button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("نشرة الساعة")
    page.click("a[href='/programmes']")
    expect(listed.locator(".mode")).to_have_text("بانتظار اعتماد محرر حتى 2 دقيقة قبل البث")

    # The service was down over the following slot: the scheduler reports it missed, not aired.
    schedule_tick(services, now=run.air_time + timedelta(hours=1, minutes=2))
    page.goto(f"{server.url}/runs")
    missed = page.locator("tr[data-state='missed']")
    expect(missed.locator(".state")).to_have_text("فاتت")
    expect(missed.locator(".reason")).to_have_text("كانت الخدمة متوقفة وقت تحضيرها، فلم تُبث.")

    # A source a programme reads is not removed (its page offers no button; the route refuses).
    csrf = page.locator("meta[name=csrf-token]").get_attribute("content")
    with services.db.read() as s:
        alwan = s.scalars(select(Source.id).where(Source.name == "ألوان")).one()
    refused = page.request.post(f"{server.url}/sources/{alwan}/delete", form={"csrf_token": csrf or ""})
    assert refused.status == 409
    assert "لا يُحذف «ألوان»: يغذّي البرنامج «نشرة الساعة». أوقفوه بدلًا من ذلك." in refused.text()

    # A viewer reads the pages and changes nothing; a form without the session's token is refused.
    result = run_cli(
        server.data_dir,
        "user",
        "add",
        "viewer",
        "--role",
        "viewer",
        stdin=VIEWER_PASSWORD + "\n",
        env=server.env,
    )
    assert result.returncode == 0, result.stderr
    programme_id = run.programme_id
    with server.client() as viewer:
        token = login(viewer, "viewer", VIEWER_PASSWORD)
        for path in ("/sources", "/programmes", f"/programmes/{programme_id}", "/runs", f"/runs/{run.id}"):
            shown = viewer.get(path)
            assert shown.status_code == 200, path
            assert "<button" not in shown.text.replace('<button class="link" type="submit">خروج', ""), path
        for path in (f"/programmes/{programme_id}/build", f"/sources/{alwan}/fetch", f"/runs/{run.id}/retry"):
            assert viewer.post(path, data={"csrf_token": token}).status_code == 403, path
    with server.client() as editor:
        login(editor, "admin", ADMIN_PASSWORD)
        assert editor.post(f"/programmes/{programme_id}/build", data={}).status_code == 403
    assert not errors, errors


def test_the_approval_view_on_a_phone(
    browser: object,  # noqa: F811
    server: Server,
    services: Services,
    site: Site,
    tmp_path: Path,
) -> None:
    """Programmes added by the command line; an editor on a phone listens and approves one, and
    sees what happened to one whose deadline passed."""
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    playout = tmp_path / "air"

    def cli(*args: str) -> None:
        result = run_cli(server.data_dir, *args, env=server.env)
        assert result.returncode == 0, result.stderr

    cli("source", "add", site.url("/feed.xml"), "--name", "ألوان الهاتف")
    cli("source", "fetch", "ألوان الهاتف")
    for name in ("موجز الظهيرة", "موجز المساء", "موجز الليل"):
        cli(
            "programme", "add", name, "--cron", "55 * * * *", "--length", "0:40", "--max-stories", "1",
            "--sources", "ألوان الهاتف", "--approve-by", "2", "--playout", f"dir:{playout}",
        )  # fmt: skip
    context = browser.new_context(
        locale="ar",
        viewport={"width": 390, "height": 844},
        has_touch=True,
        is_mobile=True,
        device_scale_factor=3,
    )
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(page, server, "/programmes")
    expect(page.locator("h1")).to_have_text("البرامج")
    expect(page.locator("tr[data-programme='موجز الظهيرة'] .mode")).to_have_text(
        "بانتظار اعتماد محرر حتى 2 دقيقة قبل البث"
    )
    expect(page.locator("tr[data-programme='موجز الظهيرة'] .schedule")).to_have_text("كل ساعة عند الدقيقة 55")

    runs = {}
    for name in ("موجز الظهيرة", "موجز المساء", "موجز الليل"):
        page.locator(f"tr[data-programme='{name}'] a.name").tap()
        page.locator("#build").tap()
        expect(page.locator(".alert.notice")).to_have_text("بدأ تحضير النشرة التالية.")
        runs[name] = _settled(services, _newest_run(services, name).id)
        assert runs[name].state == RunState.AWAITING
        page.goto(f"{server.url}/programmes")

    # Awaiting: the stories, the audio to listen to, and the deadline. The editor finds it from
    # the programmes' list, swaps its story for the other one and has it built again.
    run = runs["موجز الظهيرة"]
    assert _headlines(services, run) == [SCHOOLS]
    listed = page.locator("tr[data-programme='موجز الظهيرة'] .last .badge")
    expect(listed).to_have_text("بانتظار الاعتماد")
    listed.tap()
    expect(page).to_have_url(f"{server.url}/runs/{run.id}")
    page.locator("#change").tap()
    expect(page.locator("#next-built")).to_contain_text("حُضّرت هذه النشرة وتنتظر الاعتماد")
    page.locator(".candidate", has_text=SCHOOLS).locator("button[value=drop]").tap()
    expect(page.locator(".candidate", has_text=WATER).locator(".reads")).to_have_text(
        re.compile(r"^تُقرأ \d من 3 فقرات، \d+ ث$")
    )
    page.locator("#rebuild").tap()
    expect(page.locator(".alert.notice")).to_have_text("بدأ تحضير النشرة من جديد بهذه الأخبار.")
    # Opened while it is being built (the test's scheduler step has not moved it on yet), the
    # run's page shows the outcome by itself once it is ready: nobody reloads it.
    page.goto(f"{server.url}/runs/{run.id}")
    expect(page.locator("#state")).to_have_text("قيد التحضير")
    expect(page.locator("#outcome")).to_have_text("تُحضَّر الآن؛ تتحدّث هذه الصفحة وحدها حين تجهز.")
    expect(page.locator("#approve")).to_have_count(0)
    run = _settled(services, run.id)
    assert run.state == RunState.AWAITING and _headlines(services, run) == [WATER]
    expect(page.locator("#state")).to_have_text("بانتظار الاعتماد")
    expect(page.locator("#outcome")).to_have_text(
        re.compile(r"^تنتظر اعتمادكم حتى \d{4}-\d\d-\d\d \d\d:\d\d؛ بعده لا تُبث\.$")
    )
    expect(page.locator("#stories .headline")).to_have_text([WATER])
    player = page.locator("#player")
    page.wait_for_function("el => el.readyState >= 1 && el.duration > 5", arg=player.element_handle())
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    box = page.locator("#approve").bounding_box()
    assert box is not None and box["height"] >= 44  # a thumb's target
    page.locator("#approve").tap()
    expect(page.locator(".alert.notice")).to_have_text("اعتُمدت النشرة ونُشرت.")
    expect(page.locator("#state")).to_have_text("سُلّمت للبث")
    expect(page.locator("#outcome")).to_have_text("سُلّمت للبث.")
    expect(page.locator("#approve")).to_have_count(0)
    (delivered,) = playout.iterdir()
    assert delivered.name.startswith(run.air_time.strftime("%Y%m%d-%H%M"))
    with services.db.read() as s:
        aired = s.get(Episode, s.get(Run, run.id).episode_id)  # type: ignore[union-attr]
    assert aired is not None and aired.published and aired.id != runs["موجز الظهيرة"].episode_id
    assert delivered.read_bytes() == services.store.path(aired.audio_key).read_bytes()  # type: ignore[attr-defined]

    page.goto(f"{server.url}/runs")
    expect(page.locator(f"tr[data-run='{run.id}'] .publication")).to_have_text(
        re.compile(r"^اعتمدها admin ونُشرت \d{4}-\d\d-\d\d \d\d:\d\d$")
    )

    # One an editor skips before its deadline.
    skipped = runs["موجز الليل"]
    page.goto(f"{server.url}/runs/{skipped.id}")
    page.locator("#skip").tap()
    expect(page.locator(".alert.notice")).to_have_text("تُخطّيت النشرة؛ لن تُبث.")
    expect(page.locator("#state")).to_have_text("لم تُبث")
    expect(page.locator("#outcome")).to_have_text("تخطّاها admin، فلم تُبث.")
    advance_runs(services, now=utcnow())
    with services.db.read() as s:
        episode = s.get(Episode, skipped.episode_id)
    assert episode is not None and not episode.published

    # One was not approved by its deadline: the scheduler's next step skips it.
    late = runs["موجز المساء"]
    with services.db.read() as s:
        minutes = s.get(Programme, late.programme_id).approve_minutes  # type: ignore[union-attr]
    advance_runs(services, now=late.air_time - timedelta(minutes=minutes) + timedelta(seconds=1))
    page.goto(f"{server.url}/runs/{late.id}")
    expect(page.locator("#state")).to_have_text("لم تُبث")
    expect(page.locator("#outcome")).to_have_text("لم تُعتمد قبل الموعد، فلم تُبث.")
    expect(page.locator("#approve")).to_have_count(0)
    assert len(list(playout.iterdir())) == 1
    context.close()
    assert not errors, errors
