"""The station's lexicon and templates as rows, on both backends (a SQLite file and a real
PostgreSQL server): written by one process, built from the rows by another on its next build,
the entry bounds kept, an earlier release's lexicon file imported once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from producer.arabic.lexicon import MAX_REGEX_ENTRIES, Lexicon, LexiconEntry, format_lexicon, parse_lexicon
from producer.errors import InputError
from producer.store import words
from producer.store.db import Database

QASAD = LexiconEntry("قسد", "قَسَدْ")
ALWAN_PAGE = Path(__file__).resolve().parents[1] / "data" / "pages" / "alwan.txt"


@pytest.fixture
def other(database: Database) -> Iterator[Database]:
    """The same database as another process opens it: its own engine, its own built words."""
    database = Database(database.url)
    yield database
    database.dispose()


def producer(
    database: Database, data_dir: Path, *args: str, stdin: str = "", **extra: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRODUCER_")}
    env |= {"PRODUCER_DATA_DIR": str(data_dir), "PRODUCER_DATABASE_URL": database.url, **extra}
    return subprocess.run(
        [sys.executable, "-m", "producer", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_fresh_station_reads_the_shipped_lexicon_until_its_first_change(database: Database) -> None:
    shipped = Lexicon.default().entries()
    with database.read() as s:
        assert words.lexicon_entries(s) is None
    assert words.station_words(database).lexicon.entries() == shipped
    with database.write() as s:
        words.add_lexicon_entries(s, [LexiconEntry("حماة", "حَمَاة")], "sara")
    with database.read() as s:
        rows = words.lexicon_rows(s)
        # The shipped entries became the station's own, in their order, the new one last.
        assert [(r.pattern, r.replacement) for r in rows] == [
            *((e.pattern, e.replacement) for e in shipped),
            ("حماة", "حَمَاة"),
        ]
        assert rows[-1].created_by == rows[-1].updated_by == "sara"
        assert words.versions(s) == {"lexicon": 1}


def test_entries_are_replaced_in_place_removed_and_bumped(database: Database) -> None:
    with database.write() as s:
        words.replace_lexicon(s, [QASAD, LexiconEntry("re:\\bNo\\.\\s*(\\d)", "رقم \\1")], "sara")
    with database.write() as s:
        words.add_lexicon_entries(s, [LexiconEntry("قسد", "قَسَد"), LexiconEntry("حماة", "حَمَاة")], "huda")
    with database.read() as s:
        rows = words.lexicon_rows(s)
        assert [(r.pattern, r.created_by, r.updated_by) for r in rows] == [
            ("قسد", "sara", "huda"),  # replaced where it stood: `re:` patterns keep their order
            ("re:\\bNo\\.\\s*(\\d)", "sara", "sara"),
            ("حماة", "huda", "huda"),
        ]
        assert rows[0].replacement == "قَسَد" and rows[0].updated >= rows[0].created
    with database.write() as s:
        words.remove_lexicon_entry(s, "قسد", "sara")
    with pytest.raises(InputError, match="no entry"), database.write() as s:
        words.remove_lexicon_entry(s, "قسد", "sara")
    with database.read() as s:
        assert [e.pattern for e in words.lexicon_entries(s) or []] == ["re:\\bNo\\.\\s*(\\d)", "حماة"]
        assert words.versions(s)["lexicon"] == 3  # the refused removal changed nothing


@pytest.mark.parametrize(
    "entry",
    [
        LexiconEntry("re:x*", "abc"),  # matches empty text: would multiply it
        LexiconEntry("re:.", "ab" * 50),  # a replacement far longer than what it matches
        LexiconEntry("re:(ا|اا)+!", "x"),  # backtracks without end
        LexiconEntry("قسد", "ق" * 201),
        LexiconEntry("قسد\tx", "y"),
    ],
)
def test_hostile_entries_are_refused_and_nothing_is_written(database: Database, entry: LexiconEntry) -> None:
    with database.write() as s:
        words.replace_lexicon(s, [QASAD], "sara")
    with pytest.raises(InputError), database.write() as s:
        words.add_lexicon_entries(s, [LexiconEntry("حماة", "حَمَاة"), entry], "mallory")
    with database.read() as s:
        assert words.lexicon_entries(s) == [QASAD]
        assert words.versions(s) == {"lexicon": 1}


def test_the_lexicon_bounds_hold_across_writes(database: Database) -> None:
    patterns = [LexiconEntry(f"re:\\bw{i}\\b", f"كلمة {i}") for i in range(MAX_REGEX_ENTRIES)]
    with database.write() as s:
        words.replace_lexicon(s, patterns, "sara")
    with pytest.raises(InputError, match="re: patterns"), database.write() as s:
        words.add_lexicon_entries(s, [LexiconEntry("re:\\bmore\\b", "أكثر")], "sara")


def test_another_process_sees_a_change_on_its_next_build(database: Database, other: Database) -> None:
    before = words.station_words(other)
    assert words.station_words(other) is before  # nothing changed: nothing rebuilt
    with database.write() as s:
        words.add_lexicon_entries(s, [QASAD], "sara")
        words.set_templates(s, {"ident": "هنا {{ station }}"}, "sara")
    after = words.station_words(other)
    assert after is not before
    assert after.lexicon.apply("وقسد") == "وقَسَدْ"
    assert after.templates == {"ident": "هنا {{ station }}"}
    with database.write() as s:
        words.set_templates(s, {}, "sara")  # back to the shipped ones
    assert words.station_words(other).templates == {}
    assert words.station_words(other).lexicon is after.lexicon  # the lexicon was not rebuilt


def test_concurrent_first_writes_keep_every_entry(database: Database) -> None:
    """Writers that each find no station lexicon yet: one copies the shipped entries, none is lost."""
    databases = [Database(database.url) for _ in range(4)]
    try:

        def add(index: int) -> None:
            with databases[index].write() as s:
                words.add_lexicon_entries(s, [LexiconEntry(f"كلمة{index}", f"كَلِمَة{index}")], f"u{index}")

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(add, range(4)))
    finally:
        for each in databases:
            each.dispose()
    with database.read() as s:
        patterns = [e.pattern for e in words.lexicon_entries(s) or []]
        assert words.versions(s) == {"lexicon": 4}
    assert sorted(patterns) == sorted(
        {*(e.pattern for e in Lexicon.default().entries()), *(f"كلمة{i}" for i in range(4))}
    )


def test_cli_and_a_running_process_share_the_lexicon(database: Database, tmp_path: Path) -> None:
    """`producer lexicon add` in its own process; this process's next build reads the word."""
    built = words.station_words(database)
    assert built.lexicon.apply("قسد تعلن") == "قَسَد تعلن"  # the shipped entry
    added = producer(database, tmp_path, "lexicon", "add", "قسد", "قَسَدْ")
    assert added.returncode == 0, added.stderr
    assert words.station_words(database).lexicon.apply("قسد تعلن") == "قَسَدْ تعلن"
    with database.read() as s:
        row = next(r for r in words.lexicon_rows(s) if r.pattern == "قسد")
        assert row.updated_by == "cli"
    with database.write() as s:
        words.add_lexicon_entries(s, [LexiconEntry("حماة", "حَمَاة")], "sara")
    listed = producer(database, tmp_path, "lexicon", "list", "--details").stdout.splitlines()
    assert listed[-1].startswith("حماة\tحَمَاة\tsara\t")
    assert any(line.startswith("قسد\tقَسَدْ\tcli\t") for line in listed)


def test_the_comments_above_an_entry_are_kept_with_it(database: Database) -> None:
    """An editor's comments survive the save (as each entry's note), an entry added or replaced
    later without comments, and the text read back."""
    text = "# أسماء تُقرأ خطأً\n# راجعها سارة\nقسد\tقَسَد\nحماة\tحَمَاة\n\n# ختام\n"
    with database.write() as s:
        words.replace_lexicon(s, parse_lexicon(text, source="the page"), "sara")
    with database.write() as s:
        words.add_lexicon_entries(s, [LexiconEntry("قسد", "قَسَدْ"), LexiconEntry("إدلب", "إِدْلِب")], "omar")
    with database.read() as s:
        entries = words.lexicon_entries(s)
    assert entries == [
        LexiconEntry("قسد", "قَسَدْ", "# أسماء تُقرأ خطأً\n# راجعها سارة"),
        LexiconEntry("حماة", "حَمَاة", "# ختام"),  # the comments after the last entry join its note
        LexiconEntry("إدلب", "إِدْلِب"),
    ]
    assert format_lexicon(entries) == (
        "# أسماء تُقرأ خطأً\n# راجعها سارة\nقسد\tقَسَدْ\n\n# ختام\nحماة\tحَمَاة\nإدلب\tإِدْلِب\n"
    )
    assert parse_lexicon(format_lexicon(entries), source="the export") == entries


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_cli_lexicon_commands(database: Database, tmp_path: Path) -> None:
    refused = producer(database, tmp_path, "lexicon", "add", "re:x*", "abc")
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1].startswith("producer: error: the lexicon pattern 're:x*'")
    with database.read() as s:
        assert words.lexicon_entries(s) is None  # still the shipped lexicon, nothing written
    imported = producer(
        database, tmp_path, "lexicon", "import", "--replace", "-", stdin="# مدن\nحماة\tحَمَاة\n"
    )
    assert imported.returncode == 0, imported.stderr
    assert words.station_words(database).lexicon.entries() == [LexiconEntry("حماة", "حَمَاة", "# مدن")]
    exported = producer(database, tmp_path, "lexicon", "export")
    assert (exported.returncode, exported.stdout) == (0, "# مدن\nحماة\tحَمَاة\n")
    removed = producer(database, tmp_path, "lexicon", "remove", "حماة")
    assert removed.returncode == 0 and words.station_words(database).lexicon.entries() == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_cli_script_uses_the_station_templates_over_its_folder(database: Database, tmp_path: Path) -> None:
    with database.write() as s:
        words.set_templates(s, {"ident": "هنا {{ station }} من قاعدة البيانات"}, "sara")
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "ident.j2").write_text("هنا الملف", encoding="utf-8")
    (folder / "signoff.j2").write_text("وداعا من الملف", encoding="utf-8")
    script = producer(database, tmp_path, "script", str(ALWAN_PAGE), PRODUCER_TEMPLATES_DIR=str(folder))
    assert script.returncode == 0, script.stderr
    assert "هنا راديو ألوان من قاعدة البيانات" in script.stdout
    assert "وداعا من الملف" in script.stdout and "هنا الملف" not in script.stdout


def test_an_earlier_lexicon_file_is_imported_once_and_left_in_place(
    database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "lexicon.tsv"
    assert words.adopt_lexicon_file(database, path) is None  # no file: nothing to do
    text = "# station words\nقسد\tقَسَدْ\nحماة\tحَمَاة\n"
    path.write_text(text, encoding="utf-8")
    adopted = words.adopt_lexicon_file(database, path)
    assert adopted == words.Adopted(path, 2)
    assert "imported 2 lexicon entries" in adopted.message()
    imported = [
        LexiconEntry(QASAD.pattern, QASAD.replacement, "# station words"),
        LexiconEntry("حماة", "حَمَاة"),
    ]
    assert words.station_words(database).lexicon.entries() == imported
    assert path.read_text(encoding="utf-8") == text
    # A second start, or another machine with its own file: the database stays the truth.
    path.write_text("قسد\tشيء آخر\n", encoding="utf-8")
    again = words.adopt_lexicon_file(database, path)
    assert again == words.Adopted(path, None) and "is not read" in again.message()
    with database.read() as s:
        assert words.lexicon_entries(s) == imported
        assert words.versions(s) == {"lexicon": 1}


def test_a_broken_lexicon_file_stops_the_import_with_its_line(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "lexicon.tsv"
    path.write_text("قسد\tقَسَدْ\nبلا فاصل\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 2"):
        words.adopt_lexicon_file(database, path)
    with database.read() as s:
        assert words.lexicon_entries(s) is None


def test_unknown_template_names_are_refused(database: Database) -> None:
    with pytest.raises(InputError, match="no template named 'footer'"), database.write() as s:
        words.set_templates(s, {"footer": "x"}, "sara")
    with database.write() as s:
        words.set_templates(s, {"ident": "هنا {{ station }}", "signoff": "وداعا"}, "sara")
    with database.write() as s:
        words.set_templates(s, {"ident": "هنا {{ station }}"}, "huda")
    with database.read() as s:
        assert words.station_templates(s) == {"ident": "هنا {{ station }}"}
        assert words.versions(s) == {"templates": 2}
