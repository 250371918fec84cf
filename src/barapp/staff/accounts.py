"""Bartender accounts: names, passwords hashed with argon2id (salted, deliberately slow, from
the argon2-cffi library), and checking a login."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from barapp.store import db
from barapp.store.tables import Bartender, BartenderSession, LoginFailure

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,49}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 200
# argon2-cffi's defaults: RFC 9106's low-memory profile (64 MiB, 3 passes), about 0.1 s here.
hasher = PasswordHasher()
# Checked when the name is unknown, so that a wrong name costs as long as a wrong password
# (the time would otherwise tell which names exist).
_DUMMY_HASH = hasher.hash("not a password of anyone")
# Each hash or check fills 64 MiB: twenty logins at once in the default thread pool (six threads
# on two cores) took the app from 92 to 479 MB (bench/login_memory.py). One thread of its own
# bounds that to +66 MB whatever the crowd (two would be +130 MB), keeps the event loop and the
# default pool free, and costs a queue: 0.1-0.2 s per login ahead, rare at a bar (and the
# throttle lets few guesses through to it).
HASHING_AT_ONCE = 1
_hashing = ThreadPoolExecutor(max_workers=HASHING_AT_ONCE, thread_name_prefix="argon2")
T = TypeVar("T")


async def _argon2(work: Callable[..., T], *args: str) -> T:
    return await asyncio.get_running_loop().run_in_executor(_hashing, work, *args)


class AccountError(ValueError):
    """A refused account change; the message is for the person at the terminal."""


def clean_name(name: str) -> str:
    """Names are compared lower-case ("Marie" and "marie" are one bartender)."""
    folded = name.strip().lower()
    if not NAME.match(folded):
        raise AccountError(
            "a name is 1 to 50 letters, digits, dots, dashes or underscores (no spaces)"
        )
    return folded


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"a password has at most {MAX_PASSWORD} characters")


async def add(name: str, password: str) -> None:
    name = clean_name(name)
    check_password(password)
    digest = await _argon2(hasher.hash, password)
    if await Bartender.exists().where(Bartender.name == name):
        raise AccountError(f"bartender {name!r} already exists")
    await db.write(lambda: Bartender.insert(Bartender(name=name, password_hash=digest)))


async def set_password(name: str, password: str) -> None:
    name = clean_name(name)
    check_password(password)
    digest = await _argon2(hasher.hash, password)

    async def change() -> int:
        rows = await (
            Bartender.update({Bartender.password_hash: digest})
            .where(Bartender.name == name)
            .returning(Bartender.id)
        )
        return len(rows)

    if not await db.write(change):
        raise AccountError(f"no bartender named {name!r}")
    await forget_sessions(name)  # a new password logs every tablet out
    # ...and lifts any wait on the account: the owner who reset it logs in at once.
    await db.write(lambda: LoginFailure.delete().where(LoginFailure.name == name))


async def remove(name: str) -> None:
    name = clean_name(name)

    async def delete() -> int:
        rows = await Bartender.delete().where(Bartender.name == name).returning(Bartender.id)
        return len(rows)

    if not await db.write(delete):
        raise AccountError(f"no bartender named {name!r}")


async def names() -> list[str]:
    rows = await Bartender.select(Bartender.name).order_by(Bartender.name)
    return [row["name"] for row in rows]


async def authenticate(name: str, password: str) -> dict[str, Any] | None:
    """The bartender these credentials open, or None. As slow for an unknown name."""
    try:
        folded = clean_name(name)
    except AccountError:
        folded = ""
    row = None
    if folded:
        row = await Bartender.select().where(Bartender.name == folded).first()
    digest = row["password_hash"] if row else _DUMMY_HASH
    try:
        await _argon2(hasher.verify, digest, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        return None
    return dict(row) if row else None


async def forget_sessions(name: str) -> None:
    account = await Bartender.select(Bartender.id).where(Bartender.name == name).first()
    if account:
        await db.write(
            lambda: BartenderSession.delete().where(BartenderSession.bartender == account["id"])
        )
