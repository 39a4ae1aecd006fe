"""The station's words in the database: its pronunciation lexicon (a row per entry) and its script
templates (a row per template), each kind with a version that every change to it bumps.

They are read as data: a Lexicon built from the rows, the templates through Jinja's DictLoader
(producer.bulletin). Each process keeps what it built and rebuilds it once the version moved, so
a change made by any web server or by the CLI is used by every server and worker on its next
build, without a restart and without a file on any machine. Until the station's lexicon is first
written it is the shipped one (producer/arabic/default_lexicon.tsv), which stays a package file.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Integer, String, Text, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from producer.arabic.lexicon import MAX_PATTERN, MAX_REPLACEMENT, Lexicon, LexiconEntry, parse_lexicon
from producer.bulletin import TEMPLATE_NAMES
from producer.errors import InputError
from producer.store.db import Base, Database, UTCDateTime, utcnow


class Words(StrEnum):
    LEXICON = "lexicon"
    TEMPLATES = "templates"


class LexiconRow(Base):
    """One entry of the station's lexicon; `position` keeps the order `re:` patterns run in."""

    __tablename__ = "lexicon_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pattern: Mapped[str] = mapped_column(String(MAX_PATTERN), unique=True)
    replacement: Mapped[str] = mapped_column(String(MAX_REPLACEMENT))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")  # the comments above it
    position: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TemplateRow(Base):
    """A station template that differs from the shipped one of the same name."""

    __tablename__ = "station_templates"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WordsVersion(Base):
    """How many times the lexicon or the templates changed; no lexicon row = the shipped lexicon."""

    __tablename__ = "words_versions"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _bump(s: Session, words: Words) -> int:
    """The kind's next version, in the caller's transaction. On PostgreSQL the upsert locks the
    kind's row until commit, so writers of the same words take turns (and only they)."""
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(WordsVersion).values(name=words.value, version=1, updated=utcnow())
    upsert = statement.on_conflict_do_update(
        index_elements=[WordsVersion.name],
        set_={"version": WordsVersion.version + 1, "updated": statement.excluded.updated},
    )
    return int(s.scalar(upsert.returning(WordsVersion.version)) or 0)


def versions(s: Session) -> dict[str, int]:
    return {name: version for name, version in s.execute(select(WordsVersion.name, WordsVersion.version))}


# ---- the lexicon ---------------------------------------------------------------------------------


def lexicon_rows(s: Session) -> Sequence[LexiconRow]:
    return s.scalars(select(LexiconRow).order_by(LexiconRow.position, LexiconRow.id)).all()


def lexicon_entries(s: Session) -> list[LexiconEntry] | None:
    """The station's entries in order; None while it has none of its own (the shipped lexicon)."""
    if Words.LEXICON not in versions(s):
        return None
    return [_entry(row) for row in lexicon_rows(s)]


def station_lexicon(s: Session) -> Lexicon:
    entries = lexicon_entries(s)
    return Lexicon.default() if entries is None else Lexicon(entries)


def _current(s: Session) -> tuple[Lexicon, dict[str, LexiconRow]]:
    """The lexicon as stored (bumped first, so on PostgreSQL no other writer changes it meanwhile)."""
    first = _bump(s, Words.LEXICON) == 1
    rows = {row.pattern: row for row in lexicon_rows(s)}
    if first and not rows:
        return Lexicon.default(), rows
    return Lexicon(_entry(row) for row in rows.values()), rows


def _entry(row: LexiconRow) -> LexiconEntry:
    return LexiconEntry(row.pattern, row.replacement, row.note)


def _write(s: Session, lexicon: Lexicon, rows: dict[str, LexiconRow], who: str) -> None:
    """Make the rows `lexicon`'s entries in its order, keeping who wrote each unchanged one."""
    now = utcnow()
    wanted = {entry.pattern for entry in lexicon.entries()}
    gone = [pattern for pattern in rows if pattern not in wanted]
    if gone:
        s.execute(delete(LexiconRow).where(LexiconRow.pattern.in_(gone)))
    for position, entry in enumerate(lexicon.entries()):
        row = rows.get(entry.pattern)
        if row is None:
            s.add(
                LexiconRow(
                    pattern=entry.pattern,
                    replacement=entry.replacement,
                    note=entry.note,
                    position=position,
                    created_by=who,
                    created=now,
                    updated_by=who,
                    updated=now,
                )
            )
            continue
        row.position = position
        if (row.replacement, row.note) != (entry.replacement, entry.note):
            row.replacement, row.note, row.updated_by, row.updated = entry.replacement, entry.note, who, now


def add_lexicon_entries(s: Session, entries: Iterable[LexiconEntry], who: str) -> int:
    """Add the entries, each replacing the one with the same pattern; checked as one lexicon (the
    entry and size bounds of producer.arabic.lexicon) before anything is written. How many."""
    lexicon, rows = _current(s)
    count = 0
    for entry in entries:
        lexicon.add(entry.pattern, entry.replacement, entry.note)
        count += 1
    _write(s, lexicon, rows, who)
    return count


def remove_lexicon_entry(s: Session, pattern: str, who: str) -> None:
    """Remove the entry; an InputError (and nothing written) when there is none."""
    lexicon, rows = _current(s)
    if not lexicon.remove(pattern):
        raise InputError(f"the lexicon has no entry {pattern!r}.")
    _write(s, lexicon, rows, who)


def replace_lexicon(s: Session, entries: Iterable[LexiconEntry], who: str) -> int:
    """Make the station's lexicon exactly `entries` (the settings page's text, an import)."""
    lexicon = Lexicon(entries)
    _bump(s, Words.LEXICON)
    _write(s, lexicon, {row.pattern: row for row in lexicon_rows(s)}, who)
    return len(lexicon)


@dataclass(frozen=True)
class Adopted:
    """What became of a lexicon file of an earlier release at start."""

    path: Path
    entries: int | None  # None: not imported, the database already held the station's lexicon

    def message(self) -> str:
        if self.entries is None:
            return (
                f"{self.path} is not read: the station's lexicon lives in the database "
                "(`producer lexicon import` merges a file into it)"
            )
        return (
            f"imported {self.entries} lexicon entries from {self.path} into the database, which "
            "holds the station's lexicon from now on; the file is left in place and no longer read"
        )


def adopt_lexicon_file(database: Database, path: Path) -> Adopted | None:
    """Import the lexicon file of an earlier release once, when the database has no lexicon of its
    own yet; None when there is no such file. Idempotent: once imported the rows are the truth."""
    if not path.is_file():
        return None
    with database.read() as s:
        if Words.LEXICON in versions(s):
            return Adopted(path, None)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the lexicon {path} to import it: {exc}.") from exc
    entries = parse_lexicon(text, source=str(path))
    with database.write() as s:
        if _bump(s, Words.LEXICON) != 1:  # another process imported or wrote it meanwhile
            return Adopted(path, None)
        lexicon = Lexicon(entries)
        _write(s, lexicon, {}, f"import:{path.name}"[:64])
    return Adopted(path, len(lexicon))


# ---- the templates -------------------------------------------------------------------------------


def station_templates(s: Session) -> dict[str, str]:
    """Template name → the station's Jinja text, for those that differ from the shipped ones."""
    return {row.name: row.text for row in s.scalars(select(TemplateRow).order_by(TemplateRow.name))}


def set_templates(s: Session, texts: Mapping[str, str], who: str) -> None:
    """Store the station's templates: `texts` (already checked), the others back to the shipped."""
    unknown = set(texts) - set(TEMPLATE_NAMES)
    if unknown:
        raise InputError(f"no template named {sorted(unknown)[0]!r}; they are {', '.join(TEMPLATE_NAMES)}.")
    _bump(s, Words.TEMPLATES)
    rows = {row.name: row for row in s.scalars(select(TemplateRow))}
    for name in set(rows) - set(texts):
        s.delete(rows[name])
    now = utcnow()
    for name, text in texts.items():
        row = rows.get(name)
        if row is None:
            s.add(TemplateRow(name=name, text=text, updated_by=who, updated=now))
        elif row.text != text:
            row.text, row.updated_by, row.updated = text, who, now


# ---- what each process builds from them -----------------------------------------------------------


@dataclass(frozen=True)
class StationWords:
    """The station's lexicon and templates as of `versions`, ready to use (a Lexicon is compiled on
    its first use and kept with it)."""

    versions: Mapping[str, int]
    lexicon: Lexicon
    templates: Mapping[str, str]


class _Built:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.words: StationWords | None = None


_BUILT: weakref.WeakKeyDictionary[Database, _Built] = weakref.WeakKeyDictionary()
_BUILT_LOCK = threading.Lock()


def station_words(database: Database) -> StationWords:
    """The station's words, rebuilt only when another process (or this one) changed them: one
    small query per call while nothing changed."""
    with _BUILT_LOCK:
        built = _BUILT.setdefault(database, _Built())
    with built.lock, database.read() as s:
        found = versions(s)
        old = built.words
        if old is not None and old.versions == found:
            return old

        def same(kind: Words) -> bool:
            return old is not None and old.versions.get(kind) == found.get(kind)

        # Read after the versions: rows at least as new as what is recorded, so a change that
        # lands in between is rebuilt on the next call, never missed. Each kind is rebuilt only
        # when it changed (a long lexicon takes a while to check and compile).
        built.words = StationWords(
            found,
            old.lexicon if old is not None and same(Words.LEXICON) else station_lexicon(s),
            old.templates if old is not None and same(Words.TEMPLATES) else station_templates(s),
        )
        return built.words
