"""The station's words from the CLI: `producer lexicon list/add/remove/import/export` (added to
`producer`), and the lexicon and templates `speakable`, `script` and `build` read. They live in the
database the web service uses (producer.store.words), never in a file of this machine."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from producer.errors import ProducerError
from producer.settings import DATABASE_FILE, Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from producer.arabic.lexicon import Lexicon
    from producer.store.db import Database
    from producer.store.words import StationWords

# Who the lexicon's rows and the audit log name for changes made with the CLI.
CLI_USER = "cli"


@contextmanager
def station_store(conf: Settings) -> Iterator[Database]:
    """The database the station's lexicon and templates live in (the web service's too); a
    failure to reach or use it is one line, like any other error of the CLI."""
    from sqlalchemy.exc import SQLAlchemyError

    from producer.cli_web import station_database

    try:
        database = station_database(conf)
        try:
            yield database
        finally:
            database.dispose()
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise ProducerError(f"cannot use the station's database: {reason}") from exc


@dataclass(frozen=True)
class ShippedWords:
    """The words of a station that has no database yet: the shipped lexicon, no templates."""

    lexicon: Lexicon
    templates: Mapping[str, str]


def station_words(conf: Settings) -> StationWords | ShippedWords:
    """The station's lexicon and templates, as they are now in the database.

    Without a database yet (SQLite, no file) and no earlier release's lexicon file to import, the
    shipped words, without creating the database: opening and migrating one costs a first build
    ~0.5 s of CPU before anything can be voiced.
    """
    database_file = conf.data_dir / DATABASE_FILE
    if conf.database_url is None and not database_file.exists() and not conf.lexicon_file.is_file():
        from producer.arabic.lexicon import Lexicon

        return ShippedWords(Lexicon.default(), {})
    from producer.store.words import station_words as read_words

    with station_store(conf) as database:
        return read_words(database)


def cli_templates(conf: Settings, words: StationWords | ShippedWords) -> dict[str, str]:
    """The station's templates over those of PRODUCER_TEMPLATES_DIR."""
    from producer.pipeline import folder_templates

    return {**folder_templates(conf.templates_dir), **words.templates}


def _edit(action: str, subject: str, edit: Callable[[Session], object]) -> None:
    """One change to the station's lexicon, logged in the audit log as the CLI's."""
    from producer.store import db

    with station_store(load_settings()) as database, database.write() as s:
        edit(s)
        db.audit(s, CLI_USER, action, subject[:200])


def register(app: typer.Typer) -> None:
    lexicon_app = typer.Typer(no_args_is_help=True, help="The station's pronunciation lexicon.")
    app.add_typer(lexicon_app, name="lexicon")

    @lexicon_app.command("list")
    def lexicon_list(
        details: Annotated[
            bool, typer.Option("--details", help="Also who last changed each entry, and when.")
        ] = False,
    ) -> None:
        """Print the lexicon: one `written<TAB>spoken` entry per line (the shipped one until first
        changed)."""
        from producer.arabic import Lexicon
        from producer.store import words

        with station_store(load_settings()) as database, database.read() as s:
            rows = words.lexicon_rows(s) if words.Words.LEXICON in words.versions(s) else None
        if rows is None:
            for entry in Lexicon.default().entries():
                typer.echo(f"{entry.pattern}\t{entry.replacement}" + ("\tshipped" if details else ""))
            return
        for row in rows:
            extra = f"\t{row.updated_by}\t{row.updated.isoformat(timespec='seconds')}" if details else ""
            typer.echo(f"{row.pattern}\t{row.replacement}{extra}")

    @lexicon_app.command("add")
    def lexicon_add(
        written: Annotated[str, typer.Argument(help="A word, or re:REGEX.")],
        spoken: Annotated[str, typer.Argument(help="How it is read: words or a diacritized spelling.")],
    ) -> None:
        """Add or replace an entry in the station's lexicon (in the database every server reads)."""
        from producer.arabic import LexiconEntry
        from producer.store import words

        entry = LexiconEntry(written, spoken)
        _edit("lexicon.add", written, lambda s: words.add_lexicon_entries(s, [entry], CLI_USER))

    @lexicon_app.command("remove")
    def lexicon_remove(written: Annotated[str, typer.Argument(help="The entry's written form.")]) -> None:
        """Remove an entry from the station's lexicon."""
        from producer.store import words

        _edit("lexicon.remove", written, lambda s: words.remove_lexicon_entry(s, written, CLI_USER))

    @lexicon_app.command("import")
    def lexicon_import(
        file: Annotated[str, typer.Argument(help="A TSV file, or - for stdin.")],
        replace: Annotated[
            bool, typer.Option("--replace", help="Make the lexicon exactly the file's entries.")
        ] = False,
    ) -> None:
        """Add a TSV file's entries to the station's lexicon (replacing entries of the same words)."""
        from producer.arabic.lexicon import parse_lexicon
        from producer.cli import read_input
        from producer.store import words

        entries = parse_lexicon(read_input(file), source="standard input" if file == "-" else file)
        if replace:
            _edit("lexicon.replace", file, lambda s: words.replace_lexicon(s, entries, CLI_USER))
        else:
            _edit("lexicon.import", file, lambda s: words.add_lexicon_entries(s, entries, CLI_USER))
        typer.echo(f"{len(entries)} entries {'make the lexicon' if replace else 'imported'}", err=True)

    @lexicon_app.command("export")
    def lexicon_export(
        output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the TSV here.")] = None,
    ) -> None:
        """Print (or write) the station's lexicon as TSV, which `lexicon import` reads back."""
        from producer.arabic.lexicon import format_lexicon
        from producer.cli import write_text_atomic

        text = format_lexicon(station_words(load_settings()).lexicon.entries())
        if output is None:
            typer.echo(text, nl=False)
        else:
            write_text_atomic(output, text)
