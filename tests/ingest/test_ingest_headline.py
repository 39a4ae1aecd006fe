"""The headline is the line the body is about: tickers, site names, date lines are never it, nor read."""

from __future__ import annotations

import pytest

from producer.ingest import clean

TITLE = "بدء موسم حصاد القمح في الحسكة وتوقعات بإنتاج 800 ألف طن"
LEAD = (
    "أعلنت وزارة الزراعة، اليوم الاثنين، بدء موسم حصاد القمح في محافظة الحسكة، متوقعة إنتاج نحو "
    "800 ألف طن هذا العام بعد تحسن معدلات الأمطار."
)
SECOND = (
    "وقال مدير الزراعة في المحافظة إن مراكز الاستلام ستفتح أبوابها الأسبوع المقبل، وإن سعر الكيلوغرام "
    "حدد بـ5500 ليرة."
)
TICKERS = [
    "وزير الخارجية يستقبل نظيره العماني في دمشق",
    "انقطاع الكهرباء عن أحياء في حلب بسبب أعمال صيانة",
    "الأرصاد: منخفض جوي يضرب البلاد اعتبارا من مساء الخميس",
]


def page(*lines: str) -> str:
    return "\n".join(lines)


def assert_story(text: str, headline: str, paragraphs: tuple[str, ...] = (LEAD, SECOND)) -> None:
    story = clean(text)
    assert (story.headline, story.paragraphs) == (headline, paragraphs)
    assert clean(story.text) == story


@pytest.mark.parametrize("sep", [" - ", " | ", " — ", " – "])
@pytest.mark.parametrize(
    ("site", "header"),
    [
        ("الجزيرة نت", []),  # a known site
        ("شبكة الخابور الإخبارية", []),  # named as a site by its words
        ("الخابور", ["الخابور"]),  # the site's name stands alone on the page
        ("الخابور", ["الخابور - محليات"]),  # …or as part of a header line
    ],
)
def test_a_site_name_glued_to_the_title_is_cut(sep: str, site: str, header: list[str]) -> None:
    assert_story(page(*header, f"{TITLE}{sep}{site}", "منذ 3 ساعات", LEAD, SECOND), TITLE)


def test_title_section_and_site_are_all_cut() -> None:
    menu = ["الرئيسية", "محليات", "اقتصاد", "رياضة"]
    assert_story(page(f"{TITLE} | اقتصاد | الخابور نت", *menu, LEAD, SECOND), TITLE)


def test_a_trailing_part_that_names_nothing_on_the_page_stays() -> None:
    title = "عودة القطار إلى العمل على خط دمشق - حلب"
    lead = (
        "عاد القطار إلى العمل على خط دمشق - حلب بعد توقف دام 12 عاما، وانطلقت أول رحلة صباح اليوم "
        "وعلى متنها 300 راكب."
    )
    # "حلب" stands on the page only as the place of a dateline, not as a name.
    assert_story(page(title, "حلب - سانا", lead, SECOND), title, (lead, SECOND))


def test_tickers_above_the_title_are_neither_headline_nor_read() -> None:
    header = ["الرئيسية", "شريط الأخبار", *TICKERS, "محليات"]
    assert_story(page(*header, TITLE, "كتب: سامر علي", LEAD, SECOND), TITLE)
    assert_story(page(*TICKERS, TITLE, LEAD, SECOND), TITLE)


def test_breaking_strips_and_date_lines_are_never_the_headline() -> None:
    text = page(
        "عاجل | وزير الخارجية يستقبل نظيره العماني في دمشق",
        "عاجل: انقطاع الكهرباء عن أحياء في حلب بسبب أعمال صيانة",
        "الأربعاء، 12 يونيو 2024 م، الساعة 10:15 م بتوقيت غزة | آخر تحديث: 11:20 م",
        "آخر تحديث: 15 أيلول 2017 بتوقيت دمشق",
        TITLE,
        LEAD,
        SECOND,
    )
    assert_story(text, TITLE)


def test_a_ticker_band_under_the_title_is_not_read() -> None:
    long_items = [
        "الاحتلال الإسرائيلي يعلن مقتل جنديين في اشتباكات مع مقاومين شمالي قطاع غزة صباح اليوم",
        "وزارة الخارجية القطرية تدعو إلى وقف فوري لإطلاق النار في السودان وحماية المدنيين هناك",
    ]
    assert_story(page(TITLE, "عاجل", *long_items, LEAD, SECOND), TITLE)
    assert_story(page(TITLE, "أخبار عاجلة", *long_items, LEAD, SECOND), TITLE)


def test_a_title_the_lead_shares_no_word_with_is_found_by_repetition_then_byline() -> None:
    quote = "«لن نترك أرضنا».. رسالة من الجزيرة السورية"
    assert_story(page(*TICKERS, quote, "الرئيسية", quote, LEAD, SECOND), quote)
    assert_story(page(*TICKERS, quote, "بقلم: سامر علي", LEAD, SECOND), quote)
    # No clue at all: the first line of three words or more, as before.
    assert_story(page(*TICKERS, quote, LEAD, SECOND), TICKERS[0])


def test_the_page_title_and_its_repeat_far_below_are_one_title() -> None:
    text = page(f"{TITLE} - الخابور", "الخابور", *TICKERS, *TICKERS, TITLE, "الحسكة - الخابور", LEAD, SECOND)
    assert_story(text, TITLE)


def test_a_full_paragraph_after_a_ticker_label_is_read_not_taken_for_an_item() -> None:
    lead = LEAD.removesuffix(".") + " في مختلف مناطق المحافظة"  # 25 words, no full stop
    assert_story(page(TITLE, "أخبار عاجلة", lead, SECOND), TITLE, (lead, SECOND))
    # Found by the idempotency property: the lead a headline is measured against must be read.
    text = (
        "قال قال قال\nقال قال قال قال قال قال قال قد يهمك استمع الي الخبر\nاخبار عاجله\n"
        + "قال " * 16
        + "10:30 شاهد الفيديو قد يعجبك ايضا 0:0\n"
        + "قال " * 17
        + "15/9/2017 التعليقات مغلقه التعليقات مغلقه خبر عاجل\n"
    )
    story = clean(text)
    assert clean(story.text) == story


BREAKING_FORMS = ["عاجل | ", "عاجل: ", "عاجل - ", "عاجل/ ", "[عاجل] ", "(عاجل) ", "عاجل.. ", "عاجل "]


@pytest.mark.parametrize("label", BREAKING_FORMS)
def test_breaking_lines_in_any_form_are_neither_headline_nor_read(label: str) -> None:
    ticker = "الاحتلال يعلن مقتل جنديين في اشتباكات مع مقاومين شمالي قطاع غزة صباح اليوم بعد معارك عنيفة"
    assert_story(page(f"{label}{ticker}", TITLE, f"{label}{ticker}", LEAD, SECOND), TITLE)


@pytest.mark.parametrize("tail", [" - فيديو", " | الثلاثاء 12 مارس 2024", " - رويترز", " — بالصور"])
def test_furniture_glued_to_the_title_is_cut(tail: str) -> None:
    assert_story(page(f"{TITLE}{tail}", LEAD, SECOND), TITLE)


@pytest.mark.parametrize("tail", [" - الجزء الثاني", " - قراءة في الأرقام"])
def test_a_part_of_the_title_itself_stays(tail: str) -> None:
    assert_story(page(f"{TITLE}{tail}", LEAD, SECOND), f"{TITLE}{tail}")


def test_short_wire_paragraphs_are_a_lead_too() -> None:
    title = "ارتفاع أسعار الذهب في السوق المحلية لليوم الثالث"
    body = (
        "ارتفع سعر غرام الذهب عيار 21 في السوق المحلية اليوم بمقدار 5 آلاف ليرة.",
        "وعزا تجار الارتفاع إلى صعود الأونصة عالميا وتراجع سعر الصرف.",
    )
    assert_story(page("الرئيسية", *TICKERS, title, *body), title, body)


def test_an_unlabelled_ticker_on_the_same_story_yields_to_the_title_above_the_byline() -> None:
    ticker = "حصاد القمح في الحسكة يبدأ اليوم"
    assert_story(page(ticker, "الرئيسية", TITLE, "الحسكة - سانا", LEAD, SECOND), TITLE)
    assert_story(page(ticker, TITLE, "منذ ساعتين", LEAD, SECOND), TITLE)
    assert_story(page(ticker, f"{TITLE} | الخابور", "اقتصاد", TITLE, LEAD, SECOND), TITLE)
