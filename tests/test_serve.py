"""`barapp serve` itself, in a subprocess: what uvicorn is told about proxies, and HEAD through
the real server. The client address limits count by is the connection's own unless the
connection comes from a proxy listed in TRUSTED_PROXIES."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.serving import serve

PASSWORD = "not the password, surely"


def env_for(home: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{home}/serve.sqlite3",
        "MEDIA_DIR": str(home / "media"),
        "DEFAULT_LANGUAGE": "en",
        **extra,
    }


def failed_login_as_seen_by(url: str, home: Path) -> tuple[str, httpx.Response]:
    """A wrong login sent with forged proxy headers; the address its failure was counted by."""
    with httpx.Client(base_url=url) as client:
        form = client.get("/login").text
        match = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert match
        response = client.post(
            "/login",
            data={"name": "marie", "password": PASSWORD, "csrf_token": match.group(1)},
            headers={"x-forwarded-for": "1.2.3.4", "x-forwarded-proto": "https"},
        )
    assert response.status_code == 400
    with sqlite3.connect(home / "serve.sqlite3") as conn:
        (ip,) = conn.execute("SELECT ip FROM login_failure").fetchone()
    return ip, response


def test_forwarded_headers_are_ignored_by_default(tmp_path: Path) -> None:
    with (tmp_path / "serve.log").open("w") as log, serve(env_for(tmp_path), log) as url:
        ip, response = failed_login_as_seen_by(url, tmp_path)
        with httpx.Client(base_url=url) as client:
            answers = [(client.head(path), client.get(path)) for path in ("/healthz", "/")]
    assert ip == "127.0.0.1"  # not 1.2.3.4: anyone can write that header
    assert "strict-transport-security" not in response.headers  # nor claim https
    # HEAD through uvicorn itself: GET's status and length, no body, and no error logged.
    for head, got in answers:
        assert head.status_code == got.status_code
        assert head.content == b""
        assert head.headers.get("content-length") == got.headers.get("content-length")
    assert [a.status_code for a, _ in answers] == [200, 200]  # / is the home
    server_log = (tmp_path / "serve.log").read_text()
    assert "Application startup complete" in server_log
    assert "ERROR" not in server_log and "Traceback" not in server_log


@pytest.mark.parametrize("trusted", ["127.0.0.1", "127.0.0.0/8, 10.0.0.0/8", "*"])
def test_a_trusted_proxy_names_the_guest(tmp_path: Path, trusted: str) -> None:
    with serve(env_for(tmp_path, TRUSTED_PROXIES=trusted)) as url:
        ip, response = failed_login_as_seen_by(url, tmp_path)
    assert ip == "1.2.3.4"
    assert "strict-transport-security" in response.headers
