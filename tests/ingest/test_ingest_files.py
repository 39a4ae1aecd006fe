"""decode_text and extract_text on real bytes: encodings, HTML pages, Word files, bad input."""

from __future__ import annotations

import codecs
import io
import zipfile

import docx
import pytest

from producer.errors import InputError
from producer.ingest import clean, decode_text, extract_text

ARTICLE = "قصف مدفعي على ريف إدلب\nأصيب خمسة مدنيين بجروح في قصف استهدف بلدة سرمين اليوم."


@pytest.mark.parametrize(
    "data",
    [
        ARTICLE.encode("utf-8"),
        codecs.BOM_UTF8 + ARTICLE.encode("utf-8"),
        ARTICLE.encode("utf-16"),  # Python writes the BOM
        codecs.BOM_UTF16_BE + ARTICLE.encode("utf-16-be"),
        ARTICLE.encode("cp1256"),
        ARTICLE.replace("\n", "\r\n").encode("cp1256"),
    ],
    ids=["utf8", "utf8-bom", "utf16-le-bom", "utf16-be-bom", "cp1256", "cp1256-crlf"],
)
def test_decode_text(data: bytes) -> None:
    assert decode_text(data).splitlines() == ARTICLE.splitlines()


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        bytes(range(256)),
        b"PK\x03\x04\x14\x00\x06\x00" + bytes(40),
        b"plain text" + b"\x00\x01\x02",
        b"\xff\xfe" + b"\x00\xd8",  # a UTF-16 BOM followed by a lone surrogate
    ],
    ids=["png", "all-bytes", "zip", "nul-bytes", "broken-utf16"],
)
def test_decode_text_rejects_binary(data: bytes) -> None:
    with pytest.raises(InputError):
        decode_text(data)


def test_decode_text_rejects_non_arabic_legacy_bytes() -> None:
    # Not UTF-8, and as Windows-1256 it has no Arabic letters: nothing to read.
    with pytest.raises(InputError):
        decode_text(b"caf\xe9 cr\xe8me")


def test_txt_goes_through_decode_text() -> None:
    assert extract_text(ARTICLE.encode("cp1256"), "story.TXT") == ARTICLE


HTML = """<!DOCTYPE html>
<html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>عنوان | الموقع</title>
<style>p {color: red}</style><script>var x = "لا تقرأ";</script></head>
<body>
<nav><a href="/">الرئيسية</a> <a href="/news">أخبار</a></nav>
<article>
  <h1>ارتفاع أسعار الخبز
      في حلب</h1>
  <div class="share-buttons">شارك فيسبوك تويتر</div>
  <p>رفعت المخابز سعر الربطة <b>للمرة الثانية</b> خلال شهر.</p>
  <figure><img src="x.jpg"><figcaption>مخبز في حلب (أرشيف)</figcaption></figure>
  <p>وقال صاحب مخبز إن سعر الطحين ارتفع.<br>وأضاف أن الزبائن تراجعوا.</p>
  <!-- تعليق في الكود -->
  <ul class="tags"><li>حلب</li><li>الخبز</li></ul>
</article>
<aside>الأكثر قراءة</aside>
<footer>جميع الحقوق محفوظة</footer>
</body></html>"""


def test_extract_html_keeps_visible_text_and_paragraph_breaks() -> None:
    text = extract_text(HTML.encode("utf-8"), "page.html")
    assert text.split("\n\n") == [
        "ارتفاع أسعار الخبز في حلب",
        "رفعت المخابز سعر الربطة للمرة الثانية خلال شهر.",
        "وقال صاحب مخبز إن سعر الطحين ارتفع.",
        "وأضاف أن الزبائن تراجعوا.",
    ]


def test_extract_html_honours_declared_legacy_charset() -> None:
    page = HTML.replace('charset="utf-8"', 'charset="windows-1256"')
    text = extract_text(page.encode("cp1256"), "page.htm")
    assert text.startswith("ارتفاع أسعار الخبز في حلب\n\n")


def test_extract_html_without_charset_and_xml_declaration() -> None:
    page = '<?xml version="1.0" encoding="utf-8"?><html><body><p>خبر قصير عن الطقس اليوم.</p></body></html>'
    assert extract_text(page.encode("utf-8"), "a.html") == "خبر قصير عن الطقس اليوم."


def _docx_bytes() -> bytes:
    document = docx.Document()
    document.add_heading("ارتفاع أسعار الخبز في حلب", level=1)
    document.add_paragraph("رفعت المخابز سعر الربطة للمرة الثانية خلال شهر.")
    document.add_paragraph("")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "وقال صاحب مخبز إن سعر الطحين ارتفع."
    document.add_paragraph("وأضاف أن الزبائن تراجعوا.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_extract_docx_in_document_order() -> None:
    text = extract_text(_docx_bytes(), "story.docx")
    assert text.split("\n\n") == [
        "ارتفاع أسعار الخبز في حلب",
        "رفعت المخابز سعر الربطة للمرة الثانية خلال شهر.",
        "وقال صاحب مخبز إن سعر الطحين ارتفع.",
        "وأضاف أن الزبائن تراجعوا.",
    ]
    assert clean(text).headline == "ارتفاع أسعار الخبز في حلب"


def test_zip_bomb_docx_is_rejected_before_parsing() -> None:
    # 40 MB of zeros compress to a few tens of kilobytes: the declared size gives it away.
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(_docx_bytes())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for item in source.infolist():
            bomb.writestr(item, source.read(item))
        bomb.writestr("word/media/padding.bin", bytes(40 * 1024 * 1024))
    data = out.getvalue()
    assert len(data) < 200_000
    with pytest.raises(InputError, match="20 MB"):
        extract_text(data, "bomb.docx")


@pytest.mark.parametrize("data", [b"not a zip at all", b"PK\x05\x06" + bytes(18)], ids=["text", "empty-zip"])
def test_damaged_docx_is_rejected(data: bytes) -> None:
    with pytest.raises(InputError, match="docx"):
        extract_text(data, "broken.docx")


@pytest.mark.parametrize("filename", ["story.pdf", "story.doc", "story", "archive.tar.gz"])
def test_unknown_types_are_rejected_naming_the_allowed_ones(filename: str) -> None:
    with pytest.raises(InputError, match=r"\.txt, \.html, \.htm, \.docx"):
        extract_text(ARTICLE.encode("utf-8"), filename)


def test_extract_html_prefers_valid_utf8_over_a_stale_declared_charset() -> None:
    page = HTML.replace('charset="utf-8"', 'charset="windows-1256"')
    assert extract_text(page.encode("utf-8"), "page.html") == extract_text(HTML.encode("utf-8"), "page.html")


def test_extract_html_keeps_an_article_whose_wrapper_has_a_chrome_sounding_class() -> None:
    page = (
        '<html><body><div class="content has-sidebar"><h1>عنوان الخبر هنا</h1>'
        "<p>نص الخبر الطويل الذي يقرأ على الهواء.</p>"
        '<div class="share">شارك</div></div></body></html>'
    )
    assert extract_text(page.encode("utf-8"), "page.html") == (
        "عنوان الخبر هنا\n\nنص الخبر الطويل الذي يقرأ على الهواء."
    )
