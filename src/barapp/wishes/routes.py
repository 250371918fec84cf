"""The wish pages: the form, starting a generation, following it live (SSE), stopping it."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Response, Template
from sse_starlette import EventSourceResponse, ServerSentEvent

from barapp.settings import Settings
from barapp.store.bar_settings import Bar
from barapp.store.tables import Cocktail, Generation
from barapp.web import sessions
from barapp.web.rendering import language_of, page
from barapp.web.requests import Form, client_ip
from barapp.wishes import llm
from barapp.wishes.job import Jobs
from barapp.wishes.queue import QueueFull

MAX_WISH = 500


async def offered_models(
    jobs: NamedDependency[Jobs], settings: NamedDependency[Settings]
) -> tuple[list[str], bool]:
    """The models guests may pick, and whether Ollama is down (then: the configured ones)."""
    try:
        models = await jobs.ollama.models()
    except llm.LLMFailure:
        fallback = list(settings.ollama_models) or [settings.ollama_default_model]
        return fallback, True
    return models or [settings.ollama_default_model], False


async def wish_page(
    request: Request[Any, Any, Any],
    jobs: Jobs,
    settings: Settings,
    status_code: int = 200,
    **context: Any,
) -> Template:
    models, down = await offered_models(jobs, settings)
    return page(
        request,
        "generate.html",
        status_code,
        models=models,
        ollama_down=down,
        ollama_host=settings.ollama_base_url,
        default_model=settings.ollama_default_model,
        **context,
    )


@get("/generate", include_in_schema=False)
async def generate_form(
    request: Request[Any, Any, Any],
    jobs: NamedDependency[Jobs],
    settings: NamedDependency[Settings],
) -> Template:
    return await wish_page(request, jobs, settings)


@post("/generate", include_in_schema=False, status_code=200)
async def generate(
    request: HTMXRequest,
    data: Form,
    jobs: NamedDependency[Jobs],
    settings: NamedDependency[Settings],
    bar: NamedDependency[Bar],
    bartender: NamedDependency[dict[str, Any] | None],
) -> Template | Redirect:
    wish = " ".join(str(data.get("wish", "")).split())
    model = str(data.get("model", ""))
    lang = language_of(request)
    models, _ = await offered_models(jobs, settings)
    error = None
    if not wish:
        error = "empty"
    elif len(wish) > MAX_WISH:
        error = "too_long"
    elif model not in models:
        error = "model"
    if error:
        return await _refuse(request, jobs, settings, 400, error, wish, model)
    guest, ip = sessions.guest_of(request), client_ip(request)
    counted = bartender is None and (
        bar.guest_wishes_per_hour or bar.ip_wishes_per_hour or not bar.guests_may_generate
    )
    # Counting and recording one at a time: checked side by side, ten simultaneous wishes
    # would all pass a quota of two.
    async with jobs.admission if counted else contextlib.nullcontext():
        limit = await _guest_limit(bar, guest, ip) if counted else None
        if not limit:
            try:
                gen_id = await jobs.submit(wish, model, lang, guest=guest, ip=ip)
            except QueueFull:
                limit = "busy"
    if limit:
        status = {"closed": 403, "busy": 503}.get(limit, 429)
        return await _refuse(request, jobs, settings, status, limit, wish, model)
    if not request.htmx:
        return Redirect(f"/generations/{gen_id}", status_code=303)
    # The address bar follows the wish: a reload (or a shared link) finds it at its own page.
    return page(
        request,
        "_generation.html",
        headers={"HX-Push-Url": f"/generations/{gen_id}"},
        generation={"id": gen_id},
        live=True,
    )


async def _refuse(
    request: HTMXRequest,
    jobs: Jobs,
    settings: Settings,
    status: int,
    error: str,
    wish: str,
    model: str,
) -> Template:
    """The form again, with the wish as typed and the reason, in the guest's language."""
    if request.htmx:
        return page(request, "_wish_refused.html", status, error=error, wish=wish, model=model)
    return await wish_page(request, jobs, settings, status, error=error, wish=wish, model=model)


async def _guest_limit(bar: NamedDependency[Bar], guest: str, ip: str) -> str | None:
    """Why a guest may not wish now: "closed", "quota_guest", "quota_ip", or None."""
    if not bar.guests_may_generate:
        return "closed"
    since = datetime.now(UTC) - timedelta(hours=1)
    # A wish the bar failed to serve does not count against the guest.
    counted = Generation.status.not_in(["failed", "interrupted"]) & (Generation.created_at > since)
    for column, value, limit, reason in (
        (Generation.guest, guest, bar.guest_wishes_per_hour, "quota_guest"),
        (Generation.ip, ip, bar.ip_wishes_per_hour, "quota_ip"),
    ):
        if limit and value and await Generation.count().where(counted & (column == value)) >= limit:
            return reason
    return None


async def _generation(gen_id: uuid.UUID) -> dict[str, Any]:
    row = await Generation.select().where(Generation.id == gen_id).first()
    if row is None:
        raise NotFoundException()
    return dict(row)


async def final_context(
    generation: dict[str, Any], request: Request[Any, Any, Any]
) -> dict[str, Any]:
    """What a finished generation shows: its cocktail, the refusal, or why it failed."""
    status = generation["status"]
    context: dict[str, Any] = {
        "outcome": status,
        "wish": generation["wish"],
        "model": generation["model"],
        "reason": (generation["error"] or "").split(":")[0],
        "message": "",
        "cocktail": None,
    }
    if status == "done" and generation["cocktail"]:
        cocktail = (
            await Cocktail.select()
            .where(Cocktail.id == generation["cocktail"])
            .first()
            .output(load_json=True)
        )
        # The generation's link is shareable: it shows what the gallery would, plus the
        # wisher's own drink while it waits for approval; a hidden one stays hidden.
        own = generation["guest"] == sessions.guest_of(request)
        if cocktail and (
            cocktail["visibility"] == "visible"
            or (cocktail["visibility"] == "pending" and own)
            or await sessions.bartender_of(request)
        ):
            context["cocktail"] = cocktail
    return context


@get("/generations/{gen_id:uuid}", include_in_schema=False)
async def generation_page(
    request: Request[Any, Any, Any], gen_id: FromPath[uuid.UUID], jobs: NamedDependency[Jobs]
) -> Template:
    generation = await _generation(gen_id)
    running = generation["status"] in ("queued", "running")
    live = running and jobs.events.has(str(gen_id))
    context = {} if live else await final_context(generation, request)
    return page(
        request,
        "generation.html",
        generation=generation,
        live=live,
        **{"wish": generation["wish"], **context},
    )


@get("/generations/{gen_id:uuid}/events", include_in_schema=False)
async def generation_events(
    request: Request[Any, Any, Any],
    gen_id: FromPath[uuid.UUID],
    jobs: NamedDependency[Jobs],
    bar: NamedDependency[Bar],
) -> EventSourceResponse:
    events = jobs.events
    key = str(gen_id)
    try:
        after = int(request.headers.get("last-event-id") or 0)
    except ValueError:
        after = 0

    async def replay() -> AsyncIterator[ServerSentEvent | bytes]:
        if events.has(key):
            async for batch in events.follow(key, after):
                yield b"".join(
                    ServerSentEvent(data=e.data, event=e.name, id=str(e.id)).encode() for e in batch
                )
            return
        # The job ended long ago (or in another process): its final state, then the end.
        generation = await _generation(gen_id)
        context = await final_context(generation, request)
        html = jobs.render(
            "_generation_result.html",
            lang=language_of(request),
            unit_system=bar.unit_system,
            **context,
        )
        yield ServerSentEvent(data="", event="status", id="1000001")
        yield ServerSentEvent(data=html, event="result", id="1000002")
        yield ServerSentEvent(data="", event="end", id="1000003")

    return EventSourceResponse(replay(), ping=15, send_timeout=30)


@post("/generations/{gen_id:uuid}/stop", include_in_schema=False, status_code=200)
async def stop_generation(
    request: HTMXRequest,
    gen_id: FromPath[uuid.UUID],
    jobs: NamedDependency[Jobs],
    bartender: NamedDependency[dict[str, Any] | None],
) -> Response[str] | Redirect:
    generation = await _generation(gen_id)
    # Only the guest who made the wish (or a bartender) stops it.
    if generation["guest"] != sessions.guest_of(request) and bartender is None:
        raise PermissionDeniedException()
    jobs.stop(str(gen_id))
    if request.htmx:
        return Response("", status_code=204)
    return Redirect(f"/generations/{gen_id}", status_code=303)


ROUTES = [generate_form, generate, generation_page, generation_events, stop_generation]
