"""The live card's HTML: each event of a wish's job rendered as the SSE event that fills it,
with the same template context as pages (`web/rendering.context`: language, the bar's unit
system, the bartender and their CSRF token), computed once per reader. Two readers of one
wish may see it in two languages, and a bartender gets the moderation bar on the result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import escape

from barapp.wishes import events as ev

Render = Callable[..., str]


class LiveRenderer:
    def __init__(self, render: Render, context: dict[str, Any], generation_id: str) -> None:
        self.render = render
        self.context = {**context, "generation_id": generation_id}

    def __call__(self, event: ev.Event) -> tuple[str, str]:
        """The SSE event name (the part of the card it fills) and its HTML."""
        match event:
            case ev.Text(field=field, text=text):
                return field, str(escape(text))
            case ev.Item(list="ingredients", value=value):
                return "ingredients", self._html("_live_ingredient.html", item=value)
            case ev.Item(list="steps", value=value):
                return "steps", self._html("_live_step.html", item=value)
            case ev.Music(value=value):
                return "music", self._html("_live_music.html", music=value)
            case ev.Status(state=state, place=place, wait_seconds=wait_seconds):
                # "" (ended) too: the Stop button goes, "New wish" comes back.
                return "status", self._html(
                    "_generation_status.html",
                    state=state,
                    place=place,
                    wait_seconds=wait_seconds,
                )
            case ev.Sketch() as sketch:
                return "sketch", self._html("_sketch.html", sketch=sketch)
            case ev.Restart():
                return "restart", self._html("_drink.html", live=True, cocktail=None)
            case ev.OffTopic():  # the card gives way to the message (and comes back on a restart)
                return "restart", self._html("_live_refusal.html")
            case ev.Result() as result:
                return "result", self._html(
                    "_generation_result.html",
                    outcome=result.outcome,
                    wish=result.wish,
                    model=result.model,
                    cocktail=result.cocktail,
                    message=result.message,
                    reason=result.reason,
                    live_picture=True,
                    inline_picture=True,
                    live=True,
                )
            case ev.Picture(cocktail=cocktail):
                return "picture", self._html("_picture.html", cocktail=cocktail)
            case ev.End():
                return "end", ""
        raise TypeError(f"not a live event: {event!r}")

    def _html(self, template: str, **values: Any) -> str:
        return self.render(template, **self.context, **values)
