"""`GET /healthz`: is the app able to serve, and are its neighbours (database, Ollama) there?

200 while the app and its database work, even with Ollama down (guests can still browse the
gallery); 503 when the database does not answer.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from litestar import Response, get
from litestar.di import NamedDependency

from barapp.settings import Settings
from barapp.store import db
from barapp.store.tables import Cocktail


async def database_status() -> dict[str, Any]:
    engine = db.current_engine()
    try:
        await asyncio.wait_for(Cocktail.count(), timeout=5)
    except Exception as exc:
        return {"ok": False, "engine": engine.engine_type, "error": type(exc).__name__}
    return {"ok": True, "engine": engine.engine_type}


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
async def healthz(settings: NamedDependency[Settings]) -> Response[dict[str, Any]]:
    database, ollama = await asyncio.gather(
        database_status(), ollama_status(settings.ollama_base_url)
    )
    body = {
        "status": "ok" if database["ok"] else "degraded",
        "database": database,
        "ollama": ollama,
        "image_provider": settings.effective_image_provider,
    }
    return Response(body, status_code=200 if database["ok"] else 503)
