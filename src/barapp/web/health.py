"""`GET /healthz`: is the app able to serve, and are its neighbours (database, media folder,
Ollama) there?

200 while the app can read and write its database and its media folder, even with Ollama down
(guests can still browse the gallery); 503 with the cause when the database does not answer or
cannot be written (read-only, full: the last failed write says so, `db.StorageFault`), or the
media folder cannot be written or is nearly full. Anyone (an uptime monitor) gets the verdict
and the causes; the details (addresses, versions, errors) are for bartenders.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import httpx
from litestar import Response, get
from litestar.di import NamedDependency

from barapp.settings import Settings
from barapp.store import db
from barapp.store.tables import Cocktail

MEDIA_FREE_BYTES = 50 * 1024 * 1024
"""Below this much free space for pictures, the media folder counts as full."""


async def database_status() -> dict[str, Any]:
    engine = db.current_engine()
    status: dict[str, Any] = {"ok": True, "engine": engine.engine_type}
    try:
        await asyncio.wait_for(Cocktail.count(), timeout=5)
    except Exception as exc:
        return {**status, "ok": False, "cause": "database_unreachable", "error": type(exc).__name__}
    if db.StorageFault.fault:
        return {
            **status,
            "ok": False,
            "cause": "database_unwritable",
            "error": db.StorageFault.fault,
        }
    return status


def media_status(folder: Path) -> dict[str, Any]:
    """A real write probe: permission bits say nothing to root, nor of a read-only mount."""
    status: dict[str, Any] = {"ok": True, "folder": str(folder)}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".healthz-"):
            pass
        free = shutil.disk_usage(folder).free
    except OSError as exc:
        error = f"{type(exc).__name__}: {os.strerror(exc.errno) if exc.errno else exc}"
        return {**status, "ok": False, "cause": "media_unwritable", "error": error}
    status["free_mb"] = free // (1024 * 1024)
    if free < MEDIA_FREE_BYTES:
        return {**status, "ok": False, "cause": "media_full"}
    return status


async def ollama_status(base_url: str) -> dict[str, Any]:
    status: dict[str, Any] = {"host": base_url, "reachable": False, "version": None}
    try:
        async with httpx.AsyncClient(timeout=httpx.Timeout(2.0)) as client:
            response = await client.get(f"{base_url}/api/version")
            response.raise_for_status()
            status.update(reachable=True, version=response.json().get("version"))
    except (httpx.HTTPError, ValueError) as exc:
        status["error"] = type(exc).__name__
    return status


@get("/healthz", include_in_schema=False)
async def healthz(
    settings: NamedDependency[Settings], bartender: NamedDependency[dict[str, Any] | None]
) -> Response[dict[str, Any]]:
    database, media, ollama = await asyncio.gather(
        database_status(),
        asyncio.to_thread(media_status, settings.media_dir),
        ollama_status(settings.ollama_base_url),
    )
    causes = [check["cause"] for check in (database, media) if not check["ok"]]
    body: dict[str, Any] = {"status": "degraded" if causes else "ok", "causes": causes}
    if bartender is not None:
        body.update(
            database=database,
            media=media,
            ollama=ollama,
            image_provider=settings.effective_image_provider,
        )
    else:
        body.update(
            database={"ok": database["ok"]},
            media={"ok": media["ok"]},
            ollama={"reachable": ollama["reachable"]},
        )
    return Response(body, status_code=503 if causes else 200)
