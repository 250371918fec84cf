"""Bartender accounts and sessions: the login, its throttling, the cookie, logging out on the
server, and the `barapp bartender` commands."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from barapp.app import create_app
from barapp.settings import Settings
from barapp.staff import accounts, login
from barapp.store.tables import Bartender, BartenderSession, LoginFailure
from barapp.web import sessions
from tests.conftest import PASSWORD, app_client, log_in


def session_cookie(response: httpx.Response) -> str:
    header = next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and sessions.COOKIE in v
    )
    return header


async def test_passwords_are_stored_as_argon2id_hashes(app: Any) -> None:
    row = await Bartender.select().where(Bartender.name == "marie").first()
    assert row is not None
    assert row["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in row["password_hash"]


async def test_a_bartender_logs_in_with_a_new_session_token(guest: httpx.AsyncClient) -> None:
    before = guest.cookies.get(sessions.COOKIE)
    response = await log_in(guest, name="  MARIE ")  # names are not case-sensitive
    assert response.status_code == 303
    assert response.headers["location"] == "/bar"
    cookie = session_cookie(response)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    # A token planted before the login (session fixation) is not the one that logs in.
    assert guest.cookies.get(sessions.COOKIE) != before
    stored = await BartenderSession.select(BartenderSession.id).first()
    assert stored is not None
    assert stored["id"] == sessions.digest(
        guest.cookies.get(sessions.COOKIE)
    )  # only a hash is kept
    page = await guest.get("/cocktails")
    assert "Log out marie" in page.text


async def test_the_cookie_is_secure_when_https_is_on(database: Settings) -> None:
    await accounts.add("marie", PASSWORD)
    app = create_app(dataclasses.replace(database, barapp_https=True))
    async with app_client(app) as client:
        cookie = session_cookie(await log_in(client))
    assert "Secure" in cookie


@pytest.mark.parametrize(
    ("name", "password"), [("marie", "wrong password!!"), ("nobody", PASSWORD), ("", "")]
)
async def test_a_wrong_login_says_so_and_keeps_the_name(
    guest: httpx.AsyncClient, name: str, password: str
) -> None:
    response = await log_in(guest, name=name, password=password)
    assert response.status_code == 400
    assert "This name and password do not match." in response.text
    assert f'value="{name}"' in response.text
    assert password not in response.text or password == ""
    assert "Log out" not in response.text


async def age_failures(seconds: float) -> None:
    """As if the last wrong passwords had been typed `seconds` earlier (waits are short)."""
    await LoginFailure.update(
        {LoginFailure.at: LoginFailure.at - timedelta(seconds=seconds)}, force=True
    )


async def test_failures_from_one_address_make_it_wait_longer_and_longer(
    guest: httpx.AsyncClient,
) -> None:
    for _ in range(login.FREE_TRIES):
        assert (await log_in(guest, password="not the password")).status_code == 400
    # Even the right password waits now, with a clear message and a Retry-After.
    response = await log_in(guest)
    assert response.status_code == 429
    assert "Too many tries. Wait 2 seconds." in response.text
    assert response.headers["retry-after"] == "2"
    assert 'value="marie"' in response.text
    await age_failures(2)
    assert (await log_in(guest, password="still not it")).status_code == 400
    response = await log_in(guest)
    assert "Too many tries. Wait 4 seconds." in response.text  # each failure doubles the wait
    await age_failures(4)
    assert (await log_in(guest)).status_code == 303


async def test_the_wait_is_said_in_french(app: Any) -> None:
    async with app_client(app, lang="fr") as client:
        for _ in range(login.FREE_TRIES):
            await log_in(client, password="not the password")
        response = await log_in(client)
        assert response.status_code == 429
        assert "Trop d'essais. Attendez 2 secondes." in response.text
        # Ten failures in a row: 256 s, said in minutes.
        for _ in range(10 - login.FREE_TRIES):
            await LoginFailure.insert(LoginFailure(name="marie", ip="127.0.0.1"))
        response = await log_in(client)
        assert "Trop d'essais. Attendez 5 minutes." in response.text


async def test_an_attacker_elsewhere_does_not_lock_the_owner_out(app: Any) -> None:
    async with app_client(app, address="203.0.113.66") as attacker:
        codes = [(await log_in(attacker, password=f"guess {i}")).status_code for i in range(30)]
    # A few guesses were checked (more only as the waits ran out), the rest refused...
    assert codes[: login.FREE_TRIES] == [400] * login.FREE_TRIES
    assert set(codes) == {400, 429} and codes.count(400) <= login.FREE_TRIES + 3
    # ...and marie, from her own tablet, logs in at once.
    async with app_client(app, address="198.51.100.7") as owner:
        assert (await log_in(owner)).status_code == 303


async def test_logins_are_throttled_per_address(app: Any, guest: httpx.AsyncClient) -> None:
    for i in range(login.PER_ADDRESS):
        assert (await log_in(guest, name=f"guess{i}", password="x" * 12)).status_code == 400
    response = await log_in(guest)
    assert response.status_code == 429
    assert "Too many tries. Wait 15 minutes." in response.text
    assert await LoginFailure.count() == login.PER_ADDRESS
    # That address only: the owner elsewhere still logs in.
    async with app_client(app, address="198.51.100.7") as owner:
        assert (await log_in(owner)).status_code == 303


async def test_a_login_forgets_that_address_s_failures(guest: httpx.AsyncClient) -> None:
    for _ in range(login.FREE_TRIES - 1):
        await log_in(guest, password="not the password")
    assert (await log_in(guest)).status_code == 303
    assert await LoginFailure.count() == 0


async def test_a_new_password_clears_the_wait(guest: httpx.AsyncClient) -> None:
    for _ in range(login.FREE_TRIES + 2):
        await log_in(guest, password="not the password")
    assert (await log_in(guest)).status_code == 429
    # `barapp bartender set-password marie`, as the owner would run it on the bar's computer:
    await accounts.set_password("marie", "another long password")
    assert (await log_in(guest, password="another long password")).status_code == 303


async def test_logout_ends_the_session_on_the_server(app: Any, guest: httpx.AsyncClient) -> None:
    await log_in(guest)
    stolen = guest.cookies.get(sessions.COOKIE)
    assert (await guest.get("/bar")).status_code != 303
    response = await guest.post("/logout")
    assert response.status_code == 303
    assert await BartenderSession.count() == 0
    # The old cookie, replayed from another browser, opens nothing any more.
    async with app_client(app) as other:
        other.cookies.set(sessions.COOKIE, stolen, domain="testserver.local")
        replay = await other.get("/bar")
    assert replay.status_code == 303
    assert replay.headers["location"].startswith("/login")


async def test_a_new_password_logs_the_bartender_out_everywhere(guest: httpx.AsyncClient) -> None:
    await log_in(guest)
    await accounts.set_password("marie", "another long password")
    assert (await guest.get("/bar")).status_code == 303


async def test_an_expired_session_is_a_guest(guest: httpx.AsyncClient) -> None:
    await log_in(guest)
    await BartenderSession.update(
        {BartenderSession.expires_at: datetime.now(UTC) - timedelta(minutes=1)}, force=True
    )
    assert (await guest.get("/bar")).status_code == 303


async def test_a_login_form_without_its_token_is_refused_and_keeps_the_name(app: Any) -> None:
    async with app_client(app, csrf=False) as client:
        response = await client.post("/login", data={"name": "marie", "password": PASSWORD})
        form = await client.get("/login")
    assert response.status_code == 403
    assert "This page had expired." in response.text
    assert 'href="/login"' in response.text and "marie" not in response.text
    assert 'name="name" value="marie"' in form.text  # the name waits in the form
    assert PASSWORD not in response.text + form.text  # a password is never kept
    assert await BartenderSession.count() == 0


def run_cli(*args: str, stdin: str = "", env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "barapp", "bartender", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_the_bartender_commands(tmp_path: Any) -> None:
    import os

    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite3",
        "SECRET_KEY": "x" * 20,
    }
    added = run_cli("add", "Marie", stdin=PASSWORD + "\n", env=env)
    assert added.returncode == 0, added.stderr
    assert "bartender marie added" in added.stdout
    assert run_cli("add", "marie", stdin=PASSWORD + "\n", env=env).returncode == 1
    short = run_cli("add", "paul", stdin="short\n", env=env)
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    assert run_cli("add", "no spaces please", stdin=PASSWORD + "\n", env=env).returncode == 1
    assert run_cli("list", env=env).stdout.split() == ["marie"]
    # A forgotten password is reset on the bar's computer, whatever waits the login had.
    with sqlite3.connect(tmp_path / "cli.sqlite3") as conn:
        conn.executemany(
            "INSERT INTO login_failure (id, name, ip, at) VALUES (?, 'marie', ?, ?)",
            [
                (str(uuid.uuid4()), f"203.0.113.{i}", datetime.now(UTC).isoformat())
                for i in range(9)
            ],
        )
    assert run_cli("set-password", "marie", stdin="a brand new password\n", env=env).returncode == 0
    with sqlite3.connect(tmp_path / "cli.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM login_failure").fetchone() == (0,)
    assert run_cli("remove", "marie", env=env).returncode == 0
    missing = run_cli("remove", "marie", env=env)
    assert missing.returncode == 1 and "no bartender named 'marie'" in missing.stderr


async def test_old_login_failures_neither_count_nor_stay(guest: httpx.AsyncClient) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    for _ in range(5):
        await LoginFailure.insert(LoginFailure(name="marie", ip="127.0.0.1", at=long_ago))
    assert (await log_in(guest, password="still not it")).status_code == 400  # not throttled
    assert await LoginFailure.count() == 1  # the old ones were cleared with this one


async def test_a_malformed_cookie_from_another_app_does_not_hide_the_session(
    app: Any, guest: httpx.AsyncClient
) -> None:
    await log_in(guest)
    token = guest.cookies.get(sessions.COOKIE)
    async with app_client(app) as other:
        response = await other.get(
            "/bar", headers={"cookie": f'prefs={{"theme": "dark"}}; {sessions.COOKIE}={token}'}
        )
    assert response.status_code == 200


@pytest.mark.parametrize("variant", ["marie" + " " * 45 + "x", "marie\t", "\xa0MARIE\xa0"])
async def test_the_throttle_counts_every_spelling_of_one_account(
    guest: httpx.AsyncClient, variant: str
) -> None:
    for _ in range(login.FREE_TRIES):
        await log_in(guest, password="not the password")
    assert (await log_in(guest, name=variant)).status_code == 429


async def test_simultaneous_guesses_do_not_pass_the_throttle(app: Any) -> None:
    async with app_client(app) as client:
        answers = await asyncio.gather(
            *(log_in(client, password=f"guess number {i}") for i in range(12))
        )
    codes = sorted(a.status_code for a in answers)
    assert codes.count(400) <= login.FREE_TRIES
    assert codes.count(429) >= 12 - login.FREE_TRIES


async def test_a_cross_site_post_does_not_replace_the_session_cookie(app: Any) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as cookieless:
        response = await cookieless.post("/bar/settings", data={"bar_name": "x"})
        page = await cookieless.get("/cocktails")
    assert response.status_code == 403
    assert "set-cookie" not in response.headers
    assert sessions.COOKIE in page.headers["set-cookie"]  # a page read with GET starts one


@pytest.mark.parametrize(
    ("host", "counted_as"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("testclient", "testclient"),
    ],
)
def test_limits_count_an_ipv6_address_as_its_64(host: str, counted_as: str) -> None:
    from types import SimpleNamespace

    from barapp.web.requests import client_ip

    request = SimpleNamespace(client=SimpleNamespace(host=host))
    assert client_ip(request) == counted_as  # type: ignore[arg-type]


async def test_password_checks_run_one_at_a_time_off_the_event_loop(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # argon2 takes 64 MiB per check: twenty logins at once must not take twenty times that.
    real, lock = accounts.hasher, threading.Lock()
    running = peak = 0

    class Counting:
        def verify(self, digest: str, password: str) -> bool:
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            try:
                time.sleep(0.02)
                return real.verify(digest, password)
            finally:
                with lock:
                    running -= 1

    monkeypatch.setattr(accounts, "hasher", Counting())
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticking = asyncio.create_task(ticker())
    started = time.monotonic()
    results = await asyncio.gather(*(accounts.authenticate("marie", PASSWORD) for _ in range(20)))
    elapsed = time.monotonic() - started
    ticking.cancel()
    assert all(row is not None for row in results)
    assert peak == accounts.HASHING_AT_ONCE == 1
    # The loop ran all along: about one tick per 10 ms (a blocked loop would tick once).
    assert ticks >= elapsed / 0.01 / 3
