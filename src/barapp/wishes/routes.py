"""The wish pages: the form, starting a generation, following it live (SSE), stopping it."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Response, Template
from sse_starlette import EventSourceResponse, ServerSentEvent

from barapp.settings import Settings
from barapp.shelf import stock
from barapp.shelf.allergens import ICONS, LABELS
from barapp.shelf.knowledge import Allergen
from barapp.store.bar_settings import Bar
from barapp.store.statuses import GenerationStatus, Visibility
from barapp.store.tables import Cocktail, Generation
from barapp.web import drafts, sessions
from barapp.web.eventlog import Entry
from barapp.web.rendering import context, language_of, page, renderer
from barapp.web.requests import Form, checked, client_ip
from barapp.wishes import admission
from barapp.wishes import events as ev
from barapp.wishes.job import Jobs
from barapp.wishes.live import LiveRenderer
from barapp.wishes.queue import QueueFull
from barapp.wishes.shelf_schema import allergens_of

log = logging.getLogger("barapp.wishes")

ALLERGEN_BOXES = tuple((a.value, LABELS[a], ICONS[a]) for a in Allergen)
"""The wish form's boxes ("No egg"...): each sent as `no_<allergen>`, its label translated."""
BOX_FIELDS = tuple(f"no_{a.value}" for a in Allergen)


def ticked(form: dict[str, str]) -> tuple[Allergen, ...]:
    """The allergens a wish form's boxes ask to avoid."""
    boxes = zip(Allergen, BOX_FIELDS, strict=True)
    return allergens_of(allergen.value for allergen, box in boxes if checked(form, box))


# Ids of the events that replay a generation's end from the database, past any live event's.
FINAL_EVENT_IDS = 1_000_001


async def wish_page(
    request: Request[Any, Any, Any],
    jobs: Jobs,
    settings: Settings,
    bar: Bar,
    status_code: int = 200,
    template: str = "generate.html",
    **context: Any,
) -> Template:
    """The wish page before a wish (or its start again, with a refused wish kept). Whether
    the bar's AI answers and guests may wish is said before anything is typed."""
    models, down = await admission.offered_models(jobs, settings)
    return page(
        request,
        template,
        status_code,
        allergen_boxes=ALLERGEN_BOXES,
        models=models,
        ollama_down=down,
        closed=not bar.guests_may_generate,
        default_model=settings.ollama_default_model,
        **context,
    )


@get("/generate", include_in_schema=False)
async def generate_form(
    request: Request[Any, Any, Any],
    jobs: NamedDependency[Jobs],
    settings: NamedDependency[Settings],
    bar: NamedDependency[Bar],
    wish: FromQuery[str] = "",
) -> Template:
    # A wish refused with a stale page comes back in the box, to send or change; a refused
    # (off-topic) one comes back by its link, to be changed (its allergen boxes with it).
    kept = drafts.take(request, "wish")
    boxes = {box: drafts.take(request, box) for box in BOX_FIELDS} if kept else {}
    avoid = ticked(boxes or dict(request.query_params))
    kept = kept or wish[: admission.MAX_WISH]
    return await wish_page(request, jobs, settings, bar, wish=kept, avoid=avoid)


# Refused for a stale page, the guest is sent back here, their wish kept (web/drafts.py).
@post(
    "/generate",
    include_in_schema=False,
    status_code=200,
    opt={drafts.FORM_PAGE: "/generate", drafts.DRAFT: ("wish", *BOX_FIELDS)},
)
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
    sent = str(data.get("form_token", ""))
    token = sent if admission.FORM_TOKEN.fullmatch(sent) else None
    lang = language_of(request)
    avoid = ticked(data)
    models, _ = await admission.offered_models(jobs, settings)
    error = None
    if not wish:
        error = "empty"
    elif len(wish) > admission.MAX_WISH:
        error = "too_long"
    elif model not in models:
        error = "model"
    if error:
        return await _refuse(request, jobs, settings, bar, 400, error, wish, model, avoid)
    guest, ip = sessions.guest_of(request), client_ip(request)
    counted = bartender is None and (
        bar.guest_wishes_per_hour or bar.ip_wishes_per_hour or not bar.guests_may_generate
    )
    # Counting and recording one at a time: checked side by side, ten simultaneous wishes
    # would all pass a quota of two.
    # The same form sent twice (a double tap) is one wish: checked under the same lock, and a
    # unique column settles a race between processes.
    async with jobs.admission if counted or token else contextlib.nullcontext():
        gen_id: str | None = None
        limit: str | None = None
        try:
            gen_id, token = await admission.wish_of_form(token, guest)
            if gen_id is None and counted:
                limit = await admission.guest_limit(bar, guest, ip)
            if gen_id is None and not limit:
                try:
                    gen_id = await jobs.submit(
                        wish, model, lang, guest=guest, ip=ip, form_token=token, avoid=avoid
                    )
                except QueueFull:
                    limit = "busy"
                except Exception:  # another process recorded this form first?
                    gen_id, _ = await admission.wish_of_form(token, guest)
                    if gen_id is None:
                        raise
        except Exception:  # the wish cannot even be recorded: say so, keep it in the form
            log.exception("could not record a wish")
            gen_id, limit = None, "storage"
    if limit or gen_id is None:
        limit = limit or "storage"
        status = {"closed": 403, "busy": 503, "storage": 503}.get(limit, 429)
        return await _refuse(request, jobs, settings, bar, status, limit, wish, model, avoid)
    if not request.htmx:
        return Redirect(f"/generations/{gen_id}", status_code=303)
    # The address bar follows the wish: a reload (or a shared link) finds it at its own page.
    return page(
        request,
        "_drink_stage.html",
        headers={"HX-Push-Url": f"/generations/{gen_id}"},
        generation={"id": gen_id, "wish": wish, "language": lang},
        wish=wish,
        model=model,
        avoid=avoid,
        live=True,
    )


async def _refuse(
    request: HTMXRequest,
    jobs: Jobs,
    settings: Settings,
    bar: Bar,
    status: int,
    error: str,
    wish: str,
    model: str,
    avoid: tuple[Allergen, ...] = (),
) -> Template:
    """The form again, with the wish as typed, its allergen boxes and the reason, in the
    guest's language: the whole page, or for htmx the stage's start (the part the form's
    answer replaces)."""
    template = "_wish_start.html" if request.htmx else "generate.html"
    return await wish_page(
        request,
        jobs,
        settings,
        bar,
        status,
        template,
        error=error,
        wish=wish,
        model=model,
        avoid=avoid,
    )


async def _generation(gen_id: uuid.UUID) -> dict[str, Any]:
    row = await Generation.select().where(Generation.id == gen_id).first().output(load_json=True)
    if row is None:
        raise NotFoundException()
    # Its "Try again" carries the allergen boxes the guest ticked.
    return {**row, "avoid": allergens_of(row["avoid"] or ())}


async def final_result(generation: dict[str, Any], request: Request[Any, Any, Any]) -> ev.Result:
    """What a finished generation shows: its cocktail, the refusal, or why it failed."""
    status, cocktail = generation["status"], None
    if status == GenerationStatus.DONE and generation["cocktail"]:
        cocktail = (
            await Cocktail.select()
            .where(Cocktail.id == generation["cocktail"])
            .first()
            .output(load_json=True)
        )
        # The generation's link is shareable: it shows what the gallery would, plus the
        # wisher's own drink while it waits for approval; a hidden one stays hidden.
        own = generation["guest"] == sessions.guest_of(request)
        if cocktail and not (
            cocktail["visibility"] == Visibility.VISIBLE
            or (cocktail["visibility"] == Visibility.PENDING and own)
            or await sessions.bartender_of(request)
        ):
            cocktail = None
    return ev.Result(
        status,
        generation["wish"],
        generation["model"],
        cocktail=cocktail,
        reason=generation["reason"],
        # A refusal keeps the model's message as its detail.
        message=generation["detail"] if status == GenerationStatus.REFUSED else "",
    )


@get("/generations/{gen_id:uuid}", include_in_schema=False)
async def generation_page(
    request: Request[Any, Any, Any], gen_id: FromPath[uuid.UUID], jobs: NamedDependency[Jobs]
) -> Template:
    generation = await _generation(gen_id)
    running = generation["status"] in (GenerationStatus.QUEUED, GenerationStatus.RUNNING)
    live = running and jobs.events.has(str(gen_id))
    final = {} if live else msgspec.structs.asdict(await final_result(generation, request))
    return page(
        request,
        "generation.html",
        generation=generation,
        live=live,
        avoid=generation["avoid"],
        **{"wish": generation["wish"], **final},
    )


# What a reader who did not make the wish is not shown of it while it streams, when the bar
# premoderates: the drink will wait for a bartender, and the gallery would not show it.
_RECIPE_EVENTS = (
    ev.Text,
    ev.Item,
    ev.Music,
    ev.Sketch,
    ev.Restart,
    ev.OffTopic,
    ev.Picture,
    ev.Result,
)


def _hidden(entry: Entry) -> bool:
    """Not for a reader who may only see the drink as the gallery would (the end comes from
    the database instead, through `final_result`)."""
    return entry.terminal or isinstance(entry.event, _RECIPE_EVENTS)


@get("/generations/{gen_id:uuid}/events", include_in_schema=False)
async def generation_events(
    request: Request[Any, Any, Any],
    gen_id: FromPath[uuid.UUID],
    jobs: NamedDependency[Jobs],
    bartender: NamedDependency[dict[str, Any] | None],
    bar: NamedDependency[Bar],
) -> EventSourceResponse:
    log, key = jobs.events, str(gen_id)
    generation = await _generation(gen_id)  # an unknown one is a 404 before any stream
    try:
        after = int(request.headers.get("last-event-id") or 0)
    except ValueError:
        after = 0
    # The replay shows a reader what the gallery would: everything to the guest who made the
    # wish and to bartenders; to others, a finished wish's final state (which hides a pending
    # or hidden drink), and a running one without its recipe if the bar premoderates.
    own = bartender is not None or generation["guest"] == sessions.guest_of(request)
    running = generation["status"] in (GenerationStatus.QUEUED, GenerationStatus.RUNNING)
    live_log = log.has(key) and (own or running)
    hide_recipe = not own and bar.premoderation
    # Rendered for this reader: their language, and the moderation bar if a bartender (asking
    # for `bartender` looked them up; the page context reads it).
    page_context = {**context(request), "drink_lang": generation["language"]}
    page_context["avoid"] = generation["avoid"]
    if bartender is not None:  # the saved card's "missing:" line, as the cocktail page has it
        page_context["stocked"] = await stock.poured_keys()
    live = LiveRenderer(renderer(request), page_context, key)

    def sse(event_id: int, event: ev.Event) -> bytes:
        name, html = live(event)
        return ServerSentEvent(data=html, event=name, id=str(event_id)).encode()

    async def final_state() -> AsyncIterator[bytes]:
        result = await final_result(await _generation(gen_id), request)
        final: list[ev.Event] = [ev.Status(""), result, ev.End()]
        for n, event in enumerate(final, start=FINAL_EVENT_IDS):
            yield sse(n, event)

    async def replay() -> AsyncIterator[bytes]:
        if live_log and after < FINAL_EVENT_IDS:
            async for batch in log.follow(key, after):
                shown = [e for e in batch if not (hide_recipe and _hidden(e))]
                if shown:
                    yield b"".join(sse(e.id, e.event) for e in shown)  # type: ignore[arg-type]
                if shown and shown[-1].terminal:
                    return
        # The job ended long ago (or in another process), the reader resumes at or past the
        # end, or may only see how it ended: the final state from the database, then the end.
        async for chunk in final_state():
            yield chunk

    return EventSourceResponse(replay(), ping=15, send_timeout=30)


@post(
    "/generations/{gen_id:uuid}/stop",
    include_in_schema=False,
    status_code=200,
    opt={drafts.FORM_PAGE: "/generations/{gen_id}"},
)
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
