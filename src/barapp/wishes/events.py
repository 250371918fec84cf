"""What a wish's job says, as typed events: the job knows nothing of HTML (`wishes/live.py`
renders each event for each reader, in the reader's own language and role).

`Emitter` turns the parser's field events into these events for one generation, gathering text
deltas for at most `COALESCE_SECONDS` (a fast model writes several tokens per frame: this
bounds the event rate at no visible cost), and appends them to the event log.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import msgspec

from barapp.web.eventlog import EventLog
from barapp.wishes.jsonstream import StringDelta, ValueDone

COALESCE_SECONDS = 0.03
# Fields whose text is shown as it is written (an off-topic answer's message too); the other
# recipe fields appear whole.
STREAMED_FIELDS = ("name", "description", "glass", "garnish", "message")
# Items that appear whole, one by one, as each is complete.
LISTS = ("ingredients", "steps")
# What the sketch of the drink is drawn from, besides the ingredients (written before them).
SKETCHED = (("name",), ("glass",), ("garnish",))


class Status(msgspec.Struct, frozen=True):
    """Where the wish is: queued (with its place and the estimated wait, in seconds: 0 when
    there is no estimate yet), thinking, writing; "" once it has ended."""

    state: str
    place: int = 0
    wait_seconds: int = 0


class Text(msgspec.Struct, frozen=True):
    """More text of a streamed field."""

    field: str
    text: str


class Item(msgspec.Struct, frozen=True):
    """An ingredient or a step, complete."""

    list: str
    value: Any


class Music(msgspec.Struct, frozen=True):
    value: Any


class Sketch(msgspec.Struct, frozen=True):
    """The glass and the ingredients are known: the card can show the drink drawn from them
    (`painting`: a picture is being drawn too, and will follow)."""

    name: str
    glass: str
    garnish: str
    ingredients: list[Any]
    painting: bool = False


class Restart(msgspec.Struct, frozen=True):
    """The answer was broken and is asked again: the card starts empty."""


class OffTopic(msgspec.Struct, frozen=True):
    """The model answers that the wish is not about drinks: its message follows, no card."""


class Result(msgspec.Struct, frozen=True):
    """How the wish ended: done (with the saved cocktail's row), refused (with the model's
    message), or a failure with its reason."""

    outcome: str
    wish: str
    model: str
    cocktail: dict[str, Any] | None = None
    message: str = ""
    reason: str = ""


class Picture(msgspec.Struct, frozen=True):
    """The saved cocktail's picture is there (or failed): its row, image columns updated."""

    cocktail: dict[str, Any]


class End(msgspec.Struct, frozen=True):
    """Nothing follows: the reader closes its stream."""


Event = Status | Text | Item | Music | Sketch | Restart | OffTopic | Result | Picture | End


class Emitter:
    """The events of one generation, in order, into the log."""

    def __init__(
        self, log: EventLog, gen_id: str, wish: str, model: str, painting: bool = False
    ) -> None:
        self.log = log
        self.painting = painting
        """Whether a picture will be drawn (an image service is on): the sketch says so."""
        self.known: dict[str, Any] = {}
        """The drawing's parts written so far: name, glass, garnish."""
        self.gen_id = gen_id
        self.wish = wish
        self.model = model
        self.pending: dict[str, list[str]] = {}
        self.last_flush = 0.0
        self.timer: asyncio.TimerHandle | None = None

    def send(self, event: Event) -> None:
        self.log.append(self.gen_id, event, terminal=isinstance(event, End))

    def status(self, state: str, place: int = 0, wait_seconds: int = 0) -> None:
        self.send(Status(state, place, wait_seconds))

    def relay(self, parsed: list[Any]) -> None:
        for event in parsed:
            path = event.path
            if isinstance(event, StringDelta) and len(path) == 1 and path[0] in STREAMED_FIELDS:
                self.pending.setdefault(path[0], []).append(event.text)
            elif isinstance(event, ValueDone) and len(path) == 2 and path[0] in LISTS:
                self.flush()  # the text written before this item goes first
                self.send(Item(path[0], event.value))
            elif isinstance(event, ValueDone) and path == ("music",):
                self.flush()
                self.send(Music(event.value))
            elif isinstance(event, ValueDone) and path == ("kind",) and event.value == "off_topic":
                self.send(OffTopic())
            elif isinstance(event, ValueDone) and path in SKETCHED:
                self.known[path[0]] = event.value
            elif isinstance(event, ValueDone) and path == ("ingredients",):
                self.flush()
                self.send(self._sketch(event.value))
        self._schedule()

    def _sketch(self, ingredients: Any) -> Sketch:
        text = {k: str(v) if isinstance(v, str) else "" for k, v in self.known.items()}
        items = ingredients if isinstance(ingredients, list) else []
        return Sketch(
            text.get("name", ""),
            text.get("glass", ""),
            text.get("garnish", ""),
            items,
            self.painting,
        )

    def _schedule(self) -> None:
        if not self.pending or self.timer is not None:
            return
        wait = COALESCE_SECONDS - (time.monotonic() - self.last_flush)
        if wait <= 0:
            self.flush()
        else:
            self.timer = asyncio.get_running_loop().call_later(wait, self.flush)

    def flush(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        for name, pieces in self.pending.items():
            self.send(Text(name, "".join(pieces)))
        self.pending.clear()
        self.last_flush = time.monotonic()

    def restart(self) -> None:
        self.pending.clear()
        self.known.clear()
        self.send(Restart())

    def result(self, outcome: str, **details: Any) -> None:
        self.flush()
        self.send(Status(""))  # the stop button goes
        self.send(Result(outcome, self.wish, self.model, **details))

    def end(self, outcome: str, **details: Any) -> None:
        self.result(outcome, **details)
        self.close()

    def picture(self, cocktail: dict[str, Any]) -> None:
        self.send(Picture(cocktail))

    def close(self) -> None:
        self.send(End())
