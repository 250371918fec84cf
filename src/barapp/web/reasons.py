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
    FailureReason.INTERRUPTED: N_("The bar's AI was interrupted (a restart). Your wish is kept."),
    FailureReason.UNREACHABLE: N_(
        "The bar's AI is not answering (Ollama is not running or not reachable)."
    ),
    FailureReason.MODEL_NOT_FOUND: N_(
        "This model is not installed in Ollama. A bartender can install it with “ollama pull”."
    ),
    FailureReason.BUSY: N_("The bar's AI is busy. Please try again in a moment."),
    FailureReason.FIRST_TOKEN_TIMEOUT: N_("The bar's AI took too long to answer."),
    FailureReason.STALLED: N_("The bar's AI took too long to answer."),
    FailureReason.TRUNCATED: N_("The answer was too long and was cut off, twice."),
    FailureReason.LOOPING: N_("The bar's AI went round in circles on this one, twice."),
    FailureReason.TOO_SLOW: N_("The bar's AI took too long on this one."),
    FailureReason.INVALID_OUTPUT: N_("The bar's AI wrote a recipe we could not read, twice."),
    FailureReason.CONNECTION_LOST: N_("The connection to the bar's AI was lost."),
    FailureReason.OLLAMA_ERROR: N_("Something went wrong while making your cocktail."),
    FailureReason.STREAM_ERROR: N_("Something went wrong while making your cocktail."),
    FailureReason.INTERNAL: N_("Something went wrong while making your cocktail."),
    FailureReason.STORAGE: N_(
        "The bar could not save your cocktail (its storage is full or read-only). Please tell "
        "a bartender."
    ),
}
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


def configure_jinja(env: Any) -> None:
    env.globals["failure_message"] = failure_message
    env.globals["picture_message"] = picture_message
