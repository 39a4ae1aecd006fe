"""The login throttle and account access on each backend (a SQLite file and a real PostgreSQL):
per (address, account) with backoff, bounded keys and table, expiry; sessions and tokens ending."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from producer import auth
from producer.errors import InputError
from producer.store import db
from producer.store.db import ApiToken, Database, LoginFailure, LoginSession

NOW = datetime(2026, 5, 3, 9, 0, tzinfo=UTC)
RULE = auth.Throttle(free=3, per_address=8, first_wait=30.0, max_wait=240.0, forget=3600.0, max_rows=50)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


def fail(database: Database, address: str, name: str, now: datetime) -> float:
    with database.write() as s:
        return auth.login_failed(s, address, name, now, RULE)


def wait(database: Database, address: str, name: str, now: datetime) -> float:
    with database.read() as s:
        return auth.login_wait(s, address, name, now)


def test_failures_slow_one_address_for_one_account_with_doubling_waits(database: Database) -> None:
    waits = [fail(database, "10.0.0.1", "sara", NOW) for _ in range(6)]
    assert waits == [0, 0, 30, 60, 120, 240]
    assert wait(database, "10.0.0.1", "sara", NOW) == 240
    # The real user at another address is not locked out, nor another account from this address.
    assert wait(database, "10.0.0.2", "sara", NOW) == 0
    assert wait(database, "10.0.0.1", "omar", NOW) == 0
    assert wait(database, "10.0.0.1", "sara", NOW + timedelta(seconds=241)) == 0
    assert fail(database, "10.0.0.1", "sara", NOW) == 240  # capped at max_wait


def test_one_address_trying_many_accounts_waits_too(database: Database) -> None:
    for i in range(7):
        assert fail(database, "10.0.0.9", f"user{i}", NOW) == 0
    assert fail(database, "10.0.0.9", "user7", NOW) == 30
    assert wait(database, "10.0.0.9", "someone-else", NOW) == 30
    assert wait(database, "10.0.0.8", "someone-else", NOW) == 0


def test_success_clears_the_pair(database: Database) -> None:
    for _ in range(3):
        fail(database, "10.0.0.1", "sara", NOW)
    with database.write() as s:
        auth.login_succeeded(s, "10.0.0.1", "sara")
    assert wait(database, "10.0.0.1", "sara", NOW) == 0


def test_keys_are_bounded_whatever_the_name(database: Database) -> None:
    huge = "س" * (19 * 2**20 // 2)
    fail(database, "10.0.0.1", huge, NOW)
    fail(database, "10.0.0.1", huge[:-1], NOW)  # the same first 64 characters: the same account
    with database.read() as s:
        rows = s.scalars(select(LoginFailure)).all()
    assert len(rows) == 2  # the pair and the address
    assert {len(row.key) for row in rows} == {64}
    assert max(row.failures for row in rows) == 2


def test_entries_expire_and_the_table_has_a_ceiling(database: Database) -> None:
    for i in range(200):
        fail(database, f"10.1.{i // 250}.{i % 250}", f"name{i}", NOW + timedelta(seconds=i))
    with database.read() as s:
        assert s.scalar(select(func.count()).select_from(LoginFailure)) == RULE.max_rows
    later = NOW + timedelta(hours=3)
    fail(database, "10.9.9.9", "late", later)
    with database.read() as s:
        assert s.scalar(select(func.count()).select_from(LoginFailure)) == 2  # only the new pair and address


def test_password_change_and_deactivation_end_sessions_and_tokens(database: Database) -> None:
    with database.write() as s:
        user = auth.add_user(s, "huda", "editor", "huda-pass-2024")
        auth.start_session(s, user, 12, NOW)
        token = auth.create_token(s, "huda")
    with database.read() as s:
        assert auth.token_user(s, token) is not None
    with database.write() as s:
        user = db.user_by_name(s, "huda")
        assert user is not None
        auth.set_password(s, user, "another-huda-pass-77")
    with database.read() as s:
        assert auth.token_user(s, token) is None
        assert s.scalar(select(func.count()).select_from(LoginSession)) == 0
        assert s.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_tokens_expire(database: Database) -> None:
    with database.write() as s:
        auth.add_user(s, "omar", "editor", "omar-pass-2024-x")
        token = auth.create_token(s, "omar", days=1, now=NOW)
    with database.read() as s:
        assert auth.token_user(s, token, NOW + timedelta(hours=23)) is not None
        assert auth.token_user(s, token, NOW + timedelta(hours=25)) is None


@pytest.mark.parametrize("name", ["аdmin", "sаmi", "", " sami", "s" * 65, "a\nb"])
def test_look_alike_and_malformed_names_are_refused(database: Database, name: str) -> None:
    with pytest.raises(InputError), database.write() as s:
        auth.add_user(s, name, "editor", "a-long-password-77")


def test_names_are_nfkc_normalised(database: Database) -> None:
    with database.write() as s:
        auth.add_user(s, "ｓａｍｉ", "editor", "sami-pass-5678")  # full-width letters
    with database.write() as s:
        assert auth.authenticate(s, "sami", "sami-pass-5678") is not None
        with pytest.raises(InputError):
            auth.add_user(s, "sami", "viewer", "sami-pass-5678")


@pytest.mark.parametrize("password", ["password1234", "qwertyuiop12", "Summer2024!", "changeme1", "sara2024"])
def test_guessable_passwords_are_refused(password: str) -> None:
    assert not auth.password_is_strong(password, "sara")
    assert auth.password_is_strong("mango-violin-harbour", "sara")
