"""Who may do what: argon2 password hashes, login sessions, API tokens, roles, login throttling.

Session ids and API tokens are random; only their SHA-256 digests are stored, so a copy of the
database lets no one in. Roles are ordered: a viewer previews, an editor composes, renders and
publishes, an admin also manages the station and its users.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta

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


def validate_new_user(name: str, role: str, password: str) -> None:
    if not name or len(name) > 64 or not name.isprintable() or name.strip() != name:
        raise InputError("a user name is 1-64 printable characters without surrounding spaces")
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}: use {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD or password in DEFAULT_PASSWORDS:
        raise InputError(f"the password must have at least {MIN_PASSWORD} characters and not be a common one")


def add_user(s: Session, name: str, role: str, password: str) -> User:
    validate_new_user(name, role, password)
    if db.user_by_name(s, name) is not None:
        raise InputError(f"user {name!r} already exists")
    user = User(name=name, role=role, password_hash=hash_password(password))
    s.add(user)
    s.flush()
    return user


def set_password(user: User, password: str) -> None:
    validate_new_user(user.name, user.role, password)
    user.password_hash = hash_password(password)


def authenticate(s: Session, name: str, password: str) -> User | None:
    user = db.user_by_name(s, name)
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
        set_password(user, password)
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


def create_token(s: Session, user_name: str) -> str:
    user = db.user_by_name(s, user_name)
    if user is None:
        raise InputError(f"no user named {user_name!r}: add one with `producer user add`")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    s.add(ApiToken(user_id=user.id, digest=digest(token)))
    return token


def token_user(s: Session, token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    user = db.user_by_token(s, digest(token))
    return user if user is not None and user.active else None


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


class LoginThrottle:
    """Failed logins allowed per user name and per client address within `window` seconds.

    The per-name limit stops guessing one account's password; the looser per-address limit stops
    one client trying many accounts without locking out a whole office behind one address.
    """

    def __init__(self, per_name: int = 5, per_address: int = 20, window: float = 300.0) -> None:
        self.limits = {"u": per_name, "a": per_address}
        self.window = window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _count(self, key: str, now: float) -> int:
        times = self._failures.get(key)
        if times is None:
            return 0
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
            return 0
        return len(times)

    def blocked(self, address: str, name: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return self._count(f"u:{name}", now) >= self.limits["u"] or (
                self._count(f"a:{address}", now) >= self.limits["a"]
            )

    def failed(self, address: str, name: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in (f"u:{name}", f"a:{address}"):
                self._failures[key].append(now)

    def succeeded(self, address: str, name: str) -> None:
        with self._lock:
            self._failures.pop(f"u:{name}", None)
