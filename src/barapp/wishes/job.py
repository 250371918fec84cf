"""A wish's journey, as a background job that does not belong to any HTTP connection:
queued -> running -> done (a saved cocktail) | refused (off-topic) | failed | stopped |
interrupted. What the guest sees is appended to the event log as typed events
(`wishes/events.py`); the SSE endpoint renders them for each reader (`wishes/live.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from barapp.cocktails.model import parse_record, slugify, to_row
from barapp.pictures.job import INTERRUPTED_COLUMNS, Pictures, save_interrupted, set_columns
from barapp.settings import Settings
from barapp.store import bar_settings, db
from barapp.store.bar_settings import Bar
from barapp.store.leases import Orphaned
from barapp.store.recipe import Recipe
from barapp.store.statuses import FailureReason as Reason
from barapp.store.statuses import GenerationStatus as Status
from barapp.store.statuses import ImageStatus, Visibility
from barapp.store.tables import Cocktail, Generation
from barapp.wishes import llm, prompt
from barapp.wishes.answer import InvalidOutput, Refusal, read_answer, salvage
from barapp.text import clean
from barapp.wishes.drinkwords import names_a_drink
from barapp.wishes.eventlog import EventLog
from barapp.wishes.events import Emitter
from barapp.wishes.jsonstream import JSONStream, JSONStreamError, ValueDone
from barapp.wishes.loops import LoopGuard
from barapp.wishes.queue import FairQueue

log = logging.getLogger("barapp.wishes")

SAMPLING: tuple[dict[str, float], ...] = (
    {"temperature": 0.8},
    {"temperature": 0.5, "top_p": 0.9, "repeat_penalty": 1.2},
)
"""The first try, and the retry: cooler and wary of repeating itself, so it writes otherwise."""
CUT_OFF = frozenset({Reason.TRUNCATED, Reason.STALLED, Reason.CONNECTION_LOST, Reason.STREAM_ERROR})
"""Failures that end an answer midway: what was written may hold a drink worth keeping."""
RETRIED = frozenset({Reason.TRUNCATED, Reason.LOOPING, Reason.INVALID_OUTPUT})
"""The model's own failures, which another try may not repeat."""


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Job:
    """What one wish's job holds besides its stream: the picture being drawn, the saved
    cocktail (from then on a cancellation only loses the picture)."""

    gen_id: str
    picture: asyncio.Task[dict[str, str]] | None = None
    cocktail: dict[str, Any] | None = None
    started_at: datetime | None = None
    note: tuple[Reason, str] | None = None
    """Why the answer was cut, and what was kept of it, for the bartenders' log."""


class Jobs:
    """The running generations of this process."""

    def __init__(
        self,
        settings: Settings,
        events: EventLog,
        pictures: Pictures,
        bar: Callable[[], Bar] | None = None,
        owner: str = "",
    ) -> None:
        self.settings = settings
        self.owner = owner
        """This process's name on its wishes and pictures (its lease: store/leases.py)."""
        # The bar's settings as a bartender last saved them (unit system, name, moderation).
        self.bar = bar or (lambda: bar_settings.defaults(settings))
        self.events = events
        self.queue = FairQueue(settings.ollama_concurrency, settings.ollama_max_queue)
        self.ollama = llm.Ollama(settings)
        self.pictures = pictures
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.stopping: set[str] = set()
        self.recording: set[asyncio.Task[None]] = set()
        """Ends of wishes that could not be written, being retried."""
        self.admission = asyncio.Lock()
        """Held while a guest's quota is counted and their wish recorded."""

    async def submit(self, wish: str, model: str, lang: str, guest: str = "", ip: str = "") -> str:
        """Record the wish and start its job at once (the model may load while the browser
        opens the stream). Raises QueueFull."""
        gen_id = str(uuid.uuid4())
        self.queue.reserve(gen_id)
        try:
            row = Generation(
                id=uuid.UUID(gen_id),
                wish=wish,
                model=model,
                language=lang,
                guest=guest,
                ip=ip,
                owner=self.owner,
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
        stream = Emitter(self.events, gen_id, wish, model)
        job = _Job(gen_id)
        try:
            stream.status("queued", place=0)
            await self.queue.wait_turn(gen_id, lambda place: stream.status("queued", place=place))
            # Kept in memory and written with the outcome: a write here would delay the request
            # to Ollama (measured: 5-10 ms of the time to the first visible word).
            job.started_at = now()
            stream.status("thinking")
            answer, stats, first_token_at = await self._answer(stream, job, wish, model)
            await self._finish(gen_id, stream, job, answer, stats, first_token_at, lang)
        except llm.LLMFailure as failure:
            await self._fail(gen_id, stream, job, Status.FAILED, failure.reason, failure.detail)
        except asyncio.CancelledError:
            stopped = gen_id in self.stopping
            status = Status.STOPPED if stopped else Status.INTERRUPTED
            # The job is being cancelled: the record and the last event must still be written.
            with db.shielded():
                if job.cocktail is None:
                    reason = Reason.STOPPED if stopped else Reason.INTERRUPTED
                    await self._fail(gen_id, stream, job, status, reason, "")
                else:  # the drink is saved; only its picture is lost
                    await save_interrupted(str(job.cocktail["id"]))
                    stream.picture({**job.cocktail, **INTERRUPTED_COLUMNS})
                    stream.close()
            raise
        except Exception as exc:
            log.exception("generation %s crashed", gen_id)
            await self._fail(
                gen_id, stream, job, Status.FAILED, Reason.INTERNAL, type(exc).__name__
            )
        finally:
            self.stopping.discard(gen_id)
            if job.picture is not None:
                job.picture.cancel()  # nothing will show or keep it now
            with db.shielded():
                await self.queue.leave(gen_id)

    async def _answer(
        self, stream: Emitter, job: _Job, wish: str, model: str
    ) -> tuple[Recipe | Refusal, llm.Stats, datetime | None]:
        """The model's answer, read and repaired; asked once more, with other sampling, when
        it cannot be read, loops or is cut off, all within the bar's time for a wish. A cut-off
        answer that holds a drink the bar can pour is kept (job.note says so). The picture
        starts as soon as the image prompt is written (job.picture)."""
        seconds = self.bar().wish_seconds
        deadline = asyncio.get_running_loop().time() + seconds
        messages = prompt.messages(wish, self.bar().bar_name)
        schema = prompt.SCHEMA
        for attempt, sampling in enumerate(SAMPLING, start=1):
            stats = llm.Stats()
            parser = JSONStream(clean=clean)
            guard = LoopGuard()
            first_token_at: datetime | None = None
            cut: tuple[Reason, str] | None = None
            fragments = llm.stream_answer(self.ollama, model, messages, stats, sampling, schema)
            try:
                async with asyncio.timeout_at(deadline), contextlib.aclosing(fragments):
                    async for fragment in fragments:
                        if first_token_at is None:
                            first_token_at = now()
                            stream.status("writing")
                        parsed = parser.feed(fragment)
                        stream.relay(parsed)
                        if job.picture is None and self.pictures.painter.enabled:
                            image_prompt = _image_prompt(parsed)
                            if image_prompt:
                                job.picture = self.pictures.start(image_prompt)
                        if guard.looping(parsed):
                            cut = (Reason.LOOPING, guard.detail())
                            break  # closing the stream stops Ollama writing
                if cut is None:
                    answer = read_answer(parser.close())
                    if not (isinstance(answer, Refusal) and attempt == 1 and names_a_drink(wish)):
                        return answer, stats, first_token_at
                    # A refusal of a wish that names a drink is not believed: asked again with
                    # the cocktail's shape alone.
                    log.info("%s refused a wish that names a drink; asking again", model)
                    schema = prompt.COCKTAIL_SCHEMA
                    stream.restart()
                    continue
            except TimeoutError:
                cut = (Reason.TOO_SLOW, f"past the bar's {seconds} s for a wish")
            except llm.LLMFailure as failure:
                if failure.reason not in CUT_OFF:
                    raise
                cut = (failure.reason, failure.detail)
            except (JSONStreamError, InvalidOutput) as exc:
                cut = (Reason.INVALID_OUTPUT, str(exc))
            recipe = salvage(parser.partial())
            if recipe is not None:
                kept = f"kept {len(recipe.ingredients)} ingredients, {len(recipe.steps)} steps"
                job.note = (cut[0], f"{kept} (try {attempt}): {cut[1]}")
                log.info("kept a cut-off answer from %s: %s", model, job.note[1])
                return recipe, stats, first_token_at
            if attempt == len(SAMPLING) or cut[0] not in RETRIED:
                raise llm.LLMFailure(*cut)
            log.info("%s answer from %s, asking again: %s", cut[0], model, cut[1])
            stream.restart()
            if job.picture is not None:  # the next answer brings its own image prompt
                job.picture.cancel()
                job.picture = None
        raise AssertionError("unreachable")

    async def _finish(
        self,
        gen_id: str,
        stream: Emitter,
        job: _Job,
        answer: Recipe | Refusal,
        stats: llm.Stats,
        first_token_at: datetime | None,
        lang: str,
    ) -> None:
        timings = {
            "started_at": job.started_at,
            "first_token_at": first_token_at,
            "finished_at": now(),
            "prompt_tokens": stats.prompt_tokens,
            "output_tokens": stats.output_tokens,
            "load_seconds": stats.load_seconds,
            "eval_seconds": stats.eval_seconds,
        }
        if isinstance(answer, Refusal):
            # The message is kept: a reload shows the same friendly redirect.
            await _update(gen_id, status=Status.REFUSED, detail=answer.message, **timings)
            stream.end(Status.REFUSED, message=answer.message)
            return
        record = parse_record(
            {
                **msgspec.to_builtins(answer),
                "llm_model": stream.model,
                "wish": stream.wish,
                "language": lang,
            }
        )
        values: dict[Any, Any] = to_row(record)
        if self.bar().premoderation:
            # The gallery shows it once a bartender approves.
            values["visibility"] = Visibility.PENDING
        picture, job.picture = job.picture, None
        if picture is not None and picture.done() and not picture.cancelled():
            values.update(picture.result())
        elif picture is not None:
            provider = self.pictures.painter.provider
            values.update(
                image_status=ImageStatus.PENDING, image_provider=provider, image_owner=self.owner
            )

        async def save() -> None:
            values.update(id=uuid.uuid4(), slug=await _free_slug(record.name), created_at=now())
            await Cocktail.insert(Cocktail(**values))
            reason, detail = job.note or ("", "")
            await Generation.update(
                {
                    Generation.status: Status.DONE,
                    Generation.cocktail: values["id"],
                    Generation.reason: reason,
                    Generation.detail: detail,
                    **_columns(timings),
                }
            ).where(Generation.id == uuid.UUID(gen_id))

        try:
            await db.write(save)
        except BaseException as exc:
            if picture is not None:
                picture.cancel()
            if isinstance(exc, Exception):  # the drink cannot be kept: the storage says why
                raise llm.LLMFailure(Reason.STORAGE, f"{type(exc).__name__}: {exc}") from exc
            raise
        job.cocktail = values
        # The row as written is the card's data: reading it back cost a connection per wish.
        stream.result(Status.DONE, cocktail=dict(values))
        if values["image_status"] == ImageStatus.PENDING:
            assert picture is not None
            job.picture = picture  # cancelled with the job from here on
            columns = await picture
            job.picture = None
            await db.write(lambda: set_columns(str(values["id"]), columns))
            values.update(columns)
            stream.picture(dict(values))
        stream.close()

    async def _fail(
        self,
        gen_id: str,
        stream: Emitter,
        job: _Job,
        status: Status,
        reason: Reason,
        detail: str,
    ) -> None:
        values = {
            "status": status,
            "reason": reason,
            "detail": detail[:2000],
            "started_at": job.started_at,
            "finished_at": now(),
        }
        try:
            await _update(gen_id, **values)
        except Exception:
            # The database cannot be written (full, read-only): the guest is told now, and the
            # row is not left "queued" for ever once the database is back.
            log.exception("could not record the end of generation %s; will retry", gen_id)
            task = asyncio.create_task(_record_later(gen_id, values))
            self.recording.add(task)
            task.add_done_callback(self.recording.discard)
        stream.end(status, reason=reason)


def interrupt_orphaned_wishes(orphaned: Orphaned) -> Any:
    """The update (run by store/leases.py) of the wishes a dead process left queued or running:
    they will never finish."""
    return Generation.update(
        {
            Generation.status: Status.INTERRUPTED,
            Generation.reason: Reason.INTERRUPTED,
            Generation.detail: "the app stopped",
            Generation.finished_at: now(),
        }
    ).where(Generation.status.is_in([Status.QUEUED, Status.RUNNING]) & orphaned(Generation.owner))


def _columns(values: dict[str, Any]) -> dict[Any, Any]:
    return {getattr(Generation, key): value for key, value in values.items()}


RECORD_RETRY_SECONDS = 10.0


async def _record_later(gen_id: str, values: dict[str, Any], tries: int = 360) -> None:
    """Write a wish's end once the database takes writes again (for up to an hour)."""
    for _ in range(tries):
        await asyncio.sleep(RECORD_RETRY_SECONDS)
        with contextlib.suppress(Exception):  # still not writable: the next try says more
            await _update(gen_id, **values)
            return


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
