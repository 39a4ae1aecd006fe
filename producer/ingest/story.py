"""From pasted lines to a Story: find the headline, keep the body, stop at the page footer.

Choices a newsreader would make, applied as rules rather than per-site recipes:
- The headline is the line the body is about, not merely the first on the page: tickers, most-read
  lists and site or section names stand above it too. Of the text lines above the lead (the first
  full paragraph, or prose sentence closed by a full stop) the candidates are those whose content
  words the lead largely shares (headline.py), or all when it shares none; of them a title the page
  prints twice wins, then the line right above a byline or date stamp, then the first. "عاجل"
  strips, date and "آخر تحديث" lines are never candidates. The page title ("… - الجزيرة نت") and the
  headline above the body are one title: the body starts after the last copy, and a site or section
  name, date or media label glued to its end is cut. Without a lead: the first line repeated within
  the next few lines, else the first line of three words or more; a paste that starts with a
  paragraph: its first sentence.
- In-body subheadings, photo captions and related-link titles are short lines without sentence
  punctuation. They are written for the eye, so they are left out of what is read: a body line is
  kept when it ends a sentence (. ! ؟ : …) or is long enough to be prose (12 words or more).
- Tags, comment forms, "follow us", related-article blocks and copyright notices end the article:
  nothing after them is read; such a block above the body ("الأكثر قراءة") is a list of links.
  Related-link lists inside the body ("اقرأ أيضا" and the titles under it), bylines, datelines, date
  stamps, share widgets, captions, counters, menus (4+ short lines in a row), breadcrumbs, cookie
  banners and "عاجل" tickers (a label's rotating items too) are dropped wherever they stand.
- A site name or dateline glued to the first paragraph ("المدينة نيوز :- …", "دمشق - سانا: …",
  "شفق نيوز/ …") is cut off; a paragraph the page prints twice is read once.
- Quotes become «…» (see chars.py): paired, unambiguous for editors, silent for the engine. Words,
  digits and spelling stay exactly as written.
- Every rule is applied to text already repaired the way a second cleaning would see it, so
  cleaning the output again changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from difflib import SequenceMatcher

from producer.errors import InputError
from producer.ingest import chars, headline
from producer.ingest.lines import ARABIC_LETTER, Kind, Line, classify
from producer.ingest.vocab import AGENCIES, LIST_ITEMS, key
from producer.models import Story

PROSE_WORDS = 12  # a line this long is prose even without final punctuation
HEADLINE_MIN_WORDS = 3
HEADLINE_SCAN = 15  # how many text lines may precede the headline
DUPLICATE_WINDOW = 5  # how far below the headline its repetition may stand
MENU_RUN = 4  # this many short lines in a row are a navigation menu
HEADER_SCAN = 30  # how many text lines above the lead paragraph are weighed as the headline
STAMP_REACH = 3  # a byline or date stamp stands within this many lines under the headline

# Layout cells copied from a page arrive separated by tabs or long runs of spaces.
_CELL_BREAK = re.compile(r"\t|[ \u00a0\u2000-\u200a\u202f\u3000]{4,}")
_SENTENCE_BREAK = re.compile(r"[.!?؟…]+")
_SLASH_PREFIX = re.compile(r"([^/\n.،:]{2,40}?)\s*/\s+")


def _site_prefix_patterns() -> tuple[re.Pattern[str], ...]:
    names = sorted(
        (a for a in AGENCIES if a not in {"خاص", "متابعات"}),
        key=len,
        reverse=True,
    )
    alternatives = "|".join(r"\s*".join(re.escape(part) for part in a.split()) for a in names)
    word = r"[^\s.،؛!?؟:()\[\]\-–—/«»\"“”]+"
    return (
        # "المدينة نيوز :- …" — the ":-" pair marks a site or dateline prefix by itself.
        re.compile(r"^[^.،؛!?؟:\n]{1,40}?\s*:\s*-+\s*"),
        # "دمشق - سانا: …", "بيروت (رويترز) - …", "القاهرة- الأناضول: …"
        re.compile(
            rf"^(?:{word}(?:\s+{word}){{0,2}})?\s*[-–—/]?\s*[(\[«\"“”]?\s*(?:{alternatives})\s*[)\]»\"“”]?"
            r"\s*(?::\s*-|:|-|–|—)\s*"
        ),
        # "عمون - …", "القدس المحتلة - …": one or two words then a dash open a dateline, never a sentence.
        re.compile(rf"^{word}(?:\s+{word})?\s*[-–—]\s+"),
        # "خاص - …", "متابعات: …"
        re.compile(r"^(?:خاص|متابعات)\s*[-–—:|]\s*"),
    )


_SITE_PREFIXES = _site_prefix_patterns()


def _split_lines(text: str) -> Iterator[str]:
    for raw in text.splitlines():
        yield from _CELL_BREAK.split(raw)


def _prepare(text: str) -> list[Line]:
    lines = []
    for raw in _split_lines(text):
        line = chars.squeeze(chars.strip_links(chars.normalize_chars(raw)))
        if not line:
            continue
        # Furniture is judged on the line as pasted (a breadcrumb's "»" is no quote); text is judged
        # once quotes and punctuation are repaired, as a second cleaning would see it.
        judged = classify(line)
        if judged.kind is not Kind.DROP:
            finished = _finish(line)
            judged = judged if finished == line else classify(finished)
        lines.append(judged)
    return lines


def _menu_lines(lines: list[Line]) -> set[int]:
    """Indexes of short text lines in runs of MENU_RUN or more (other furniture may interleave)."""
    menu: set[int] = set()
    run: list[int] = []
    for i, line in enumerate([*lines, Line("", "", 99, Kind.TEXT)]):
        if line.kind in (Kind.DROP, Kind.BREAKING):
            continue
        if line.kind is Kind.TEXT and line.short:
            run.append(i)
            continue
        if len(run) >= MENU_RUN:
            menu.update(run)
        run = []
    return menu


def _same(a: Line, b: Line) -> bool:
    """Equal after folding, one plus a short site suffix, or ≥ 90 % of words aligned."""
    ka, kb = a.key, b.key
    if ka == kb:
        return bool(ka)
    short, long_ = sorted((ka, kb), key=len)
    if len(short.split()) >= 3 and (long_.startswith(short) or long_.endswith(short)):
        return len(long_.split()) - len(short.split()) <= 4
    wa, wb = ka.split(), kb.split()
    # Word sets first (linear): only lines sharing most of their words go to the aligner.
    common = len(set(wa) & set(wb))
    if common < 0.85 * max(len(set(wa)), len(set(wb))) or max(len(wa), len(wb)) > 80:
        return False
    return SequenceMatcher(None, wa, wb, autojunk=False).ratio() >= 0.9


def _body_like(line: Line) -> bool:
    """A paragraph, not a headline: headlines rarely pass 24 words, or 17 with a full stop."""
    return line.words >= 25 or (line.words >= 18 and line.sentence)


def _is_lead(line: Line) -> bool:
    """A paragraph the body opens with (a full one, or a short wire paragraph: a prose sentence
    closed by a full stop), still one once a glued site name or dateline is cut from it."""

    def opens_body(line: Line) -> bool:
        return _body_like(line) or (line.words >= PROSE_WORDS and line.text.rstrip().endswith("."))

    return opens_body(line) and opens_body(classify(_first_paragraph(line.text)))


def _find_headline(lines: list[Line], candidates: list[int]) -> tuple[int, Line]:
    """(index of the last line before the body, headline)."""
    lead = next((i for i in candidates if _is_lead(lines[i])), None)
    above = [i for i in candidates if lead is None or i < lead][-HEADER_SCAN:]
    names = headline.page_names(lines)
    if lead is not None and any(lines[i].words >= HEADLINE_MIN_WORDS for i in above):
        return _headline_above(lines, above, lead, names)
    repeated = _repeated_title(lines, candidates)
    if repeated is not None:
        return repeated, _title(lines[repeated], names)
    # Section labels ("العالم العربي") stand above the headline; a headline has three words or more.
    first = next((i for i in candidates if lines[i].words >= HEADLINE_MIN_WORDS), candidates[0])
    if not _body_like(lines[first]):
        return first, _title(lines[first], names)
    # A channel post opens with "عاجل | headline" and goes straight into the text.
    breaking = [i for i in range(first) if lines[i].kind is Kind.BREAKING]
    if breaking:
        return breaking[-1], lines[breaking[-1]]
    # The paste starts with a paragraph: its first sentence is the headline, the paragraph stays.
    paragraph = _first_paragraph(lines[first].text)
    m = _SENTENCE_BREAK.search(paragraph)
    probe = classify(_finish(paragraph[: m.end()] if m else paragraph))
    if probe.kind is Kind.TEXT and probe.words >= HEADLINE_MIN_WORDS and not _body_like(probe):
        return first - 1, probe
    return first, lines[first]


def _headline_above(
    lines: list[Line], above: list[int], lead: int, names: dict[str, set[str]]
) -> tuple[int, Line]:
    """The headline among the text lines above the lead paragraph.

    Tickers, most-read lists, site and section names stand there too, so the place on the page is
    asked last. Among the lines the lead is about (or all, when it is about none): a title the page
    prints twice, then the line right above a byline or date stamp, then the first.
    """
    lead_text = _first_paragraph(lines[lead].text)
    titles = {i: _title(lines[i], names) for i in above if lines[i].words >= HEADLINE_MIN_WORDS}
    order = list(titles)
    # Measured on text as the body would keep it, so a second cleaning measures the same.
    pool = [i for i in order if headline.about(_first_paragraph(titles[i].text), lead_text)] or order
    chosen = next((i for i in pool if any(_same(titles[i], titles[j]) for j in order if j != i)), None)
    if chosen is None:
        chosen = _right_above_stamp(lines, pool, lead)
    if chosen is None:
        chosen = pool[0]
    # The page title and the headline above the body are one title: the body starts after the last
    # copy, and the copy without a site name is read.
    copies = [j for j in order if j >= chosen and _same(titles[chosen], titles[j])]
    return copies[-1], min((titles[j] for j in copies), key=lambda t: t.words)


def _right_above_stamp(lines: list[Line], titles: list[int], lead: int) -> int | None:
    """The title nearest above the first byline, dateline or date stamp that has one close above it."""
    for s in range(titles[0] + 1, lead):
        if lines[s].stamp:
            near = [i for i in titles if s - STAMP_REACH <= i < s]
            if near:
                return near[-1]
    return None


def _repeated_title(lines: list[Line], candidates: list[int]) -> int | None:
    """The first line the page repeats within the next few lines (the page title, then the headline)."""
    for n, i in enumerate(candidates[:HEADLINE_SCAN]):
        if _body_like(lines[i]):
            break
        if lines[i].words < HEADLINE_MIN_WORDS:
            continue
        for j in candidates[n + 1 : n + 1 + DUPLICATE_WINDOW]:
            if _body_like(lines[j]):
                break  # a repeat after the body started is a subheading, not the page title
            if _same(lines[i], lines[j]):
                return i
    return None


def _title(line: Line, names: dict[str, set[str]]) -> Line:
    """The line without a site or section name glued to its end."""
    text = headline.without_site_name(line.text, names, HEADLINE_MIN_WORDS)
    return line if text == line.text else classify(text)


def _strip_site_prefix(text: str) -> str:
    for _ in range(4):
        for pattern in _SITE_PREFIXES:
            m = pattern.match(text)
            if m and m.end() < len(text) and ARABIC_LETTER.search(text, m.end()):
                text = text[m.end() :]
                break
        else:
            # "شفق نيوز/ …": a slash after a site's name, known or named as a site by its words.
            m = _SLASH_PREFIX.match(text)
            if m and headline.names_site(key(m.group(1))) and ARABIC_LETTER.search(text, m.end()):
                text = text[m.end() :]
                continue
            return text
    return text


def _first_paragraph(text: str) -> str:
    """The first paragraph loses a glued site name or dateline; repeated until nothing changes."""
    for _ in range(4):
        done = chars.squeeze(_strip_site_prefix(_finish(text)))
        if done == text:
            break
        text = done
    return text


def _finish(text: str) -> str:
    """Quotes and punctuation; dropping a stray quote can expose a link or hashtag, hence the loop."""
    for _ in range(4):
        done = chars.squeeze(chars.strip_links(chars.fix_punctuation(chars.normalize_quotes(text))))
        if done == text:
            break
        text = done
    return text


def _body(lines: Iterable[Line], headline: Line, menu_free: Iterable[bool]) -> list[str]:
    paragraphs: list[str] = []
    seen: set[str] = set()
    recent: list[Line] = []
    links = 0  # link lines still owed to the last related-links label
    for line, usable in zip(lines, menu_free, strict=True):
        if line.kind is Kind.TERMINAL:
            if paragraphs:
                break
            links = LIST_ITEMS  # a most-read or related block above the body: its titles are links
            continue
        if line.kind is Kind.LIST:
            links = line.items
            continue
        if line.kind in (Kind.DROP, Kind.BREAKING) or not usable or _same(line, headline):
            continue
        if links:
            links -= 1
            if not _body_like(line) and not (line.sentence and line.text.rstrip()[-1] in ".:؛"):
                continue  # a related-article title
            links = 0
        kept = line if paragraphs else classify(_first_paragraph(line.text))
        if kept.kind is not Kind.TEXT or _same(kept, headline):
            continue
        if not (kept.sentence or kept.words >= PROSE_WORDS):
            continue  # subheading, caption or stray label: not read aloud
        k = kept.key
        if k in seen or any(_same(kept, before) for before in recent[-DUPLICATE_WINDOW:]):
            continue  # a lead or summary the page prints twice
        seen.add(k)
        recent.append(kept)
        paragraphs.append(kept.text)
    return paragraphs


def clean(text: str) -> Story:
    """Pasted page text → the story a newsreader reads: headline and body paragraphs."""
    if not text.strip():
        raise InputError("the text is empty")
    if not ARABIC_LETTER.search(text):
        raise InputError("the text has no Arabic letters")
    lines = _prepare(text)
    menu = _menu_lines(lines)
    candidates = [i for i, line in enumerate(lines) if line.kind is Kind.TEXT and i not in menu]
    if not candidates:
        raise InputError("no article text was found in the pasted page")
    start, headline = _find_headline(lines, candidates)
    rest = range(start + 1, len(lines))
    paragraphs = _body((lines[i] for i in rest), headline, (i not in menu for i in rest))
    if not paragraphs:
        raise InputError("the pasted page has a headline but no article text")
    return Story(headline=headline.text, paragraphs=tuple(paragraphs))
