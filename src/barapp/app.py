"""`create_app()`: the Litestar application, wired from a `Settings`: the routes of every
feature package, the templates and static files, the services kept for the app's life (bar
settings, wish jobs, pictures) and what requests may ask of them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request
from litestar.config.compression import CompressionConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from barapp.cocktails import derived, kiosk
from barapp.cocktails import routes as cocktail_routes
from barapp.cocktails.units import format_quantity
from barapp.paths import STATIC, TEMPLATES
from barapp.pictures import illustration, media
from barapp.pictures import job as picture_jobs
from barapp.pictures import routes as picture_routes
from barapp.pictures.job import Pictures
from barapp.pictures.providers import PROVIDER_NAMES, Painter
from barapp.ratings import routes as rating_routes
from barapp.ratings.quota import VoteQuota
from barapp.settings import Settings, load_settings
from barapp.shelf import routes as shelf_routes
from barapp.staff import actions, edit, home, log, login, settings_page
from barapp.store import db
from barapp.store.bar_settings import BarSettings
from barapp.store.leases import Leases
from barapp.web import health, i18n, manifest, reasons, sessions
from barapp.web.cleaning import CleanQueryString
from barapp.web.dependencies import DEPENDENCIES, from_state
from barapp.web.drafts import Drafts
from barapp.web.errors import error_page
from barapp.web.eventlog import MemoryEventLog
from barapp.web.head import HeadAsGet
from barapp.web.security_headers import SecurityHeaders
from barapp.wishes import llm
from barapp.wishes import routes as wish_routes
from barapp.wishes.job import Jobs
from barapp.wishes.records import interrupt_orphaned_wishes

ROUTES = [
    *kiosk.ROUTES,
    *cocktail_routes.ROUTES,
    *wish_routes.ROUTES,
    *picture_routes.ROUTES,
    health.healthz,
    manifest.web_manifest,
    login.login_form,
    login.login_submit,
    login.logout,
    *home.ROUTES,
    *log.ROUTES,
    *settings_page.ROUTES,
    *actions.ROUTES,
    *edit.ROUTES,
    *shelf_routes.ROUTES,
    # Ratings (ratings/)
    *rating_routes.ROUTES,
]


def configure_templates(env: Any) -> None:
    i18n.configure_jinja(env)
    reasons.configure_jinja(env)
    derived.configure_jinja(env)
    env.filters["quantity"] = format_quantity
    env.filters["thumb"] = media.thumb_name
    env.filters["provider_name"] = lambda key: PROVIDER_NAMES.get(key, key)
    env.globals["illustration"] = illustration.inline
    # A fresh token in each form that starts a wish: sent twice, it is one wish.
    env.globals["form_token"] = lambda: uuid.uuid4().hex


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()
    engine = db.make_engine(settings)
    db.use_engine(engine)
    derived.keep_in_step()
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    bar_settings = BarSettings(settings)

    async def before_request(request: Request[Any, Any, Any]) -> None:
        await bar_settings.refresh()
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
        # Wishes and pictures a dead process left will never finish: say so (only theirs:
        # another live process may share the database).
        await leases.start()
        if settings.ollama_warm_up:
            warm = asyncio.create_task(llm.warm_up(settings))
            warm.add_done_callback(lambda t: t.cancelled() or t.exception())
        try:
            yield
        finally:
            await jobs.shutdown()
            await leases.close()

    app = Litestar(
        route_handlers=[
            *ROUTES,
            create_static_files_router(
                path="/static",
                directories=[STATIC],
                cache_control=CacheControlHeader(max_age=24 * 3600, public=True),
                include_in_schema=False,
            ),
        ],
        before_request=before_request,
        dependencies={
            **DEPENDENCIES,
            "jobs": from_state("jobs"),
            "pictures": from_state("pictures"),
            "bartender": Provide(sessions.bartender_of),
            "can_redraw": Provide(picture_jobs.can_redraw, sync_to_thread=False),
            # Ratings (ratings/): the guest's own vote on the cocktail page, and the quota.
            "guest_stars": Provide(rating_routes.guest_stars, sync_to_thread=False),
            "rating_quota": from_state("rating_quota"),
        },
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
        state=State(
            {
                "settings": settings,
                "bar_settings": bar_settings,
                "drafts": Drafts(),
                "rating_quota": VoteQuota(),  # ratings/
            }
        ),
        openapi_config=None,
    )
    # Around Litestar's whole handler, not in `middleware=[...]`: route middleware never sees
    # the 404 of an unknown path or the 405 of a wrong method (the router raises them before
    # any route is chosen). Here it sees every response, error pages and static files included.
    app.asgi_handler = CleanQueryString(app.asgi_handler)
    app.asgi_handler = sessions.SessionMiddleware(app.asgi_handler, settings)
    app.asgi_handler = SecurityHeaders(app.asgi_handler, https=settings.barapp_https)
    app.asgi_handler = HeadAsGet(app.asgi_handler)

    leases = Leases(
        settings.lease_seconds,
        [interrupt_orphaned_wishes, picture_jobs.interrupt_orphaned_pictures],
    )
    pictures = Pictures(Painter(settings), owner=leases.owner)
    jobs = Jobs(settings, MemoryEventLog(), pictures, bar=bar_settings.current, owner=leases.owner)
    app.state.jobs = jobs
    app.state.pictures = pictures
    return app
