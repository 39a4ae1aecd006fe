"""The newsroom in a real browser: Playwright driving Debian's chromium against the real server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.web.support import EDITOR_PASSWORD, Newsroom

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FIXTURE = Path(__file__).resolve().parents[1] / "data" / "pages" / "alwan.txt"
HEADLINE = "روسيا تقول إنّها قتلت أمير ديرالزور، وقسد تعلن بدء العمليّات نحو ديرالزور."

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium package is not installed"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        yield browser
        browser.close()


# On the SQLite newsroom only: the page drives the same service calls as tests/web/test_server.py,
# which runs on every backend.
@pytest.mark.parametrize("newsroom", ["sqlite"], indirect=True)
def test_compose_edit_render_listen_publish(browser: object, newsroom: Newsroom) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    page = browser.new_page(locale="ar", viewport={"width": 412, "height": 900})  # a phone's width
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    page.goto(newsroom.server.url + "/")
    expect(page).to_have_url(newsroom.server.url + "/login?next=/")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    page.fill("input[name=name]", "editor")
    page.fill("input[name=password]", EDITOR_PASSWORD)
    page.click("button[type=submit].primary")
    expect(page.locator("h1")).to_have_text("نشرة جديدة")

    # Compose: paste the scraped article, add a second story, then remove it again.
    page.fill("input[name=title]", "نشرة المتصفح")
    page.locator("textarea[name=article]").first.fill(FIXTURE.read_text(encoding="utf-8"))
    page.click("#add-article")
    expect(page.locator("textarea[name=article]")).to_have_count(2)
    page.locator(".article").nth(1).locator("[data-remove]").click()
    expect(page.locator("textarea[name=article]")).to_have_count(1)
    page.click("button[value=compose]")

    # Script editor: right to left, one segment edited with its "how it will be read" view.
    expect(page.locator("h1")).to_have_text("تحرير النشرة")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.querySelector('textarea')).direction") == "rtl"
    story = page.locator("fieldset.kind-story").first
    expect(story.locator("legend")).to_have_text("خبر 1")
    ident = page.locator("fieldset.kind-ident")
    ident.locator("textarea").fill("هنا راديو ألوان، نشرة الساعة 9.")
    spoken = ident.locator(".speakable")
    ident.locator("summary").click()
    # The view shows the vowels as voiced: the number is read out, in words.
    page.wait_for_function(
        "el => el.textContent.replace(/[\\u064b-\\u0652]/g, '').includes('التاسعة')",
        arg=spoken.element_handle(),
        timeout=15_000,
    )

    # Listen to that one segment.
    ident.locator("[data-listen]").click()
    audio = ident.locator("audio")
    expect(audio).to_be_visible(timeout=60_000)
    page.wait_for_function(
        "el => el.duration > 0 && isFinite(el.duration)", arg=audio.element_handle(), timeout=30_000
    )

    # Save and render; the progress bar runs to the end.
    page.click("#render")
    expect(page.locator("#job-done")).to_be_visible(timeout=180_000)
    assert page.locator("#job-progress").evaluate("el => el.value") == 1
    expect(page.locator("#job-percent")).to_have_text("100%")
    page.click("#episode-link")

    # Episode: the player knows the duration; chapters and transcript are there.
    expect(page.locator("h1")).to_have_text("نشرة المتصفح")
    player = page.locator("#player")
    page.wait_for_function(
        "el => el.readyState >= 1 && isFinite(el.duration) && el.duration > 0",
        arg=player.element_handle(),
        timeout=30_000,
    )
    duration = player.evaluate("el => el.duration")
    assert duration > 30
    # The browser's own decoder reads every frame of the joined parts, to the same length.
    decoded = page.evaluate(
        """async (src) => {
            const data = await (await fetch(src)).arrayBuffer();
            const audio = await new OfflineAudioContext(1, 1, 44100).decodeAudioData(data);
            return audio.duration;
        }""",
        player.evaluate("el => el.currentSrc"),
    )
    assert abs(decoded - duration) < 0.1
    page.locator(".chapters [data-seek]").first.click()
    expect(page.locator(".chapters")).to_contain_text(HEADLINE)
    expect(page.locator("#transcript .cue").first).to_be_visible()
    player.evaluate("el => { el.muted = true; return el.play(); }")
    page.wait_for_function("el => el.currentTime > 0.2", arg=player.element_handle(), timeout=30_000)

    page.click("#publish")
    expect(page.locator("#published-state")).to_have_text("منشورة")
    feed = httpx.get(newsroom.server.url + "/feed.xml").text
    assert "<title>نشرة المتصفح</title>" in feed
    assert not errors, errors
    page.close()


@pytest.mark.parametrize("newsroom", ["sqlite"], indirect=True)
def test_feed_opens_as_an_arabic_page_with_a_way_back(
    browser: object, newsroom: Newsroom, rendered: dict[str, object]
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    page = browser.new_page(locale="ar")
    page.goto(newsroom.server.url + "/feed.xml")
    # Chromium renders the feed through its XSL stylesheet (a raw XML tree has no <h1>).
    expect(page.locator("h1")).to_have_text("نشرة الأخبار")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    expect(page.locator("article.episode h2", has_text="نشرة الاختبار")).to_be_visible()
    expect(page.locator("article.episode .description").first).to_contain_text("الفقرات:")
    expect(page.locator("#feed-url")).to_have_text(newsroom.server.url + "/feed.xml")
    page.click("#back")
    expect(page).to_have_url(newsroom.server.url + "/login?next=/")
    page.close()


@pytest.mark.parametrize("newsroom", ["sqlite"], indirect=True)
def test_settings_templates_read_right_to_left_and_jingles_play(browser: object, newsroom: Newsroom) -> None:
    from playwright.sync_api import Browser, expect

    from tests.web.support import ADMIN_PASSWORD

    assert isinstance(browser, Browser)
    page = browser.new_page(locale="ar")
    page.set_default_timeout(30_000)
    page.goto(newsroom.server.url + "/login?next=/settings")
    page.fill("input[name=name]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit].primary")
    expect(page.locator("h1")).to_have_text("المحطة والخلاصة")
    # All five templates, right to left whatever their first character, so {{ }} sits where it is read.
    areas = page.locator("#templates-form textarea")
    expect(areas).to_have_count(5)
    for index in range(5):
        assert areas.nth(index).evaluate("el => getComputedStyle(el).direction") == "rtl"
    # Apple's categories, grouped, named in Arabic and English.
    expect(page.locator("select[name=feed_category] option[value='News/Daily News']")).to_have_text(
        "الأخبار اليومية — Daily News"
    )
    # Each jingle in use has a player whose audio the browser decodes.
    players = page.locator("audio[data-jingle]")
    expect(players).to_have_count(3)
    for index in range(3):
        player = players.nth(index)
        player.evaluate("el => { el.preload = 'auto'; el.load(); }")
        page.wait_for_function(
            "el => el.readyState >= 1 && isFinite(el.duration) && el.duration > 0",
            arg=player.element_handle(),
        )
    page.close()


@pytest.mark.parametrize("newsroom", ["sqlite"], indirect=True)
def test_click_a_word_set_its_vowels_and_hear_the_segment_again(browser: object, newsroom: Newsroom) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    page = browser.new_page(locale="ar", viewport={"width": 412, "height": 900})
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(newsroom.server.url + "/login")
    page.fill("input[name=name]", "editor")
    page.fill("input[name=password]", EDITOR_PASSWORD)
    page.click("button[type=submit].primary")
    page.fill("input[name=title]", "نشرة التشكيل في المتصفح")
    page.locator("textarea[name=article]").first.fill(
        "قتل ثلاثة مدنيين في قصف على ريف إدلب\nقتل ثلاثة مدنيين أمس."
    )
    page.click("button[value=compose]")
    expect(page.locator("h1")).to_have_text("تحرير النشرة")

    story = page.locator("fieldset.kind-story").first
    story.locator("summary").click()
    # The sentence opens with a verb whose voice the spelling leaves open: it is marked for a look.
    verb = story.locator(".speakable .w.verb").first
    expect(verb).to_have_attribute("data-word", "قتل")
    verb.click()
    editor = story.locator(".vowel-editor")
    expect(editor).to_be_visible()
    editor.locator(".vowels").fill("قَتَلَ")
    editor.locator("[data-scope=bulletin]").click()
    # The script now carries the vowels (every occurrence in the bulletin), the view shows them as
    # given, and the segment is voiced again at once.
    expect(story.locator("textarea")).to_have_value(
        "قَتَلَ ثلاثة مدنيين في قصف على ريف إدلب\nقَتَلَ ثلاثة مدنيين أمس."
    )
    expect(story.locator(".speakable .w.given")).to_have_count(2)
    expect(story.locator(".speakable .w.given").first).to_have_text("قَتَلَ")
    audio = story.locator("audio")
    expect(audio).to_be_visible(timeout=60_000)
    page.wait_for_function(
        "el => el.duration > 0 && isFinite(el.duration)", arg=audio.element_handle(), timeout=30_000
    )
    # Saved: a reload shows the same script.
    page.reload()
    expect(page.locator("fieldset.kind-story").first.locator("textarea")).to_have_value(
        "قَتَلَ ثلاثة مدنيين في قصف على ريف إدلب\nقَتَلَ ثلاثة مدنيين أمس."
    )
    assert not errors, errors
    page.close()


@pytest.mark.parametrize("newsroom", ["sqlite"], indirect=True)
def test_a_segment_preview_plays_as_it_streams(browser: object, newsroom: Newsroom) -> None:
    """The listen button plays the segment through Media Source from its first MP3 frames on,
    and the audio element ends up exactly as long as the segment (its WAV, decoded apart)."""
    from playwright.sync_api import Browser

    from tests.web.support import ARTICLE_WATER

    assert isinstance(browser, Browser)
    with newsroom.api() as api:
        bulletin = api.post("/api/v1/bulletins", json={"articles": [ARTICLE_WATER]}).json()["id"]
    page = browser.new_page(locale="ar")
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Every piece the page hands to Media Source, in order.
    page.add_init_script(
        "const append = SourceBuffer.prototype.appendBuffer;"
        "window.appended = [];"
        "SourceBuffer.prototype.appendBuffer = function (data) {"
        "  window.appended.push(data.byteLength); return append.call(this, data); };"
        "const end = MediaSource.prototype.endOfStream;"
        "MediaSource.prototype.endOfStream = function () {"
        "  window.streamEnded = true; return end.call(this); };"
    )
    page.goto(newsroom.server.url + "/login")
    page.fill("input[name=name]", "editor")
    page.fill("input[name=password]", EDITOR_PASSWORD)
    page.click("button[type=submit].primary")
    page.goto(f"{newsroom.server.url}/bulletins/{bulletin}")
    assert page.evaluate("() => STREAMED_PREVIEW")  # Debian's chromium plays MP3 through Media Source
    ident = page.locator("fieldset.kind-ident")
    text = "هنا راديو ألوان، والساعة الآن التاسعة. نبدأ النشرة بأخبار المياه في حلب، ثم أخبار المدارس."
    ident.locator("textarea").fill(text)
    audio = ident.locator("audio")
    audio.evaluate("el => { el.muted = true; }")
    ident.locator("[data-listen]").click()
    page.wait_for_function("el => el.currentTime > 0", arg=audio.element_handle())
    assert audio.evaluate("el => el.src").startswith("blob:")
    # Once the stream has ended, Media Source knows the whole length.
    page.wait_for_function("() => window.streamEnded === true")
    page.wait_for_function("el => isFinite(el.duration) && el.duration > 0", arg=audio.element_handle())
    streamed = audio.evaluate("el => el.duration")
    assert page.evaluate("() => window.appended.length") >= 1
    whole = page.evaluate(
        """async ([id, text]) => {
            const response = await post(`/bulletins/${id}/listen`, { text, format: "wav" });
            const data = await response.arrayBuffer();
            return (await new OfflineAudioContext(1, 1, 22050).decodeAudioData(data)).duration;
        }""",
        [bulletin, text],
    )
    assert whole > 3
    assert 0 <= streamed - whole < 0.25  # the MP3 encoder's delay and padding only
    assert not errors, errors
    page.close()
