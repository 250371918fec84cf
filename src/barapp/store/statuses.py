"""The values of barapp's status columns, typed: a status or a reason is one of these, stored
as its string, never a free-form "reason: detail" (the detail has a column of its own).

Each failure reason has a message for the guest or the bartender in `web/reasons.py`; a test
checks that every one has it in English and in French.
"""

from __future__ import annotations

from enum import StrEnum


class GenerationStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    REFUSED = "refused"  # off-topic: the model's message is the generation's detail
    FAILED = "failed"
    STOPPED = "stopped"
    INTERRUPTED = "interrupted"


class ImageStatus(StrEnum):
    NONE = "none"
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"
    FILTERED = "filtered"


class Visibility(StrEnum):
    VISIBLE = "visible"
    HIDDEN = "hidden"
    PENDING = "pending"  # waiting for a bartender's approval


class FailureReason(StrEnum):
    """Why a wish did not become a cocktail."""

    UNREACHABLE = "unreachable"
    MODEL_NOT_FOUND = "model_not_found"
    BUSY = "busy"
    OLLAMA_ERROR = "ollama_error"
    STREAM_ERROR = "stream_error"
    CONNECTION_LOST = "connection_lost"
    FIRST_TOKEN_TIMEOUT = "first_token_timeout"  # noqa: S105 (a reason, not a secret)
    STALLED = "stalled"
    TRUNCATED = "truncated"
    LOOPING = "looping"  # the same ingredient or step again and again
    TOO_SLOW = "too_slow"  # past the bar's time for one wish
    INVALID_OUTPUT = "invalid_output"
    STORAGE = "storage"  # the database could not keep the drink (full, read-only)
    # Strict shelf mode had nothing to offer (the drink was made in free mode: a note, kept).
    SHELF_EMPTY = "shelf_empty"
    INTERNAL = "internal"
    STOPPED = "stopped"
    INTERRUPTED = "interrupted"


class PictureReason(StrEnum):
    """Why a cocktail has no drawn picture."""

    BAD_KEY = "bad_key"
    NO_CREDITS = "no_credits"
    FILTERED = "filtered"
    BUSY = "busy"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    NOT_IMAGE = "not_image"
    BAD_REQUEST = "bad_request"
    NOT_FOUND = "not_found"
    INTERRUPTED = "interrupted"
    INTERNAL = "internal"
