"""Every status and reason is typed, and every reason says something, in English and French."""

from __future__ import annotations

import pytest
from jinja2 import Environment

from barapp.store.statuses import FailureReason, PictureReason
from barapp.web import i18n, reasons

FRENCH = i18n.translations("fr")


def say(template: str, lang: str, reason: str) -> str:
    env = Environment(autoescape=True)
    reasons.configure_jinja(env)
    return env.from_string(template).render(lang=lang, reason=reason)


@pytest.mark.parametrize("reason", list(FailureReason))
def test_every_failure_reason_has_a_message_in_both_languages(reason: FailureReason) -> None:
    english = reasons.FAILURE_MESSAGES[reason]
    assert english.strip()
    assert FRENCH.gettext(english) != english, f"no French for {english!r}"
    french = say("{{ failure_message(reason) }}", "fr", reason)
    assert french == str(FRENCH.gettext(english))
    assert say("{{ failure_message(reason) }}", "en", reason) == str(english)


@pytest.mark.parametrize("reason", list(PictureReason))
def test_every_picture_reason_has_a_message_in_both_languages(reason: PictureReason) -> None:
    english = reasons.PICTURE_MESSAGES[reason]
    assert english.strip()
    assert FRENCH.gettext(english) != english, f"no French for {english!r}"
    french = say("{{ picture_message(reason) }}", "fr", reason)
    assert french and french != say("{{ picture_message(reason) }}", "en", reason)


def test_an_unknown_reason_still_says_something() -> None:
    assert say("{{ failure_message(reason) }}", "en", "from-an-old-version") == (
        "Something went wrong while making your cocktail."
    )
    assert say("{{ picture_message(reason) }}", "fr", "") == str(
        FRENCH.gettext(reasons.UNKNOWN_PICTURE)
    )
