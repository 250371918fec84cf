"""What the bartenders' forms say back: a refused edit names each problem in words next to its
field, in the reader's language, keeping what was typed; a saved setting says so as a success,
not in the error's colour."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.test_moderation import SETTINGS_FORM, edit_form, menu, row_of  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]


def field_error(html: str, key: str) -> str:
    """The message shown under the input `key`, which must point to it."""
    tag = re.search(rf'<(?:input|textarea)[^>]*name="{re.escape(key)}"[^>]*>', html)
    assert tag, key
    assert 'aria-invalid="true"' in tag.group(0), tag.group(0)
    assert f'aria-describedby="{key}-error"' in tag.group(0), tag.group(0)
    message = re.search(rf'<p class="field-error" id="{re.escape(key)}-error">(.*?)</p>', html)
    assert message, key
    return message.group(1)


@pytest.mark.parametrize(
    ("fields", "lang", "expected"),
    [
        ({"name": "  "}, "en", {"name": "Give the cocktail a name."}),
        ({"name": "  "}, "fr", {"name": "Donnez un nom au cocktail."}),
        ({"name": "N" * 201}, "en", {"name": "At most 200 characters."}),
        ({"glass": "G" * 101}, "fr", {"glass": "100 caractères au plus."}),
        ({"music_title": "T" * 201}, "en", {"music_title": "At most 200 characters."}),
        ({"ingredients-1-amount": "a splash"}, "en",
         {"ingredients-1-amount": "A number, such as 1.5, or nothing (to top up)."}),
        ({"ingredients-1-amount": "-2"}, "fr", {"ingredients-1-amount": "Un nombre de 0 à 10\u202f000."}),
        ({"ingredients-0-name": "", "ingredients-0-amount": "3"}, "en",
         {"ingredients-0-name": "Give this ingredient a name."}),
        ({"ingredients-1-unit": "u" * 21}, "en", {"ingredients-1-unit": "At most 20 characters."}),
        # Several at once, each at its own field.
        ({"name": "", "ingredients-3-note": "n" * 201}, "en",
         {"name": "Give the cocktail a name.", "ingredients-2-note": "At most 200 characters."}),
    ],
)  # fmt: skip
async def test_a_refused_edit_says_what_to_fix_next_to_each_field(
    bartender: httpx.AsyncClient,
    menu: None,  # noqa: F811
    fields: dict[str, str],
    lang: str,
    expected: dict[str, str],
) -> None:
    before = await row_of("Negroni")
    form = edit_form(**fields)
    response = await bartender.post(
        f"/cocktails/{before['id']}/edit", data=form, headers={"accept-language": lang}
    )
    assert response.status_code == 400
    html = response.text.replace("&#34;", '"')
    for key, message in expected.items():
        assert field_error(html, key) == message
    assert html.count('class="field-error"') == len(expected)
    # The summary at the top links to each field, and no validator's words show.
    summary = html.split('id="edit-error"')[1].split("</div>")[0]
    assert summary.count("<li>") == len(expected)
    for key in expected:
        assert f'href="#edit-{key.replace("_", "-")}"' in summary
    assert "Expected" not in html and "<code>" not in summary
    # What was typed comes back (the empty row 2 dropped, so row 3 is now row 2).
    if "name" in fields and fields["name"].strip():
        assert f'value="{fields["name"]}"' in html
    if "ingredients-1-amount" in fields:
        assert f'name="ingredients-1-amount" value="{fields["ingredients-1-amount"]}"' in html
    assert 'name="ingredients-2-note" value="' + form["ingredients-3-note"] in html
    assert await row_of("Negroni") == before


async def test_an_edit_without_ingredients_asks_for_one(
    bartender: httpx.AsyncClient,
    menu: None,  # noqa: F811
) -> None:
    before = await row_of("Negroni")
    form = {k: v for k, v in edit_form().items() if not k.startswith("ingredients-")}
    response = await bartender.post(
        f"/cocktails/{before['id']}/edit", data=form, headers={"accept-language": "fr"}
    )
    assert response.status_code == 400
    assert '<p class="field-error" id="ingredients-error">Ajoutez au moins un ingrédient.</p>' in (
        response.text
    )
    assert re.search(
        r'name="ingredients-0-name"[^>]*aria-describedby="ingredients-error"', response.text
    )


async def test_a_saved_setting_is_a_success_not_an_error(
    bartender: httpx.AsyncClient,
) -> None:
    saved = await bartender.post("/bar/settings", data=SETTINGS_FORM)
    assert saved.status_code == 303
    page = (await bartender.get(saved.headers["location"])).text
    assert re.search(r'<p class="form-success" role="status">Saved\. ', page)
    assert 'class="notice"' not in page and 'class="form-error"' not in page
    # Its own colours: the alcohol-free green, where an error has the accent.
    css = (ROOT / "static" / "css" / "app.css").read_text()
    rule = re.search(r"\n\.form-success \{([^}]*)\}", css)
    assert rule and "var(--virgin)" in rule.group(1) and "--accent" not in rule.group(1)
    refused = await bartender.post("/bar/settings", data={**SETTINGS_FORM, "wish_seconds": "5"})
    assert 'class="form-error" role="alert"' in refused.text
    assert "form-success" not in refused.text
