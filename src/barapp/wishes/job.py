"""A wish's journey, as a background job that does not belong to any HTTP connection:
queued -> running -> done (a saved cocktail) | refused (off-topic) | failed | stopped |
interrupted. What the guest sees is appended to the event log as typed events
(`wishes/events.py`); the SSE endpoint renders them for each reader (`wishes/live.py`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec

from barapp.cocktails.model import parse_record, to_row
from barapp.pictures.job import INTERRUPTED_COLUMNS, Pictures, save_interrupted, set_columns
from barapp.pictures.providers import failed
from barapp.settings import Settings
from barapp.shelf import stock
from barapp.shelf.knowledge import Allergen
from barapp.store import bar_settings, db
from barapp.store.bar_settings import Bar
from barapp.store.recipe import Recipe
from barapp.store.statuses import FailureReason as Reason
from barapp.store.statuses import GenerationStatus as Status
from barapp.store.statuses import ImageStatus, PictureReason, Visibility
from barapp.store.tables import Cocktail, Generation
from barapp.web.eventlog import EventLog
from barapp.wishes import attempts, llm, records, shelf_schema
from barapp.wishes.answer import Refusal
from barapp.wishes.attempts import JobState, now
from barapp.wishes.events import Emitter
from barapp.wishes.queue import FairQueue

log = logging.getLogger("barapp.wishes")


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

    async def submit(
        self,
        wish: str,
        model: str,
        lang: str,
        guest: str = "",
        ip: str = "",
        form_token: str | None = None,
        avoid: tuple[Allergen, ...] = (),
    ) -> str:
        """Record the wish and start its job at once (the model may load while the browser
        opens the stream). `avoid`: the allergens the guest ticked. Raises QueueFull."""
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
                form_token=form_token,
                avoid=[allergen.value for allergen in avoid],
            )
            await db.write(lambda: Generation.insert(row))
        except BaseException:
            self.queue.leave(gen_id)
            raise
        self.events.open(gen_id)
        task = asyncio.create_task(
            self._run(gen_id, wish, model, lang, avoid), name=f"wish {gen_id}"
        )
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

    async def _run(
        self, gen_id: str, wish: str, model: str, lang: str, avoid: tuple[Allergen, ...] = ()
    ) -> None:
        stream = Emitter(self.events, gen_id, wish, model, painting=self.pictures.painter.enabled)
        job = JobState(gen_id)
        try:
            stream.status("queued", place=0)
            # Read once, before the line (not between it and the model's first word), and
            # kept for the retry: both tries of a wish see the same shelf.
            shelf = await self._shelf(gen_id, lang, avoid)
            await self.queue.wait_turn(gen_id, lambda place: self._queued(stream, place))
            # Kept in memory and written with the outcome: a write here would delay the request
            # to Ollama (measured: 5-10 ms of the time to the first visible word).
            job.started_at = now()
            stream.status("thinking")
            answer, stats, first_token_at = await attempts.ask(
                self.ollama, self.pictures, self.bar(), stream, job, wish, model, shelf
            )
            if shelf.fallback and job.note is None:  # a cut answer's note says more
                job.note = (Reason.SHELF_EMPTY, shelf.fallback)
            picture = await self._finish(gen_id, stream, job, answer, stats, first_token_at, lang)
            # The line is for the model only: the next guest's recipe starts now, while this
            # drink's picture is drawn under the pictures' own limit (IMAGE_CONCURRENCY).
            self.queue.leave(gen_id)
            if picture is not None:
                await self._picture(stream, job, picture)
            stream.close()
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
            if job.cocktail is not None:  # the drink is saved and stays done: its picture is lost
                lost = failed(PictureReason.INTERNAL, type(exc).__name__)
                stream.picture({**job.cocktail, **lost})
                stream.close()
            else:
                await self._fail(
                    gen_id, stream, job, Status.FAILED, Reason.INTERNAL, type(exc).__name__
                )
        finally:
            self.stopping.discard(gen_id)
            if job.picture is not None:
                job.picture.cancel()  # nothing will show or keep it now
            self.queue.leave(gen_id)  # if it still holds its place (a failure, a stop)

    async def _shelf(
        self, gen_id: str, lang: str, avoid: tuple[Allergen, ...]
    ) -> shelf_schema.Shelf:
        """What the bar's shelf offers this wish, by the bar's shelf mode (free mode reads
        nothing but the allergens of the bar's own items, and those only when asked)."""
        mode = self.bar().shelf_mode
        items = await stock.in_stock() if mode in ("prefer", "strict") else []
        # The bar's own items' allergens, for the answer check of a guest who ticked some.
        own = await stock.own_allergens() if avoid else {}
        shelf = shelf_schema.offer(mode, items, lang, avoid, own)
        if shelf.fallback:
            log.warning("wish %s in free mode: %s", gen_id, shelf.fallback)
        return shelf

    def _queued(self, stream: Emitter, place: int) -> None:
        stream.status("queued", place=place, wait_seconds=self.queue.wait_seconds(place))

    async def _finish(
        self,
        gen_id: str,
        stream: Emitter,
        job: JobState,
        answer: Recipe | Refusal,
        stats: llm.Stats,
        first_token_at: datetime | None,
        lang: str,
    ) -> asyncio.Task[dict[str, str]] | None:
        """The answer recorded: a refusal, or the cocktail saved and its `Result` sent. Returns
        the picture still being drawn, if any (job.picture: cancelled with the job)."""
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
            await records.update(gen_id, status=Status.REFUSED, detail=answer.message, **timings)
            stream.result(Status.REFUSED, message=answer.message)
            return None
        record = parse_record(
            {
                **msgspec.to_builtins(answer),
                "llm_model": stream.model,
                "wish": stream.wish,
                "language": lang,
            }
        )
        values: dict[Any, Any] = to_row(record, await stock.own_allergens())
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
            slug = await records.free_slug(record.name)
            values.update(id=uuid.uuid4(), slug=slug, created_at=now())
            await Cocktail.insert(Cocktail(**values))
            reason, detail = job.note or ("", "")
            await Generation.update(
                {
                    Generation.status: Status.DONE,
                    Generation.cocktail: values["id"],
                    Generation.reason: reason,
                    Generation.detail: detail,
                    **records.columns(timings),
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
        if values["image_status"] != ImageStatus.PENDING:
            return None
        assert picture is not None
        job.picture = picture  # cancelled with the job from here on
        return picture

    async def _picture(
        self, stream: Emitter, job: JobState, picture: asyncio.Task[dict[str, str]]
    ) -> None:
        """Wait for the saved cocktail's picture (outside the line), then keep and show it. A
        Stop or a shutdown meanwhile records it interrupted (`_run`)."""
        assert job.cocktail is not None
        values = job.cocktail
        columns = await picture
        job.picture = None
        await db.write(lambda: set_columns(str(values["id"]), columns))
        values.update(columns)
        stream.picture(dict(values))

    async def _fail(
        self,
        gen_id: str,
        stream: Emitter,
        job: JobState,
        status: Status,
        reason: Reason,
        detail: str,
    ) -> None:
        self.queue.leave(gen_id)  # the model is done with it: the next wish need not wait
        values = {
            "status": status,
            "reason": reason,
            "detail": detail[:2000],
            "started_at": job.started_at,
            "finished_at": now(),
            **job.timings(),  # a stopped or cut stream keeps what it had: its first token...
        }
        try:
            await records.update(gen_id, **values)
        except Exception:
            # The database cannot be written (full, read-only): the guest is told now, and the
            # row is not left "queued" for ever once the database is back.
            log.exception("could not record the end of generation %s; will retry", gen_id)
            task = asyncio.create_task(records.record_later(gen_id, values))
            self.recording.add(task)
            task.add_done_callback(self.recording.discard)
        stream.end(status, reason=reason)
