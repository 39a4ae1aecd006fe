"""The web service's commands: `serve`, `worker`, `user add`, `token create`, `db upgrade`, `db current`
(added to `producer`)."""

from __future__ import annotations

import ipaddress
import secrets
import signal
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from producer.errors import ProducerError
from producer.models import ROLES
from producer.settings import Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from producer.store.db import Database


# The page where the first-start hint sends the admin to change the password (its link in the menu
# is named المستخدمون); a test checks the hint names a page the server has.
FIRST_START_USERS_PATH = "/users"


def _open_database(settings: Settings) -> Database:
    from producer.store.db import Database, database_url

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Database(database_url(settings.data_dir, settings.database_url))


def _database(settings: Settings) -> Database:
    """The database, its schema upgraded to this release's first (and an earlier release's
    lexicon file imported into it, once)."""
    database = _open_database(settings)
    database.migrate()
    _adopt_lexicon_file(database, settings)
    return database


def station_database(settings: Settings) -> Database:
    """The database the station's lexicon and templates live in, for the CLI's lexicon commands and
    builds: migrated only while it has no tables for them yet, so a build does not pay for loading
    the migrations every time."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from producer.store.words import versions

    database = _open_database(settings)
    try:
        with database.read() as s:
            versions(s)
    except (OperationalError, ProgrammingError):  # no such table: an empty or older database
        database.migrate()
    _adopt_lexicon_file(database, settings)
    return database


def _adopt_lexicon_file(database: Database, settings: Settings) -> None:
    from producer.store.words import adopt_lexicon_file

    adopted = adopt_lexicon_file(database, settings.lexicon_file)
    if adopted is not None and adopted.entries is not None:  # said once, by the command that imported
        typer.echo(f"producer: {adopted.message()}", err=True)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _read_password() -> str:
    if sys.stdin.isatty():
        return typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


def _first_admin(s: Session) -> str | None:
    """On a database with no account at all, create `admin` with a random password and return it.

    A newsroom can then log in right after the first `producer serve`, and no well-known
    password ever exists.
    """
    from producer import auth
    from producer.store.db import list_users

    if list_users(s):
        return None
    password = secrets.token_urlsafe(12)
    auth.add_user(s, "admin", "admin", password)
    return password


def register(app: typer.Typer) -> None:
    user_app = typer.Typer(no_args_is_help=True, help="Newsroom accounts.")
    token_app = typer.Typer(no_args_is_help=True, help="API tokens.")
    db_app = typer.Typer(no_args_is_help=True, help="The database's schema.")
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
    app.add_typer(db_app, name="db")
    secret_app = typer.Typer(no_args_is_help=True, help="The form-signing key the web servers share.")
    app.add_typer(secret_app, name="secret")

    @secret_app.command("rotate")
    def secret_rotate() -> None:
        """Replace the form-signing key in the database; servers use the new one after a restart
        (a login form open across the restart must be reloaded). PRODUCER_SECRET_KEY overrides it."""
        import secrets as token_source

        from producer.store import db
        from producer.web.app import SIGNING_SECRET

        with _database(load_settings()).write() as s:
            db.rotate_secret(s, SIGNING_SECRET, token_source.token_hex(32))
        typer.echo("form-signing key replaced; restart the web servers", err=True)

    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    ) -> None:
        """The newsroom web service with its embedded render worker."""
        import uvicorn

        from producer import auth
        from producer.logs import configure_logging
        from producer.web.app import create_app

        settings = load_settings()
        configure_logging(settings.log_format, settings.log_level)
        if settings.base_url is None:
            if not is_loopback(host):
                # Else the Host header of any request would choose the public feed's enclosure URLs.
                raise ProducerError(
                    f"refusing to listen on {host} without PRODUCER_BASE_URL: set it to the public "
                    "address the feed and media are reached at (https://news.example.org)"
                )
            shown = f"[{host}]" if ":" in host else host
            settings = settings.model_copy(update={"base_url": f"http://{shown}:{port}"})
        web = create_app(settings)
        # Only on loopback: a public address needs an admin password chosen on purpose (below).
        first_password = None
        if is_loopback(host):
            with web.state.producer.db.write() as s:
                first_password = _first_admin(s)
        if first_password:
            typer.echo(
                f"first start: created the account admin with password {first_password} "
                f"(change it after logging in: the page المستخدمون, {FIRST_START_USERS_PATH})",
                err=True,
            )
        if not is_loopback(host):
            web.state.producer.public_bind = True
            with web.state.producer.db.read() as s:
                safe = auth.admin_is_safe(s)
            if not safe:
                raise ProducerError(
                    f"refusing to listen on {host} while no admin account has a strong password: set "
                    "PRODUCER_ADMIN_PASSWORD or run `producer user add NAME --role admin` first"
                )
        from producer.web.limits import guarded_protocol

        # Forwarded headers are believed only from the configured proxies: otherwise any client
        # could pick the address the login throttle counts.
        proxies = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
        uvicorn.run(
            web,
            host=host,
            port=port,
            http=guarded_protocol(settings.header_timeout, settings.max_connections),
            proxy_headers=bool(proxies),
            forwarded_allow_ips=proxies or None,
            timeout_keep_alive=int(max(1, settings.keepalive_timeout)),
            h11_max_incomplete_event_size=32 * 1024,
            log_config=None,  # uvicorn's lines go through the handler configured above
        )

    @app.command()
    def worker() -> None:
        """A render worker alone (scale-out: several of them share a Redis queue and a database)."""
        from producer.jobs import JobQueue
        from producer.logs import configure_logging
        from producer.store.files import open_checked_store

        settings = load_settings()
        configure_logging(settings.log_format, settings.log_level)
        queue = JobQueue(settings, _database(settings), open_checked_store(settings))
        scheduler = None
        if settings.scheduler:
            from producer.air.runs import Services
            from producer.air.scheduler import Scheduler

            # Every worker may run it: each slot's run is claimed once, by its unique row.
            scheduler = Scheduler(Services(settings, queue.db, queue.store, queue))
            scheduler.start()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda _signum, _frame: queue.request_stop())
        typer.echo(f"producer worker {queue.identity} waiting for jobs", err=True)
        try:
            queue.run_forever()
        finally:
            if scheduler is not None:
                scheduler.stop()

    @user_app.command("add")
    def user_add(
        name: Annotated[str, typer.Argument(help="Login name.")],
        role: Annotated[str, typer.Option(help=f"One of {', '.join(ROLES)}.")] = "editor",
    ) -> None:
        """Add an account; the password is read from standard input."""
        from producer import auth

        password = _read_password()
        with _database(load_settings()).write() as s:
            auth.add_user(s, name, role, password)
        typer.echo(f"user {name} added with role {role}", err=True)

    @token_app.command("create")
    def token_create(
        name: Annotated[str, typer.Argument(help="The user the token acts as.")],
        days: Annotated[
            float | None, typer.Option(min=0.01, help="Days the token stays valid (default: until revoked).")
        ] = None,
    ) -> None:
        """Print a new API token for a user (shown once; store it safely)."""
        from producer import auth

        with _database(load_settings()).write() as s:
            token = auth.create_token(s, name, days)
        typer.echo(token)

    @token_app.command("list")
    def token_list() -> None:
        """Every API token: its number, user, creation and expiry (the tokens themselves are not kept)."""
        from producer.store.db import list_tokens

        with _database(load_settings()).read() as s:
            for token, user in list_tokens(s):
                expires = token.expires.isoformat(timespec="minutes") if token.expires else "never"
                created = token.created.isoformat(timespec="minutes")
                typer.echo(f"{token.id}\t{user.name}\t{created}\t{expires}")

    @token_app.command("revoke")
    def token_revoke(
        number: Annotated[int, typer.Argument(help="The token's number from `token list`.")],
    ) -> None:
        """Revoke an API token at once."""
        from producer.store.db import drop_token

        with _database(load_settings()).write() as s:
            if not drop_token(s, number):
                raise ProducerError(f"no API token number {number}: see `producer token list`")
        typer.echo(f"token {number} revoked", err=True)

    @db_app.command("upgrade")
    def db_upgrade() -> None:
        """Upgrade the database's schema to this release's (every start of the service does it too)."""
        database = _open_database(load_settings())
        before = database.revision()
        database.migrate()
        typer.echo(f"database schema: revision {before or 'none'} → {database.revision()}", err=True)

    @db_app.command("current")
    def db_current() -> None:
        """Print the database's schema revision, marked (head) when it is this release's newest."""
        from producer.store import migrations

        revision = _open_database(load_settings()).revision()
        if revision is None:
            typer.echo("none")
        else:
            typer.echo(f"{revision} (head)" if revision == migrations.head() else revision)
