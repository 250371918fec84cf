"""What a request may ask for, the Litestar way, and the only reads of the app's state outside
`app.py`.

Route handlers name what they need as parameters (`settings`, `bar`, `bar_settings`, and
what `app.py` adds: `bartender`, and the services it keeps in its state, `jobs` and
`pictures`); Litestar fills them from `DEPENDENCIES`. Code that runs outside a handler (the
page context, guards) calls `settings_of` and `bar_of`.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import Provide

from barapp.settings import Settings
from barapp.store.bar_settings import Bar, BarSettings


def settings_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Settings:
    settings: Settings = connection.app.state.settings
    return settings


def bar_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Bar:
    """The bar's settings as last loaded (refreshed before each request)."""
    holder: BarSettings = connection.app.state.bar_settings
    return holder.current()


def from_state(name: str) -> Provide:
    """A service the app keeps in its state (the jobs, the pictures), as a dependency."""

    def provide(state: State) -> Any:
        return state[name]

    return Provide(provide, sync_to_thread=False)


def _bar(state: State) -> Bar:
    holder: BarSettings = state["bar_settings"]
    return holder.current()


DEPENDENCIES: dict[str, Provide] = {
    "settings": from_state("settings"),
    "bar_settings": from_state("bar_settings"),
    "bar": Provide(_bar, sync_to_thread=False),
}
