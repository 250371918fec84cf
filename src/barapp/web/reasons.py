"""What each failure reason says to the people at the bar, in one place: the templates show
`failure_message(reason)` and `picture_message(reason)`, translated in the reader's language.
(`N_` marks a message for the catalog, `pybabel extract`; it is translated when shown.)"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from barapp.store.statuses import FailureReason, PictureReason
from barapp.web.i18n import translations


def N_(message: str) -> str:
    return message


FAILURE_MESSAGES: dict[FailureReason, str] = {
    FailureReason.STOPPED: N_("Stopped. Your wish is kept: try again whenever you like."),
    FailureReason.INTERRUPTED: N_("The bar's AI was interrupted. Your wish is kept: try again."),
    FailureReason.UNREACHABLE: N_("The bar's AI is resting right now: ask the bartender."),
    FailureReason.MODEL_NOT_FOUND: N_(
        "The bar's AI cannot make this one right now: ask the bartender."
    ),
    FailureReason.BUSY: N_("The bar's AI is busy. Please try again in a moment."),
    FailureReason.FIRST_TOKEN_TIMEOUT: N_("The bar's AI took too long to answer."),
    FailureReason.STALLED: N_("The bar's AI took too long to answer."),
    FailureReason.TRUNCATED: N_("The bar's AI lost its thread on this one. Try again."),
    FailureReason.LOOPING: N_("The bar's AI went round in circles on this one. Try again."),
    FailureReason.TOO_SLOW: N_("The bar's AI took too long on this one."),
    FailureReason.INVALID_OUTPUT: N_("The bar's AI lost its thread on this one. Try again."),
    FailureReason.CONNECTION_LOST: N_("The bar's AI stopped answering midway. Try again."),
    FailureReason.OLLAMA_ERROR: N_("Something went wrong while making your cocktail."),
    FailureReason.STREAM_ERROR: N_("Something went wrong while making your cocktail."),
    FailureReason.INTERNAL: N_("Something went wrong while making your cocktail."),
    FailureReason.STORAGE: N_(
        "The bar could not save your cocktail right now. Please tell a bartender."
    ),
    FailureReason.SHELF_EMPTY: N_("Something went wrong while making your cocktail."),
}
"""What a guest reads: what happened and what to do, never how to fix the machine."""
STAFF_NOTES: dict[FailureReason, str] = {
    FailureReason.UNREACHABLE: N_(
        "Ollama does not answer at %(host)s. Start it with “ollama serve”, then reload."
    ),
    FailureReason.MODEL_NOT_FOUND: N_(
        "The model %(model)s is not installed in Ollama: run “ollama pull %(model)s”."
    ),
    FailureReason.BUSY: N_("Ollama refused the wish as busy (its own queue is full)."),
    FailureReason.FIRST_TOKEN_TIMEOUT: N_(
        "No first word within OLLAMA_FIRST_TOKEN_TIMEOUT: the model may be loading on a slow "
        "machine."
    ),
    FailureReason.STALLED: N_("The model stopped writing midway (OLLAMA_STALL_TIMEOUT)."),
    FailureReason.TRUNCATED: N_("The answer reached the length cap (num_predict), twice."),
    FailureReason.LOOPING: N_("The model repeated its ingredients or steps, twice."),
    FailureReason.TOO_SLOW: N_("The wish ran past the bar's time for a wish (settings)."),
    FailureReason.INVALID_OUTPUT: N_("The model's answer could not be read as a recipe, twice."),
    FailureReason.CONNECTION_LOST: N_("The connection to Ollama was lost midway."),
    FailureReason.OLLAMA_ERROR: N_("Ollama answered with an error: see the log."),
    FailureReason.STREAM_ERROR: N_("Ollama's stream broke: see the log."),
    FailureReason.INTERNAL: N_("barapp itself failed: see the server's log."),
    FailureReason.STORAGE: N_("The database refused the write (full disk or read-only?)."),
    FailureReason.INTERRUPTED: N_("The app restarted while this wish was being made."),
    FailureReason.SHELF_EMPTY: N_(
        "Strict shelf mode found nothing in stock for this wish (an empty shelf, or every "
        "item holds an allergen the guest ticked): the drink was made in free mode."
    ),
}
"""What a bartender reads besides, marked staff-only: the cause and the fix."""
PICTURE_MESSAGES: dict[PictureReason, str] = {
    PictureReason.FILTERED: N_("The image service's content filter refused this picture."),
    PictureReason.BAD_KEY: N_(
        "The image service refused the key: check STABILITY_API_KEY (or the server's key) in "
        "the settings."
    ),
    PictureReason.NO_CREDITS: N_(
        "The image service account has no credits left: top it up, then retry."
    ),
    PictureReason.BUSY: N_("The image service was busy, even after several tries."),
    PictureReason.TIMEOUT: N_("The image service took too long."),
    PictureReason.UNREACHABLE: N_(
        "The image service could not be reached: is it running, at the configured address?"
    ),
    PictureReason.SERVER_ERROR: N_("The image service failed, even after several tries."),
    PictureReason.NOT_IMAGE: N_("The image service sent something that is not a picture."),
    PictureReason.NOT_FOUND: N_("The image service does not know the configured engine or model."),
    PictureReason.BAD_REQUEST: N_("The image service refused the request."),
    PictureReason.INTERRUPTED: N_("The app restarted while the picture was being drawn."),
    PictureReason.INTERNAL: N_("The picture could not be made."),
}
UNKNOWN_FAILURE = N_("Something went wrong while making your cocktail.")
UNKNOWN_PICTURE = N_("The picture could not be made.")


def _message(messages: Mapping[Any, str], unknown: str) -> Callable[[Context, Any], Markup]:
    @pass_context
    def message(ctx: Context, reason: Any) -> Markup:
        text = messages.get(str(reason), unknown)
        # Our own text, as `_()` gives it to templates: not escaped again.
        return Markup(translations(str(ctx.get("lang", "en"))).gettext(text))  # noqa: S704

    return message


failure_message = _message(FAILURE_MESSAGES, UNKNOWN_FAILURE)
picture_message = _message(PICTURE_MESSAGES, UNKNOWN_PICTURE)


@pass_context
def staff_note(ctx: Context, reason: Any, **values: str) -> Markup:
    """The cause and the fix of a failure, for a bartender ("" when there is nothing to add).
    `values` fill the note's placeholders (the Ollama address, the model)."""
    text = STAFF_NOTES.get(str(reason))  # type: ignore[call-overload]
    if not text:
        return Markup("")
    translated = translations(str(ctx.get("lang", "en"))).gettext(text)
    return Markup(translated) % {"host": "", "model": "", **values}  # noqa: S704


def configure_jinja(env: Any) -> None:
    env.globals["failure_message"] = failure_message
    env.globals["staff_note"] = staff_note
    env.globals["picture_message"] = picture_message
