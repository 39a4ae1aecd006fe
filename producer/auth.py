"""Who may do what: argon2 password hashes, login sessions, API tokens, roles, login throttling.

Session ids and API tokens are random; only their SHA-256 digests are stored, so a copy of the
database lets no one in. Roles are ordered: a viewer previews, an editor composes, renders and
publishes, an admin also manages the station and its users.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from producer.errors import InputError
from producer.models import ROLES
from producer.store import db
from producer.store.db import ApiToken, LoginSession, User

TOKEN_PREFIX = "prd_"
# Passwords an attacker tries first; `serve` refuses a public address while the admin uses one.
DEFAULT_PASSWORDS = ("", "admin", "password", "producer", "changeme", "123456", "12345678", "admin123")
MIN_PASSWORD = 8
MAX_NAME = 64
MAX_PASSWORD = 1024
# zxcvbn's score: 3 means about 10^8 guesses or more ("safely unguessable" for online attacks).
MIN_STRENGTH = 3

_hasher = PasswordHasher()
# Verified when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def has_role(user: User, role: str) -> bool:
    return ROLES.index(user.role) >= ROLES.index(role)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normal_name(name: str) -> str:
    """A user name as stored and looked up: NFKC, so full-width or ligature forms are one name."""
    return unicodedata.normalize("NFKC", name[: MAX_NAME * 4])


def name_is_valid(name: str) -> bool:
    """1-64 printable characters without surrounding spaces, in one script: a Cyrillic «а» in
    «аdmin» would make a second account that reads as the admin's."""
    from confusable_homoglyphs import confusables

    if not name or len(name) > MAX_NAME or not name.isprintable() or name.strip() != name:
        return False
    return not confusables.is_dangerous(name)


def password_is_strong(password: str, name: str = "") -> bool:
    """At least MIN_PASSWORD characters, and zxcvbn finds it hard to guess (its dictionaries hold
    the passwords of public breaches, keyboard walks, dates and the user's own name)."""
    import zxcvbn

    if len(password) < MIN_PASSWORD or len(password) > MAX_PASSWORD or password in DEFAULT_PASSWORDS:
        return False
    # zxcvbn's cost grows with length; past 100 characters the length alone is the strength.
    checked = password[:100]
    return bool(zxcvbn.zxcvbn(checked, user_inputs=[name, "producer", "admin"])["score"] >= MIN_STRENGTH)


def validate_new_user(name: str, role: str, password: str) -> None:
    if not name_is_valid(name):
        raise InputError(
            "a user name is 1-64 printable characters without surrounding spaces and without "
            "look-alike letters of another script"
        )
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}: use {', '.join(ROLES)}")
    if not password_is_strong(password, name):
        raise InputError(
            f"the password is too easy to guess: use at least {MIN_PASSWORD} characters, not a common "
            "password or a word with digits (a few unrelated words work well)"
        )


def add_user(s: Session, name: str, role: str, password: str) -> User:
    name = normal_name(name)
    validate_new_user(name, role, password)
    if db.user_by_name(s, name) is not None:
        raise InputError(f"user {name!r} already exists")
    user = User(name=name, role=role, password_hash=hash_password(password))
    s.add(user)
    s.flush()
    return user


def set_password(s: Session, user: User, password: str) -> None:
    """A new password ends every session and API token of the user: whoever knew the old one
    is out."""
    validate_new_user(user.name, user.role, password)
    user.password_hash = hash_password(password)
    end_access(s, user)


def end_access(s: Session, user: User) -> None:
    """Log the user out everywhere and revoke their API tokens (password change, deactivation)."""
    db.drop_user_sessions(s, user.id)
    db.drop_user_tokens(s, user.id)


def authenticate(s: Session, name: str, password: str) -> User | None:
    if len(name) > MAX_NAME * 4 or len(password) > MAX_PASSWORD:
        return None
    user = db.user_by_name(s, normal_name(name))
    if user is None or not user.active:
        check_password(_DUMMY_HASH, password)
        return None
    if not check_password(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def ensure_admin(s: Session, password: str) -> None:
    """Make the `admin` account match the configured admin password (create it if missing)."""
    user = db.user_by_name(s, "admin")
    if user is None:
        add_user(s, "admin", "admin", password)
    elif not check_password(user.password_hash, password):
        set_password(s, user, password)
        user.role, user.active = "admin", True


def admin_is_safe(s: Session) -> bool:
    """True when some active admin has a password that is not one of the well-known defaults."""
    admins = [user for user in db.list_users(s) if user.role == "admin" and user.active]
    return any(not any(check_password(a.password_hash, p) for p in DEFAULT_PASSWORDS) for a in admins)


@dataclass(frozen=True)
class NewSession:
    token: str  # goes into the cookie, never stored
    csrf: str


def start_session(s: Session, user: User, hours: float, now: datetime) -> NewSession:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    db.add_session(s, user, digest(token), csrf, now + timedelta(hours=hours))
    db.drop_expired_sessions(s, now)
    return NewSession(token, csrf)


def session_user(s: Session, token: str, now: datetime) -> tuple[User, LoginSession] | None:
    """The user of a live session, with the session row."""
    found = db.session_by_digest(s, digest(token))
    if found is None:
        return None
    row, user = found
    if row.expires < now or not user.active:
        return None
    return user, row


def renew_session(s: Session, token: str, hours: float, now: datetime) -> None:
    """Push a used session's expiry forward (sliding expiry)."""
    found = db.session_by_digest(s, digest(token))
    if found is not None:
        found[0].expires = now + timedelta(hours=hours)


def renewal_due(row: LoginSession, hours: float, now: datetime) -> bool:
    # Written at most once a minute per session, so page loads stay read-only.
    return now + timedelta(hours=hours) - row.expires > timedelta(minutes=1)


def create_token(s: Session, user_name: str, days: float | None = None, now: datetime | None = None) -> str:
    """A new API token for the user, valid `days` days (None: until revoked)."""
    user = db.user_by_name(s, normal_name(user_name))
    if user is None:
        raise InputError(f"no user named {user_name!r}: add one with `producer user add`")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = None if days is None else (now or datetime.now(UTC)) + timedelta(days=days)
    s.add(ApiToken(user_id=user.id, digest=digest(token), expires=expires))
    return token


def token_user(s: Session, token: str, now: datetime | None = None) -> User | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    found = db.token_by_digest(s, digest(token))
    if found is None:
        return None
    row, user = found
    if row.expires is not None and row.expires < (now or datetime.now(UTC)):
        return None
    return user if user.active else None


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


@dataclass(frozen=True)
class Throttle:
    """How failed logins slow down further tries, kept in the database so every web process
    shares it.

    Counted per (client address, account): someone guessing a colleague's password from another
    address never locks the colleague out. After `free` failures of a pair each further one doubles
    the wait, from `first_wait` up to `max_wait`. An address that fails `per_address` times over any
    accounts waits the same way. Entries expire `forget` after their last failure once their wait is
    over, and the table never holds more than `max_rows` (the oldest go first).
    """

    free: int = 5
    per_address: int = 50
    first_wait: float = 30.0
    max_wait: float = 900.0
    forget: float = 3600.0
    max_rows: int = 10_000

    def wait_after(self, failures: int, free: int) -> float:
        if failures < free:
            return 0.0
        return min(self.max_wait, self.first_wait * 2.0 ** min(failures - free, 30))


def _throttle_keys(address: str, name: str) -> tuple[str, str]:
    # Digests of length-limited text: a 19 MB name costs 64 bytes of key, like any other.
    address, name = address[:64], name[:MAX_NAME]
    return digest(f"pair\n{address}\n{name}"), digest(f"address\n{address}")


def login_wait(s: Session, address: str, name: str, now: datetime) -> float:
    """Seconds this address must still wait before trying this account again (0: it may try)."""
    waits = [
        (row.blocked_until - now).total_seconds()
        for row in db.login_failures(s, _throttle_keys(address, name))
        if row.blocked_until is not None
    ]
    return max([0.0, *waits])


def login_failed(s: Session, address: str, name: str, now: datetime, rule: Throttle = Throttle()) -> float:
    """Count a failed login; the wait it starts, in seconds (0 while it is within the free tries)."""
    pair, by_address = _throttle_keys(address, name)
    waits = []
    for key, free in ((pair, rule.free), (by_address, rule.per_address)):
        failures = db.count_login_failure(s, key, now)
        wait = rule.wait_after(failures, free)
        if wait:
            db.block_login(s, key, now + timedelta(seconds=wait))
        waits.append(wait)
    db.forget_login_failures(s, now - timedelta(seconds=rule.forget), now, rule.max_rows)
    return max(waits)


def login_succeeded(s: Session, address: str, name: str) -> None:
    db.drop_login_failures(s, _throttle_keys(address, name)[:1])
