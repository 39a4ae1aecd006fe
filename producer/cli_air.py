"""The automation's commands (added to `producer`): `source add|list|fetch`, `programme add|list|run`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from producer.errors import InputError
from producer.settings import load_settings


def register(app: typer.Typer) -> None:
    from producer.cli_web import _database as database

    source_app = typer.Typer(no_args_is_help=True, help="News sources: RSS/Atom feeds and article pages.")
    programme_app = typer.Typer(no_args_is_help=True, help="Programmes: bulletins on a schedule.")
    app.add_typer(source_app, name="source")
    app.add_typer(programme_app, name="programme")

    @source_app.command("add")
    def source_add(
        url: Annotated[str, typer.Argument(help="A feed's URL, or one article page's.")],
        name: Annotated[
            str | None, typer.Option(help="What the station calls it (default: its host).")
        ] = None,
        kind: Annotated[
            str | None, typer.Option(help="feed or page (default: found by fetching it).")
        ] = None,
    ) -> None:
        """Add a source; without --kind it is fetched once to tell a feed from a page."""
        from urllib.parse import urlsplit

        from producer.air.fetch import source_limits
        from producer.air.poll import detect_kind
        from producer.store.air import SourceKind, add_source

        if not url.startswith(("http://", "https://")):
            raise InputError(f"{url!r} is not an http:// or https:// address")
        if kind is not None and kind not in {k.value for k in SourceKind}:
            raise InputError(f"--kind must be feed or page, not {kind!r}")
        settings = load_settings()
        found = SourceKind(kind) if kind else detect_kind(url, limits=source_limits(settings))
        chosen = (name or urlsplit(url).hostname or url).strip()[:100]
        with database(settings).write() as s:
            add_source(s, chosen, url, found)
        typer.echo(f"source {chosen} added ({found.value})", err=True)

    @source_app.command("list")
    def source_list() -> None:
        """Each source with its kind, last fetch, articles and last error."""
        from sqlalchemy import func, select

        from producer.store.air import Article, all_sources

        with database(load_settings()).read() as s:
            counts = dict(
                s.execute(select(Article.source_id, func.count()).group_by(Article.source_id)).all()
            )
            for source in all_sources(s):
                fetched = source.fetched.strftime("%Y-%m-%d %H:%M UTC") if source.fetched else "never"
                status = f"error: {source.error}" if source.error else "ok"
                typer.echo(
                    f"{source.name}\t{source.kind}\t{source.url}\t{fetched}\t"
                    f"{counts.get(source.id, 0)} articles\t{status}"
                )

    @source_app.command("fetch")
    def source_fetch(
        name: Annotated[str | None, typer.Argument(help="One source (default: all).")] = None,
    ) -> None:
        """Fetch sources now; exits non-zero if any failed."""
        from producer.air.fetch import source_limits
        from producer.air.poll import poll
        from producer.store.air import all_sources, source_by_name

        settings = load_settings()
        db = database(settings)
        with db.read() as s:
            if name is None:
                ids = [source.id for source in all_sources(s)]
            else:
                found = source_by_name(s, name)
                if found is None:
                    raise InputError(f"there is no source named {name!r}")
                ids = [found.id]
        failed = 0
        for source_id in ids:
            result = poll(db, source_id, now=datetime.now(UTC), limits=source_limits(settings))
            if result.error and not (result.stored.new or result.stored.updated or result.unchanged):
                failed += 1
                typer.echo(f"{result.source}: {result.error}", err=True)
                continue
            if result.unchanged:
                typer.echo(f"{result.source}: unchanged")
            else:
                new, updated, same = result.stored.new, result.stored.updated, result.stored.duplicates
                typer.echo(f"{result.source}: {new} new, {updated} updated, {same} duplicates")
        if failed:
            raise typer.Exit(1)

    @programme_app.command("add")
    def programme_add(
        name: Annotated[str, typer.Argument(help="The programme's name, e.g. 'نشرة الساعة'.")],
        cron: Annotated[str, typer.Option(help="When to build, in the station's time zone: '55 * * * *'.")],
        length: Annotated[str, typer.Option(help="Target length, M:SS.")],
        sources: Annotated[str, typer.Option(help="Source names, comma-separated.")],
        auto: Annotated[bool, typer.Option("--auto", help="Publish and hand off without approval.")] = False,
        approve_by: Annotated[
            int | None, typer.Option(help="Wait for approval until this many minutes before air time.")
        ] = None,
        playout: Annotated[
            list[str] | None,
            typer.Option(
                help="dir:PATH, liquidsoap:HOST:PORT, liquidsoap:unix:PATH or webhook:URL (repeat)."
            ),
        ] = None,
        target: Annotated[
            str,
            typer.Option(
                help="broadcast: the BWF for the air (every target); podcast: the MP3 for the feed "
                "(webhook targets only)."
            ),
        ] = "broadcast",
        max_stories: Annotated[int, typer.Option(min=1, max=40, help="Most stories in one bulletin.")] = 6,
        lead: Annotated[int, typer.Option(min=0, max=120, help="Minutes from build to air time.")] = 5,
        no_repeat: Annotated[
            int, typer.Option(min=0, max=48, help="A story read in this many last bulletins is not repeated.")
        ] = 3,
    ) -> None:
        """Add a programme: a bulletin built on a schedule from the named sources."""
        from producer.air.programmes import ProgrammeFields, check_programme
        from producer.store.air import Programme, add_programme, all_programmes, all_sources

        if auto and approve_by is not None:
            raise InputError("choose --auto or --approve-by, not both")
        settings = load_settings()
        fields = ProgrammeFields(
            name=name,
            cron=cron,
            length=length,
            sources=sources.split(","),
            approve_by=approve_by,
            playout=list(playout or []),
            max_stories=max_stories,
            lead=lead,
            target=target,
            no_repeat=no_repeat,
        )
        with database(settings).write() as s:
            values = check_programme(
                fields,
                sources={source.name for source in all_sources(s)},
                taken={p.name for p in all_programmes(s)},
                queue=settings.liquidsoap_queue,
            )
            programme = add_programme(s, Programme(**values))
        typer.echo(f"programme {programme.name} added", err=True)

    @programme_app.command("list")
    def programme_list() -> None:
        """Each programme with its schedule, next air time and last result."""
        from producer.air.handoff import handoff_status
        from producer.air.schedule import next_slot
        from producer.store.air import all_programmes, last_run

        settings = load_settings()
        zone = ZoneInfo(settings.timezone)
        now = datetime.now(UTC)
        with database(settings).read() as s:
            for programme in all_programmes(s):
                slot = next_slot(
                    programme.cron, settings.timezone, after=now, lead_minutes=programme.lead_minutes
                )
                run = last_run(s, programme)
                last = f"{run.state} {run.air_time.astimezone(zone):%Y-%m-%d %H:%M}" if run else "never run"
                if run is not None and run.error:
                    last += f" ({run.error})"
                typer.echo(
                    f"{programme.name}\t{programme.cron}\tnext air {slot.air.astimezone(zone):%Y-%m-%d %H:%M}"
                    f"\t{programme.mode}\t{programme.target}\t{', '.join(programme.sources)}\tlast: {last}"
                )
                # Each playout target of the last run: handed off, or its failures and next try.
                for line in handoff_status(run, zone) if run is not None else []:
                    typer.echo(f"\t{line}")

    @programme_app.command("runs")
    def programme_runs(
        name: Annotated[str, typer.Argument(help="The programme's name.")],
        last: Annotated[int, typer.Option(min=1, max=1000, help="How many of its latest runs.")] = 24,
    ) -> None:
        """The programme's latest runs, newest first: air time, state, stories, and why a run did not
        air (missed, late, skipped, failed) or where it went."""
        from sqlalchemy import select

        from producer.air.handoff import handoff_status
        from producer.store.air import Run, programme_by_name

        settings = load_settings()
        zone = ZoneInfo(settings.timezone)
        with database(settings).read() as s:
            programme = programme_by_name(s, name)
            if programme is None:
                raise InputError(f"there is no programme named {name!r}")
            runs = s.scalars(
                select(Run).where(Run.programme_id == programme.id).order_by(Run.air_time.desc()).limit(last)
            ).all()
            for run in runs:
                reason = f"\t{run.error}" if run.error else ""
                typer.echo(
                    f"{run.air_time.astimezone(zone):%Y-%m-%d %H:%M}\t{run.state}\t"
                    f"{len(run.article_ids)} stories{reason}"
                )
                for line in handoff_status(run, zone):
                    typer.echo(f"\t{line}")

    @programme_app.command("run")
    def programme_run(
        name: Annotated[str, typer.Argument(help="The programme's name.")],
        now: Annotated[bool, typer.Option("--now", help="Air it now, not at its next slot.")] = False,
    ) -> None:
        """Build the programme's next bulletin at once from what its sources hold, render it, publish
        and hand it off as its mode says; prints the episode's audio file (or URL)."""
        from producer.air.runs import run_now
        from producer.jobs import JobQueue
        from producer.store.files import open_checked_store

        settings = load_settings()
        db = database(settings)
        queue = JobQueue(settings, db, open_checked_store(settings))
        typer.echo(run_now(settings, db, queue, name, air_now=now))
