"""Asking the model for one wish's drink: the answer streamed, watched for loops and cut-offs,
salvaged when it holds a drink the bar can pour, and asked once more otherwise (within the
bar's time for a wish). The job (`wishes/job.py`) records whatever comes out of it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from barapp.pictures.job import Pictures
from barapp.shelf import allergens
from barapp.store.bar_settings import Bar
from barapp.store.recipe import Recipe
from barapp.store.statuses import FailureReason as Reason
from barapp.text import clean
from barapp.wishes import llm, prompt, shelf_schema
from barapp.wishes.answer import InvalidOutput, Refusal, read_answer, salvage
from barapp.wishes.events import Emitter
from barapp.wishes.jsonstream import JSONStream, JSONStreamError, ValueDone
from barapp.wishes.loops import LoopGuard
from barapp.wishes.shelf_schema import Shelf
from barapp.wishes.topic import Shape, shape_of

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
class JobState:
    """What one wish's job holds besides its stream: the picture being drawn, the saved
    cocktail (from then on a cancellation only loses the picture)."""

    gen_id: str
    picture: asyncio.Task[dict[str, str]] | None = None
    cocktail: dict[str, Any] | None = None
    started_at: datetime | None = None
    note: tuple[Reason, str] | None = None
    """Why the answer was cut, and what was kept of it, for the bartenders' log."""
    first_token_at: datetime | None = None
    """The current try's first token, kept for the log when the wish ends without an answer
    (stopped, failed midway)."""
    stats: llm.Stats | None = None
    """The current try's token counts (Ollama's, once its last chunk came)."""
    streamed: int = 0
    """The current try's tokens received so far (Ollama streams one per chunk)."""

    def timings(self) -> dict[str, Any]:
        """What is known of the current try's timings and tokens, for a wish that ends without
        an answer: the log shows them rather than nothing."""
        stats = self.stats or llm.Stats()
        streamed = self.streamed or None
        return {
            "first_token_at": self.first_token_at,
            "prompt_tokens": stats.prompt_tokens,
            "output_tokens": stats.output_tokens if stats.output_tokens is not None else streamed,
            "load_seconds": stats.load_seconds,
            "eval_seconds": stats.eval_seconds,
        }


async def ask(
    ollama: llm.Ollama,
    pictures: Pictures,
    bar: Bar,
    stream: Emitter,
    job: JobState,
    wish: str,
    model: str,
    shelf: Shelf | None = None,
) -> tuple[Recipe | Refusal, llm.Stats, datetime | None]:
    """The model's answer, read and repaired; asked once more, with other sampling, when
    it cannot be read, loops or is cut off, all within the bar's time for a wish. A cut-off
    answer that holds a drink the bar can pour is kept (job.note says so). The picture
    starts as soon as the image prompt is written (job.picture). `shelf`, what the bar's
    shelf offers this wish (read once, when its job started), makes the prompt and the
    schema of both tries."""
    shelf = shelf or Shelf()
    seconds = bar.wish_seconds
    deadline = asyncio.get_running_loop().time() + seconds
    messages = prompt.messages(wish, bar.bar_name, shelf=shelf)
    shape = shape_of(wish)
    if shape is Shape.OFF_TOPIC:
        # The bar's own redirect, in the reader's language: a small model's was often
        # garbled, and the model's time is the next guest's.
        return Refusal(""), llm.Stats(), None
    schema = shelf_schema.schemas(shelf)[shape]
    for attempt, sampling in enumerate(SAMPLING, start=1):
        stats = job.stats = llm.Stats()
        job.first_token_at, job.streamed = None, 0
        parser = JSONStream(clean=clean)
        guard = LoopGuard()
        first_token_at: datetime | None = None
        cut: tuple[Reason, str] | None = None
        fragments = llm.stream_answer(ollama, model, messages, stats, sampling, schema)
        try:
            async with asyncio.timeout_at(deadline), contextlib.aclosing(fragments):
                async for fragment in fragments:
                    job.streamed += 1
                    if first_token_at is None:
                        first_token_at = job.first_token_at = now()
                        stream.status("writing")
                    parsed = parser.feed(fragment)
                    stream.relay(parsed)
                    if job.picture is None and pictures.painter.enabled:
                        written = image_prompt(parsed)
                        if written:
                            job.picture = pictures.start(written)
                    if guard.looping(parsed):
                        cut = (Reason.LOOPING, guard.detail())
                        break  # closing the stream stops Ollama writing
            if cut is None:
                answer = read_answer(parser.close())
                avoided = _avoided(answer, shelf)
                if not avoided:
                    return answer, stats, first_token_at
                cut = (Reason.INVALID_OUTPUT, f"wrote {avoided}, which the guest cannot have")
        except TimeoutError:
            cut = (Reason.TOO_SLOW, f"past the bar's {seconds} s for a wish")
        except llm.LLMFailure as failure:
            if failure.reason not in CUT_OFF:
                raise
            cut = (failure.reason, failure.detail)
        except (JSONStreamError, InvalidOutput) as exc:
            cut = (Reason.INVALID_OUTPUT, str(exc))
        recipe = salvage(parser.partial())
        if recipe is not None and not _avoided(recipe, shelf):
            kept = f"kept {len(recipe.ingredients)} ingredients, {len(recipe.steps)} steps"
            job.note = (cut[0], f"{kept} (try {attempt}): {cut[1]}")
            log.info("kept a cut-off answer from %s: %s", model, job.note[1])
            return recipe, stats, first_token_at
        if attempt == len(SAMPLING) or cut[0] not in RETRIED:
            raise llm.LLMFailure(*cut)
        log.info("%s answer from %s, asking again: %s", cut[0], model, cut[1])
        looped = cut[0] is Reason.LOOPING
        messages = prompt.messages(wish, bar.bar_name, looped=looped, shelf=shelf)
        stream.restart()
        if job.picture is not None:  # the next answer brings its own image prompt
            job.picture.cancel()
            job.picture = None
    raise AssertionError("unreachable")


def _avoided(answer: Any, shelf: Shelf) -> str:
    """The allergens the guest ticked that the drink holds anyway, or "": in an ingredient or
    the garnish (free and prefer modes only ask the model; a fallback from strict mode too),
    or named in a step or a note, which no grammar constrains ("dry shake with an egg
    white"). Such a drink is never served: the answer is asked again, then the wish fails."""
    if not shelf.avoid or not isinstance(answer, Recipe):
        return ""
    names = [*(i.name for i in answer.ingredients), answer.garnish]
    texts = [*answer.steps, *(i.note for i in answer.ingredients)]
    held = allergens.of_recipe(names, shelf.own) | allergens.mentioned(texts)
    return ", ".join(a.value for a in shelf.avoid if a in held)


def image_prompt(parsed: list[Any]) -> str:
    """The image prompt, once the model has written it whole."""
    for event in parsed:
        if isinstance(event, ValueDone) and event.path == ("image_prompt",):
            return str(event.value or "").strip()
    return ""
