"""decode_text and extract_text on real bytes: encodings, HTML pages, Word files, bad input."""

from __future__ import annotations

import codecs
import io
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

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


def lying_bomb(inflated: int, claimed: int = 4096) -> bytes:
    """A .docx whose document.xml claims `claimed` bytes but inflates to `inflated` (sizes patched
    in the local header and the central directory after writing)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(_docx_bytes())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for item in source.infolist():
            if item.filename != "word/document.xml":
                bomb.writestr(item, source.read(item))
        with bomb.open("word/document.xml", "w") as member:
            chunk = b"<" + b"a" * (2**20 - 1)
            for _ in range(inflated // 2**20):
                member.write(chunk)
    data = bytearray(out.getvalue())
    local = data.rindex(b"PK\x03\x04", 0, data.index(b"word/document.xml"))
    struct.pack_into("<I", data, local + 22, claimed)
    central = data.rindex(b"PK\x01\x02", 0, data.rindex(b"word/document.xml"))
    struct.pack_into("<I", data, central + 24, claimed)
    return bytes(data)


# Run in a fresh interpreter, so the peak resident size measured is this upload's alone.
_MEASURE = """
import resource, sys
from producer.errors import InputError
from producer.ingest import extract_text
data = open(sys.argv[1], "rb").read()
name = sys.argv[2]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    extract_text(data, name)
    outcome = "accepted"
except InputError as exc:
    outcome = str(exc)
after = resource.getrusage(resource.RUSAGE_SELF)
print(after.ru_maxrss - before, after.ru_utime + after.ru_stime, outcome, sep="\\t")
"""


def measured(tmp_path: Path, data: bytes, name: str) -> tuple[float, float, str]:
    """(peak RSS growth in MB, CPU seconds, the error or "accepted") of extracting one file."""
    path = tmp_path / name
    path.write_bytes(data)
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path), name], capture_output=True, text=True, check=True
    )
    grown, cpu, outcome = done.stdout.strip().split("\t", 2)
    return int(grown) / 1024, float(cpu), outcome


def test_a_zip_bomb_lying_about_its_size_is_inflated_under_a_hard_cap(tmp_path: Path) -> None:
    data = lying_bomb(512 * 2**20)
    assert len(data) < 2 * 2**20
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.getinfo("word/document.xml").file_size == 4096  # the lie
    grown, _cpu, outcome = measured(tmp_path, data, "bomb.docx")
    assert "docx" in outcome
    assert grown < 100, f"extracting the bomb grew the process by {grown:.0f} MB"


def test_a_docx_inflating_past_the_cap_with_honest_small_parts_is_refused(tmp_path: Path) -> None:
    data = lying_bomb(64 * 2**20, claimed=64 * 2**20 - 1)
    grown, _cpu, outcome = measured(tmp_path, data, "bomb.docx")
    assert "20 MB" in outcome
    assert grown < 100


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        ("<div>نص " * 5000, "nested too deeply"),
        ("<span class='tags'>نص " * 300, "nested too deeply"),
        ("<p>نص</p>" * 250_000, "too many elements"),
        ("<p>" + "نص " * 1_200_000 + "</p>", "over 5 MB"),
    ],
    ids=["deep divs", "deep spans", "many elements", "6 MB"],
)
def test_hostile_html_is_refused_cheaply(tmp_path: Path, page: str, reason: str) -> None:
    grown, cpu, outcome = measured(tmp_path, page.encode(), "page.html")
    assert reason in outcome
    assert grown < 200 and cpu < 10, (grown, cpu)
