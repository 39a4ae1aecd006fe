"""Bytes from an upload, a file or stdin → text: encodings, HTML pages and Word documents."""

from __future__ import annotations

import codecs
import io
import re
import zipfile
import zlib
from pathlib import PurePath

from producer.errors import InputError
from producer.ingest.lines import ARABIC_LETTER

MAX_DOCX_UNPACKED = 20 * 1024 * 1024  # bytes a .docx may expand to, counted as they are inflated
MAX_DOCX_MEMBERS = 2000
_INFLATE_CHUNK = 64 * 1024
# A saved news page is a few hundred KB; libxml2 also stops at 256 levels unless told otherwise
# (huge_tree), and a page that deep is refused rather than read in part.
MAX_HTML_BYTES = 5 * 1024 * 1024
MAX_HTML_ELEMENTS = 200_000
ALLOWED = (".txt", ".html", ".htm", ".docx")

# C0 controls other than tab, newlines and form feed do not occur in text someone pasted.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")


def _reject_binary(text: str) -> str:
    if _CONTROL.search(text):
        raise InputError("the file is not text (binary data)")
    return text


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16/32 with BOM, or Windows-1256 → str."""
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return _reject_binary(data.decode(codec))
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"the file starts with a {codec} mark but is not valid {codec} text"
                ) from exc
    if b"\x00" in data:
        raise InputError("the file is not text (binary data)")
    try:
        return _reject_binary(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1256")
    except UnicodeDecodeError as exc:
        raise InputError("the file is neither UTF-8 nor Windows-1256 text") from exc
    if not ARABIC_LETTER.search(text):
        raise InputError("the file is neither UTF-8 nor Windows-1256 Arabic text")
    return _reject_binary(text)


# --- HTML -------------------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# Elements that never hold the article: scripts, page chrome, forms, captions.
_DROPPED_TAGS = (
    "head",
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "footer",
    "aside",
    "form",
    "button",
    "select",
    "textarea",
    "label",
    "iframe",
    "svg",
    "canvas",
    "figcaption",
    "object",
    "embed",
)
# class/id words that name page chrome on most CMSs.
_CHROME = re.compile(
    r"(?:^|[\s_-])(?:share|sharing|social|related|comments?|tags?|breadcrumbs?|newsletter|cookies?|"
    r"advert|ads|sidebar|menu|navbar|subscribe)(?:$|[\s_-])",
    re.I,
)
_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")


def _decode_html(data: bytes) -> str:
    """Valid UTF-8 wins (pages often declare a charset they no longer use), then the declared one."""
    m = _META_CHARSET.search(data[:4096])
    if m is None or b"\x00" in data:
        return decode_text(data)
    try:
        return _reject_binary(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    name = m.group(1).decode("ascii").lower()
    try:
        return _reject_binary(data.decode(name))
    except LookupError:
        return decode_text(data)
    except UnicodeDecodeError as exc:
        raise InputError(f"the page says it is {name} but is not valid {name} text") from exc


def _html_text(data: bytes) -> str:
    import lxml.etree
    import lxml.html

    if len(data) > MAX_HTML_BYTES:
        raise InputError(f"the HTML page is over {MAX_HTML_BYTES // 2**20} MB; save only the article")
    markup = _XML_DECLARATION.sub("", _decode_html(data))
    if not markup.strip():
        return ""
    parser = lxml.html.HTMLParser(huge_tree=False, no_network=True)
    try:
        root = lxml.html.document_fromstring(markup, parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise InputError("the HTML page cannot be read") from exc
    if any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
        raise InputError("the HTML page is nested too deeply to be a news article")
    if sum(1 for _ in root.iter()) > MAX_HTML_ELEMENTS:
        raise InputError("the HTML page has too many elements to be a news article")
    doomed = [el for el in root.iter(lxml.etree.Comment, lxml.etree.ProcessingInstruction)]
    for el in root.iter(*_DROPPED_TAGS):
        doomed.append(el)
    page_length = len(root.text_content())
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.get("hidden") is not None or el.get("aria-hidden") == "true" or el.get("role") == "navigation":
            doomed.append(el)
            continue
        marks = f"{el.get('class', '')} {el.get('id', '')}"
        # A chrome-sounding class ("has-sidebar") may sit on the article's wrapper: such a box is
        # dropped only when it holds a small part of the page's text.
        if _CHROME.search(marks) and len(el.text_content()) * 4 <= page_length:
            doomed.append(el)
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()

    parts: list[str] = []
    for event, el in lxml.etree.iterwalk(root, events=("start", "end")):
        block = el.tag in _BLOCK_TAGS
        if event == "start":
            if block:
                parts.append("\n")
            if el.text:
                parts.append(_HTML_SPACE.sub(" ", el.text))
        else:
            if block:
                parts.append("\n")
            if el.tail and el is not root:
                parts.append(_HTML_SPACE.sub(" ", el.tail))
    lines = (line.strip() for line in "".join(parts).split("\n"))
    return "\n\n".join(line for line in lines if line)


# --- DOCX -------------------------------------------------------------------------------------------


def _unpacked(data: bytes) -> bytes:
    """The .docx re-packed uncompressed from members inflated piece by piece under a hard cap.

    The sizes a zip declares may lie, and zipfile inflates a whole member in one call when asked
    for all of it (a 1 MB entry claiming 4 KB became 1 GB in memory): so every member is read in
    small pieces, counting the bytes actually produced, and python-docx only sees the copy.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise InputError("the .docx file is damaged or not a Word document") from exc
    out = io.BytesIO()
    produced = 0
    too_big = InputError(f"the .docx file expands to more than {MAX_DOCX_UNPACKED // 2**20} MB")
    with archive, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
        members = archive.infolist()
        if len(members) > MAX_DOCX_MEMBERS:
            raise InputError("the .docx file has too many parts to be a Word document")
        if sum(m.file_size for m in members) > MAX_DOCX_UNPACKED:
            raise too_big
        for member in members:
            if member.is_dir():
                continue
            pieces = []
            try:
                with archive.open(member) as stream:
                    while piece := stream.read(_INFLATE_CHUNK):
                        produced += len(piece)
                        if produced > MAX_DOCX_UNPACKED:
                            raise too_big
                        pieces.append(piece)
            except (
                zipfile.BadZipFile,
                zipfile.LargeZipFile,
                zlib.error,
                NotImplementedError,
                OSError,
                EOFError,
            ) as exc:
                # A member longer or shorter than declared fails its CRC check here.
                raise InputError("the .docx file is damaged or not a Word document") from exc
            copy.writestr(member.filename, b"".join(pieces))
    return out.getvalue()


def _docx_text(data: bytes) -> str:
    import docx
    from docx.table import Table

    unpacked = _unpacked(data)
    try:
        document = docx.Document(io.BytesIO(unpacked))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors … on bad parts
        raise InputError("the .docx file is damaged or not a Word document") from exc
    paragraphs: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            seen: set[int] = set()
            for row in block.rows:
                for cell in row.cells:
                    if id(cell._tc) not in seen:  # merged cells repeat the same element
                        seen.add(id(cell._tc))
                        paragraphs.extend(p.text for p in cell.paragraphs)
        else:
            paragraphs.append(block.text)
    return "\n\n".join(p.strip() for p in paragraphs if p.strip())


def extract_text(data: bytes, filename: str) -> str:
    """The readable text of an uploaded .txt, .html/.htm or .docx file."""
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".txt":
        return decode_text(data)
    if suffix in (".html", ".htm"):
        return _html_text(data)
    if suffix == ".docx":
        return _docx_text(data)
    shown = suffix or "without an extension"
    raise InputError(f"files {shown} are not supported; use {', '.join(ALLOWED)}")
