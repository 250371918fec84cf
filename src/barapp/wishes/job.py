"""A wish's journey, as a background job that does not belong to any HTTP connection:
queued -> running -> done (a saved cocktail) | refused (off-topic) | failed | stopped |
interrupted. Everything the guest sees is appended to the event log as small HTML fragments;
the SSE endpoint only relays them.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from markupsafe import escape

from barapp.cocktails.model import InvalidRecord, parse_record, slugify, to_row
from barapp.pictures.job import INTERRUPTED_COLUMNS, Pictures, save_interrupted, set_columns
from barapp.settings import Settings
from barapp.store import bar_settings, db
from barapp.store.bar_settings import Bar
from barapp.store.tables import Cocktail, Generation
from barapp.wishes import llm, prompt
from barapp.wishes.eventlog import EventLog
from barapp.wishes.jsonstream import JSONStream, JSONStreamError, StringDelta, ValueDone
from barapp.wishes.queue import FairQueue

log = logging.getLogger("barapp.wishes.job")

# Text deltas of one stream are gathered for at most this long before they are sent: it bounds
# the event rate (a fast model writes several tokens per frame) at no visible cost.
COALESCE_SECONDS = 0.03
STREAMED_FIELDS = ("name", "description", "glass", "garnish")
# Items that appear whole, one by one, as each is complete.
LISTS = {"ingredients": "_live_ingredient.html", "steps": "_live_step.html"}
Render = Callable[..., str]


class InvalidOutput(Exception):
    """The model's answer is not valid JSON or does not fit the schema (retried once)."""


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Job:
    """What one wish's job holds besides its stream: the picture being drawn, the saved
    cocktail (from then on a cancellation only loses the picture)."""

    gen_id: str
    picture: asyncio.Task[dict[str, str]] | None = None
    cocktail: dict[str, Any] | None = None


class Jobs:
    """The running generations of this process."""

    def __init__(
        self,
        settings: Settings,
        events: EventLog,
        render: Render,
        pictures: Pictures,
        bar: Callable[[], Bar] | None = None,
    ) -> None:
        self.settings = settings
        # The bar's settings as a bartender last saved them (unit system, name, moderation).
        self.bar = bar or (lambda: bar_settings.defaults(settings))
        self.events = events
        self.render = render
        self.queue = FairQueue(settings.ollama_concurrency, settings.ollama_max_queue)
        self.ollama = llm.Ollama(settings)
        self.pictures = pictures
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.stopping: set[str] = set()
        self.admission = asyncio.Lock()
        """Held while a guest's quota is counted and their wish recorded."""

    async def submit(self, wish: str, model: str, lang: str, guest: str = "", ip: str = "") -> str:
        """Record the wish and start its job at once (the model may load while the browser
        opens the stream). Raises QueueFull."""
        gen_id = str(uuid.uuid4())
        self.queue.reserve(gen_id)
        try:
            row = Generation(
                id=uuid.UUID(gen_id), wish=wish, model=model, language=lang, guest=guest, ip=ip
            )
            await db.write(lambda: Generation.insert(row))
        except BaseException:
            await self.queue.leave(gen_id)
            raise
        self.events.open(gen_id)
        task = asyncio.create_task(self._run(gen_id, wish, model, lang), name=f"wish {gen_id}")
        self.tasks[gen_id] = task
        task.add_done_callback(lambda _: self.tasks.pop(gen_id, None))
        return gen_id

    def stop(self, gen_id: str) -> bool:
        task = self.tasks.get(gen_id)
        if task is None:
            return False
        self.stopping.add(gen_id)
        task.cancel()
        return True

    async def shutdown(self) -> None:
        """Cancel what is running; each job records itself as interrupted."""
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.pictures.shutdown()
        await self.ollama.close()

    # The job ---------------------------------------------------------------------------

    async def _run(self, gen_id: str, wish: str, model: str, lang: str) -> None:
        ctx = {
            "lang": lang,
            "unit_system": self.bar().unit_system,
            "generation_id": gen_id,
            "wish": wish,
            "model": model,
        }
        stream = _Emitter(self.events, gen_id, self.render, ctx)
        job = _Job(gen_id)
        try:
            stream.status("queued", place=0)
            await self.queue.wait_turn(gen_id, lambda place: stream.status("queued", place=place))
            # Kept in memory and written with the outcome: a write here would delay the request
            # to Ollama (measured: 5-10 ms of the time to the first visible word).
            stream.started_at = now()
            stream.status("thinking")
            document, stats, first_token_at = await self._answer(stream, job, wish, model)
            await self._finish(
                gen_id, stream, job, document, stats, first_token_at, wish, model, lang
            )
        except llm.LLMFailure as failure:
            await self._fail(gen_id, stream, "failed", failure.reason, str(failure))
        except asyncio.CancelledError:
            status = "stopped" if gen_id in self.stopping else "interrupted"
            # The job is being cancelled: the record and the last event must still be written.
            with db.shielded():
                if job.cocktail is None:
                    await self._fail(gen_id, stream, status, status, "")
                else:  # the drink is saved; only its picture is lost
                    await save_interrupted(str(job.cocktail["id"]))
                    stream.picture({**job.cocktail, **INTERRUPTED_COLUMNS})
                    stream.close()
            raise
        except Exception as exc:
            log.exception("generation %s crashed", gen_id)
            await self._fail(gen_id, stream, "failed", "internal", type(exc).__name__)
        finally:
            self.stopping.discard(gen_id)
            if job.picture is not None:
                job.picture.cancel()  # nothing will show or keep it now
            with db.shielded():
                await self.queue.leave(gen_id)

    async def _answer(
        self, stream: _Emitter, job: _Job, wish: str, model: str
    ) -> tuple[dict[str, Any], llm.Stats, datetime | None]:
        """The model's answer as a validated document; one retry when it breaks the format.
        The picture starts as soon as the image prompt is written (job.picture)."""
        for attempt in (1, 2):
            stats = llm.Stats()
            parser = JSONStream()
            first_token_at: datetime | None = None
            try:
                async for fragment in llm.stream_answer(
                    self.ollama, model, prompt.messages(wish, self.bar().bar_name), stats
                ):
                    if first_token_at is None:
                        first_token_at = now()
                        stream.status("writing")
                    parsed = parser.feed(fragment)
                    stream.relay(parsed)
                    if job.picture is None and self.pictures.painter.enabled:
                        image_prompt = _image_prompt(parsed)
                        if image_prompt:
                            job.picture = self.pictures.start(image_prompt)
                document = parser.close()
                return _checked(document), stats, first_token_at
            except (JSONStreamError, InvalidOutput) as exc:
                if attempt == 2:
                    raise llm.LLMFailure(llm.INVALID_OUTPUT, str(exc)) from exc
                log.info("invalid answer from %s, retrying: %s", model, exc)
                stream.restart()
                if job.picture is not None:  # the next answer brings its own image prompt
                    job.picture.cancel()
                    job.picture = None
        raise AssertionError("unreachable")

    async def _finish(
        self,
        gen_id: str,
        stream: _Emitter,
        job: _Job,
        document: dict[str, Any],
        stats: llm.Stats,
        first_token_at: datetime | None,
        wish: str,
        model: str,
        lang: str,
    ) -> None:
        timings = {
            "started_at": stream.started_at,
            "first_token_at": first_token_at,
            "finished_at": now(),
            "prompt_tokens": stats.prompt_tokens,
            "output_tokens": stats.output_tokens,
            "load_seconds": stats.load_seconds,
            "eval_seconds": stats.eval_seconds,
        }
        if document["kind"] == "off_topic":
            await _update(gen_id, status="refused", **timings)
            stream.end("refused", message=document["message"])
            return
        record = _record(document, wish, model, lang)
        values: dict[Any, Any] = to_row(record)
        if self.bar().premoderation:
            values["visibility"] = "pending"  # the gallery shows it once a bartender approves
        picture, job.picture = job.picture, None
        if picture is not None and picture.done() and not picture.cancelled():
            values.update(picture.result())
        elif picture is not None:
            values.update(image_status="pending", image_provider=self.pictures.painter.provider)

        async def save() -> None:
            values.update(id=uuid.uuid4(), slug=await _free_slug(record.name), created_at=now())
            await Cocktail.insert(Cocktail(**values))
            await Generation.update(
                {Generation.status: "done", Generation.cocktail: values["id"], **_columns(timings)}
            ).where(Generation.id == uuid.UUID(gen_id))

        try:
            await db.write(save)
        except BaseException:
            if picture is not None:
                picture.cancel()
            raise
        job.cocktail = values
        # The row as written is the card's data: reading it back cost a connection per wish.
        stream.result("done", cocktail=values)
        if values["image_status"] == "pending":
            assert picture is not None
            job.picture = picture  # cancelled with the job from here on
            columns = await picture
            job.picture = None
            await db.write(lambda: set_columns(str(values["id"]), columns))
            values.update(columns)
            stream.picture(values)
        stream.close()

    async def _fail(
        self, gen_id: str, stream: _Emitter, status: str, reason: str, detail: str
    ) -> None:
        try:
            await _update(
                gen_id,
                status=status,
                error=f"{reason}: {detail}"[:2000],
                started_at=stream.started_at,
                finished_at=now(),
            )
        except Exception:
            log.exception("could not record the end of generation %s", gen_id)
        stream.end(status, reason=reason)


async def mark_interrupted() -> None:
    """At start-up: wishes a previous process left queued or running will never finish."""
    await db.write(
        lambda: Generation.update(
            {
                Generation.status: "interrupted",
                Generation.error: "interrupted: the app stopped",
                Generation.finished_at: now(),
            }
        ).where(Generation.status.is_in(["queued", "running"]))
    )


def _columns(values: dict[str, Any]) -> dict[Any, Any]:
    return {getattr(Generation, key): value for key, value in values.items()}


async def _update(gen_id: str, **values: Any) -> None:
    await db.write(
        lambda: Generation.update(_columns(values)).where(Generation.id == uuid.UUID(gen_id))
    )


async def _free_slug(name: str) -> str:
    base = slugify(name)
    taken = {
        row["slug"]
        for row in await Cocktail.select(Cocktail.slug).where(
            (Cocktail.slug == base) | Cocktail.slug.like(f"{base}-%")
        )
    }
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _image_prompt(parsed: list[Any]) -> str:
    for event in parsed:
        if isinstance(event, ValueDone) and event.path == ("image_prompt",):
            return str(event.value or "").strip()
    return ""


def _checked(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise InvalidOutput("the answer is not a JSON object")
    missing = [key for key in prompt.SCHEMA["required"] if key not in document]
    if missing:
        raise InvalidOutput(f"missing fields: {', '.join(missing)}")
    if document["kind"] not in ("cocktail", "off_topic"):
        raise InvalidOutput(f"kind: {document['kind']!r}")
    if document["kind"] == "off_topic":
        if not isinstance(document["message"], str) or not document["message"].strip():
            raise InvalidOutput("off_topic without a message")
        return document
    try:
        _record(document, "", "", "en")
    except InvalidRecord as exc:
        raise InvalidOutput(str(exc)) from None
    return document


def _record(document: dict[str, Any], wish: str, model: str, lang: str) -> Any:
    return parse_record(
        {
            "name": document["name"],
            "description": document["description"],
            "glass": document["glass"],
            "garnish": document["garnish"],
            "image_prompt": document["image_prompt"],
            "alcoholic": document["alcoholic"],
            "ingredients": document["ingredients"],
            "steps": document["steps"],
            "music": document["music"],
            "llm_model": model,
            "wish": wish,
            "language": lang,
        }
    )


class _Emitter:
    """Turns parser events into the SSE events of one generation, coalescing text deltas."""

    def __init__(self, events: EventLog, gen_id: str, render: Render, ctx: dict[str, Any]):
        self.events = events
        self.gen_id = gen_id
        self.render = render
        self.ctx = ctx
        self.pending: dict[str, list[str]] = {}
        self.started_at: datetime | None = None
        self.last_flush = 0.0
        self.timer: asyncio.TimerHandle | None = None

    def _send(self, name: str, data: str, terminal: bool = False) -> None:
        self.events.append(self.gen_id, name, data, terminal)

    def status(self, state: str, place: int = 0) -> None:
        self._send(
            "status", self.render("_generation_status.html", state=state, place=place, **self.ctx)
        )

    def relay(self, parsed: list[Any]) -> None:
        for event in parsed:
            path = event.path
            if isinstance(event, StringDelta) and len(path) == 1 and path[0] in STREAMED_FIELDS:
                self.pending.setdefault(path[0], []).append(event.text)
            elif isinstance(event, ValueDone) and len(path) == 2 and path[0] in LISTS:
                self.flush()  # the text written before this item goes first
                html = self.render(LISTS[path[0]], item=event.value, **self.ctx)
                self._send(path[0], html)
            elif isinstance(event, ValueDone) and path == ("music",):
                self.flush()
                self._send("music", self.render("_live_music.html", music=event.value, **self.ctx))
        self._schedule()

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
            self._send(name, str(escape("".join(pieces))))
        self.pending.clear()
        self.last_flush = time.monotonic()

    def restart(self) -> None:
        """The answer is thrown away and asked again: empty the card."""
        self.pending.clear()
        self._send("restart", self.render("_live_card.html", **self.ctx))

    def end(self, outcome: str, **context: Any) -> None:
        self.result(outcome, **context)
        self.close()

    def result(self, outcome: str, **context: Any) -> None:
        self.flush()
        self._send("status", "")  # the stop button goes
        self._send(
            "result",
            self.render(
                "_generation_result.html",
                outcome=outcome,
                live_picture=True,
                **context,
                **self.ctx,
            ),
        )

    def picture(self, cocktail: dict[str, Any]) -> None:
        self._send("picture", self.render("_picture.html", cocktail=cocktail, **self.ctx))

    def close(self) -> None:
        self._send("end", "", terminal=True)
