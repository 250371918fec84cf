"""`create_app()`: the Litestar application, wired from a `Settings`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request
from litestar.config.compression import CompressionConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from barapp import (
    bar_settings,
    db,
    health,
    i18n,
    llm,
    login,
    media,
    moderation,
    pages,
    picture_routes,
    pictures,
    sessions,
    wishes,
)
from barapp.eventlog import MemoryEventLog
from barapp.generation import Jobs, mark_interrupted
from barapp.paths import STATIC, TEMPLATES
from barapp.rendering import error_page
from barapp.security_headers import SecurityHeaders
from barapp.settings import Settings, load_settings


def configure_templates(env: Any) -> None:
    i18n.configure_jinja(env)
    env.filters["thumb"] = media.thumb_name
    env.filters["provider_name"] = lambda key: pictures.PROVIDER_NAMES.get(key, key)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()
    engine = db.make_engine(settings)
    db.use_engine(engine)
    settings.media_dir.mkdir(parents=True, exist_ok=True)

    async def before_request(request: Request[Any, Any, Any]) -> None:
        await bar_settings.refresh(request.app)
        await sessions.before_request(request)

    @asynccontextmanager
    async def database(app: Litestar) -> AsyncIterator[None]:
        await db.start(engine)
        try:
            yield
        finally:
            await db.stop(engine)

    @asynccontextmanager
    async def generations(app: Litestar) -> AsyncIterator[None]:
        # Wishes left queued or running by a crash will never finish: say so.
        await mark_interrupted()
        await pictures.mark_interrupted()
        if settings.ollama_warm_up:
            warm = asyncio.create_task(llm.warm_up(settings))
            warm.add_done_callback(lambda t: t.cancelled() or t.exception())
        try:
            yield
        finally:
            await app.state.jobs.shutdown()

    app = Litestar(
        route_handlers=[
            pages.index,
            pages.gallery,
            pages.cocktail_page,
            pages.set_language,
            wishes.generate_form,
            wishes.generate,
            wishes.generation_page,
            wishes.generation_events,
            wishes.stop_generation,
            health.healthz,
            create_static_files_router(
                path="/static",
                directories=[STATIC],
                cache_control=CacheControlHeader(max_age=24 * 3600, public=True),
                include_in_schema=False,
            ),
            picture_routes.media_file,
            picture_routes.illustration_svg,
            picture_routes.picture_state,
            picture_routes.redraw_picture,
            login.login_form,
            login.login_submit,
            login.logout,
            *moderation.ROUTES,
        ],
        before_request=before_request,
        # Forms here are a wish or a recipe: anything bigger is not one of ours.
        request_max_body_size=256 * 1024,
        template_config=TemplateConfig(
            directory=TEMPLATES,
            engine=JinjaTemplateEngine,
            engine_callback=lambda engine: configure_templates(engine.engine),
        ),
        plugins=[HTMXPlugin()],
        # Not the live streams: each open one would keep a compressor (measured: +128 MB per
        # 1000 streams) for events of a few hundred bytes.
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=1024, exclude=["^/generations/[^/]+/events$"]
        ),
        exception_handlers={Exception: error_page},
        lifespan=[database, generations],
        state=State({"settings": settings}),
        openapi_config=None,
    )
    # Around Litestar's whole handler, not in `middleware=[...]`: route middleware never sees
    # the 404 of an unknown path or the 405 of a wrong method (the router raises them before
    # any route is chosen). Here it sees every response, error pages and static files included.
    app.asgi_handler = sessions.SessionMiddleware(app.asgi_handler, settings)
    app.asgi_handler = SecurityHeaders(app.asgi_handler, https=settings.barapp_https)

    def render(template: str, **context: Any) -> str:
        engine = app.template_engine
        assert engine is not None
        return str(engine.get_template(template).render(**context))

    app.state.jobs = Jobs(settings, MemoryEventLog(), render, bar=lambda: bar_settings.current(app))
    return app
