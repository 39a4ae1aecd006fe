"""The `producer` command: a thin adapter over the pipeline's functions.

Every failure the user can fix is a ProducerError: it is printed as one line on stderr and the
command exits non-zero, with no partial output left behind.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from producer.errors import InputError, ProducerError
from producer.models import Target
from producer.settings import Settings, load_settings

if TYPE_CHECKING:
    from producer.models import Script

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="Arabic radio bulletin producer: pasted news in, podcast-ready bulletin out.",
)
cache_app = typer.Typer(no_args_is_help=True, help="The caches of voiced speech and encoded parts.")
app.add_typer(cache_app, name="cache")
voices_app = typer.Typer(no_args_is_help=True, help="Piper voices: list, install, remove.")
app.add_typer(voices_app, name="voices")

Files = Annotated[list[str], typer.Argument(help="Article files (UTF-8 or Windows-1256), or - for stdin.")]
OneFile = Annotated[str, typer.Argument(help="A file, or - for stdin.")]


def fail(message: str) -> NoReturn:
    typer.echo(f"producer: error: {message}", err=True)
    sys.exit(1)


def settings() -> Settings:
    return load_settings()


def read_input(name: str) -> str:
    from producer.ingest import decode_text

    if name == "-":
        data = sys.stdin.buffer.read()
        source = "standard input"
    else:
        path = Path(name)
        if not path.is_file():
            raise InputError(f"no such file: {name}")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {name}: {exc.strerror}") from exc
        source = name
    try:
        return decode_text(data)
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from exc


def load_script(files: list[str], conf: Settings, title: str | None = None) -> Script:
    """Articles → a composed Script, or one edited script file read back as it is."""
    from producer.cli_lexicon import cli_templates, station_words
    from producer.ingest import clean
    from producer.pipeline import compose_script
    from producer.scriptfile import looks_like_script, script_from_text

    texts = [read_input(name) for name in files]
    scripts = [looks_like_script(text) for text in texts]
    if any(scripts):
        if len(texts) > 1:
            raise InputError("give an edited script file alone, not together with articles")
        return script_from_text(texts[0])
    stories = []
    for name, text in zip(files, texts, strict=True):
        try:
            stories.append(clean(text))
        except InputError as exc:
            raise InputError(f"{'standard input' if name == '-' else name}: {exc}") from exc
    return compose_script(stories, conf, templates=cli_templates(conf, station_words(conf)), title=title)


def write_text_atomic(path: Path, text: str) -> None:
    from producer.atomic import atomic_write_text

    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from exc


@app.command()
def clean(file: OneFile = "-") -> None:
    """Print the cleaned article: headline first, then one body paragraph per line."""
    from producer.ingest import clean as clean_text

    story = clean_text(read_input(file))
    typer.echo(story.text)


@app.command(
    help=(
        "Print exactly the text handed to the TTS engine, one output line per input line.\n\n"
        "The input is taken as script text and mapped line to line: nothing is cleaned away, so a raw "
        "page's menus, dates and share buttons would be printed (and voiced) too. With --page the input "
        "is a pasted page: it is cleaned first, as `build` does, and the headline and body paragraphs "
        "are printed as the voice reads them."
    )
)
def speakable(
    file: OneFile = "-",
    engine: Annotated[str | None, typer.Option(help="Engine the text is prepared for.")] = None,
    no_diacritics: Annotated[
        bool,
        typer.Option("--no-diacritics", help="Do not run the diacritizer (numbers keep their case vowels)."),
    ] = False,
    page: Annotated[
        bool, typer.Option("--page", help="FILE is a pasted page: clean it first (headline and body).")
    ] = False,
) -> None:
    from producer.cli_lexicon import station_words
    from producer.pipeline import speakable_lines
    from producer.tts.registry import wants_diacritics

    conf = settings()
    text = read_input(file)
    if page:
        from producer.ingest import clean as clean_text

        lines = clean_text(text).text.split("\n")
    else:
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
    diacritize = not no_diacritics and wants_diacritics(engine or conf.engine)
    lexicon = station_words(conf).lexicon
    for line in speakable_lines(lines, lexicon, diacritize=diacritize, clock=conf.clock_dial):
        typer.echo(line)


@app.command()
def script(
    files: Files,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the script here.")] = None,
    title: Annotated[str | None, typer.Option(help="Bulletin title.")] = None,
) -> None:
    """Print the broadcast script the templates make from the articles (edit it, then build it)."""
    from producer.scriptfile import script_to_text

    text = script_to_text(load_script(files, settings(), title))
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_text_atomic(output, text)


@app.command()
def build(
    files: Files,
    output: Annotated[Path, typer.Option("-o", "--output", help="OUT.mp3 (podcast) or OUT.wav (broadcast).")],
    target: Annotated[str | None, typer.Option(help="podcast or broadcast.")] = None,
    engine: Annotated[str | None, typer.Option(help="TTS engine: espeak, piper or gtts.")] = None,
    voice: Annotated[str | None, typer.Option(help="Voice of the engine.")] = None,
    title: Annotated[str | None, typer.Option(help="Bulletin title.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Build the whole bulletin: OUT audio plus OUT.vtt transcript and OUT.chapters.json."""
    from producer.cli_lexicon import cli_templates, station_words
    from producer.pipeline import build_episode

    if target is not None and target not in tuple(Target):
        raise InputError(f"unknown target {target!r}: use podcast or broadcast")
    conf = settings()
    bulletin = load_script(files, conf, title)
    words = station_words(conf)
    with _progress_bar(quiet) as report:
        episode = build_episode(
            bulletin,
            output,
            settings=conf,
            engine=engine,
            voice=voice,
            target=Target(target) if target else None,
            progress=report,
            lexicon=words.lexicon,
            templates=cli_templates(conf, words),
        )
    minutes, seconds = divmod(round(episode.duration), 60)
    if not quiet:
        typer.echo(
            f"{episode.audio} ({minutes}:{seconds:02d}), {episode.transcript}, {episode.chapters}", err=True
        )


@contextmanager
def _progress_bar(quiet: bool) -> Iterator[Callable[[float, str], None] | None]:
    """A progress bar on stderr, or none with --quiet (rich is then not even imported: 0.03 s of
    every quiet build, which a re-render after a one-word edit feels).

    Drawn on each update rather than by rich's refresh thread: a build running one thread forks
    its voicing workers at once, where with a second thread it must start them from a forkserver
    that imports the program again (an 8-story build took 7.63 s with the bar, 7.19 s without).
    """
    if quiet:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        auto_refresh=False,
    ) as bar:
        task = bar.add_task("…", total=1.0)
        yield lambda fraction, stage: bar.update(task, completed=fraction, description=stage, refresh=True)


@app.command()
def engines() -> None:
    """List the TTS engines, their voices, and why an engine is unavailable here."""
    from producer.tts.cli_support import engines_text

    typer.echo(engines_text(settings()))


@cache_app.command("stats")
def cache_stats() -> None:
    """Where the caches are, how many entries they hold and how large they are."""
    from producer.tts.cli_support import cache_stats_text

    typer.echo(cache_stats_text(settings()))


@cache_app.command("clear")
def cache_clear() -> None:
    """Remove every cached segment and encoded part (the next build starts from scratch)."""
    from producer.tts.cli_support import cache_clear_text

    typer.echo(cache_clear_text(settings()))


@voices_app.command("list")
def voices_list(
    available: Annotated[bool, typer.Option("--available", help="The catalog's Arabic voices.")] = False,
) -> None:
    """The installed Piper voices (* = the default voice), or those the catalog offers."""
    from producer.tts.cli_support import voices_text

    typer.echo(voices_text(settings(), available=available))


@voices_app.command("install")
def voices_install(
    name: Annotated[str | None, typer.Argument(help="A catalog voice, e.g. ar_JO-kareem-medium.")] = None,
    source: Annotated[
        str | None, typer.Option("--from", help="A voice's .onnx file or URL (its .onnx.json beside it).")
    ] = None,
) -> None:
    """Install a Piper voice by name from the catalog (PRODUCER_VOICES_BASE_URL), or from a file."""
    from producer.tts.cli_support import install_voice_text

    typer.echo(install_voice_text(settings(), name, source))


@voices_app.command("remove")
def voices_remove(name: Annotated[str, typer.Argument(help="An installed voice.")]) -> None:
    """Remove an installed Piper voice."""
    from producer.tts.cli_support import remove_voice_text

    typer.echo(remove_voice_text(settings(), name))


def _register_web_commands() -> None:
    # The web commands' modules (SQLAlchemy, FastAPI) load only when one of them runs: a build and
    # its worker processes do not carry them.
    from producer import cli_air, cli_lexicon, cli_web

    cli_web.register(app)
    cli_air.register(app)
    cli_lexicon.register(app)


_register_web_commands()


def main() -> None:
    # What the imports made lives as long as the process, and a command's own work ends with it:
    # frozen, neither is walked again by the collector's full passes during a build nor by the
    # one at exit (together ~0.07 s of a re-render after a one-word edit, a tenth of it).
    gc.freeze()
    try:
        app()
    except ProducerError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted")
    finally:
        gc.freeze()
