"""The built-in cocktail drawing: valid, deterministic, inert SVG that looks like the drink."""

from __future__ import annotations

import base64
import os
import re
import shutil
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from barapp.pictures.colour import liquid_color
from barapp.pictures.glasses import SHAPES, glass_shape
from barapp.pictures.illustration import draw

ROOT = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"


def ing(name: str, amount: float | None = None, unit: str = "cl") -> dict[str, Any]:
    return {"name": name, "amount": amount, "unit": unit, "note": ""}


# (name, glass, ingredients, garnish), in English and French as the model writes them.
# fmt: off
RECIPES: list[tuple[str, str, list[dict[str, Any]], str]] = [
    ("Negroni", "Rocks glass", [ing("Gin", 3), ing("Campari", 3), ing("Sweet vermouth", 3)], "Orange peel"),
    ("Margarita", "Verre à margarita", [ing("Tequila blanco", 5), ing("Cointreau", 2), ing("Jus de citron vert", 2)], "Quartier de citron vert et bord salé"),
    ("Mojito", "Highball", [ing("White rum", 5), ing("Lime juice", 3), ing("Sugar syrup", 2), ing("Mint", 10, "leaves"), ing("Soda water", None, "top up")], "Mint sprig and lime wheel"),
    ("Espresso Martini", "Martini glass", [ing("Vodka", 5), ing("Coffee liqueur", 3), ing("Espresso", 3)], "Three coffee beans"),
    ("Aperol Spritz", "Verre à vin", [ing("Prosecco", 9), ing("Aperol", 6), ing("Eau gazeuse", 3), ing("Glaçons", None, "")], "Tranche d'orange"),
    ("Blue Lagoon", "Verre highball", [ing("Vodka", 4), ing("Blue curaçao", 2), ing("Lemonade", None, "")], "Lemon wheel"),
    ("Gin Basil Smash", "Verre old fashioned", [ing("Gin", 6), ing("Jus de citron", 2.5), ing("Sirop de sucre", 2), ing("Basilic", 10, "feuilles")], "Brin de basilic"),
    ("French 75", "Flûte à champagne", [ing("Gin", 3), ing("Lemon juice", 1.5), ing("Syrup", 1), ing("Champagne", 6)], "Lemon twist"),
    ("Moscow Mule", "Mug en cuivre", [ing("Vodka", 5), ing("Ginger beer", 12), ing("Lime juice", 1)], "Lime wedge and mint"),
    ("Piña Colada", "Hurricane glass", [ing("White rum", 5), ing("Coconut cream", 3), ing("Pineapple juice", 9), ing("Crushed ice", None, "")], "Pineapple wedge and cherry"),
    ("Fraîcheur concombre", "Verre collins", [ing("Concombre", 4, "tranches"), ing("Jus de citron vert", 2), ing("Sirop de sureau", 2), ing("Tonic", 12)], "Rondelle de concombre"),
    ("Manhattan", "Coupe", [ing("Rye whiskey", 5), ing("Sweet vermouth", 2), ing("Angostura bitters", 2, "dashes")], "Cherry"),
    ("Mai Tai", "Tiki mug", [ing("Aged rum", 4), ing("Orgeat", 1.5), ing("Lime juice", 2)], "Mint sprig"),
    ("Last Word", "Nick & Nora", [ing("Gin", 2), ing("Green chartreuse", 2), ing("Maraschino liqueur", 2), ing("Lime juice", 2)], "Zeste de citron vert"),
    ("Whisky Sour", "Verre tumbler", [ing("Bourbon", 5), ing("Lemon juice", 2.5), ing("Blanc d'œuf", 1, "")], "Griotte"),
    ("B-52", "Shot", [ing("Kahlua", 1), ing("Baileys", 1), ing("Grand Marnier", 1)], ""),
    ("Irish Coffee", "Irish coffee glass", [ing("Irish whiskey", 4), ing("Hot coffee", 12), ing("Cream", 3)], "Muscade râpée"),
    ("Bramble", "Verre old fashioned", [ing("Gin", 4), ing("Crème de mûre", 1.5), ing("Glace pilée", None, "")], "Mûres et romarin"),
    ("Dirty Martini", "Verre à cocktail", [ing("Gin", 6), ing("Dry vermouth", 1)], "Olive"),
    ("Hot Toddy", "Tasse", [ing("Whisky", 4), ing("Miel", 2, "cuillère à café"), ing("Eau chaude", 10)], "Bâton de cannelle"),
    ("Zombie", "Tiki", [ing("Rhum ambré", 4), ing("Passion fruit syrup", 2), ing("Grenadine", 1, "barspoon")], "Umbrella"),
    ("Violet Hour", "Coupette", [ing("Gin", 4), ing("Crème de violette", 1.5)], "Fleur comestible"),
]
# fmt: on


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def count(root: ET.Element, tag: str, **attrs: str) -> int:
    return sum(
        all(el.get(k.replace("_", "-")) == v for k, v in attrs.items())
        for el in root.iter(f"{SVG}{tag}")
    )


def lightness(colour: str) -> float:
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return (max(rgb) + min(rgb)) / 510


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


@pytest.mark.parametrize(("name", "glass", "ingredients", "garnish"), RECIPES)
def test_every_recipe_is_a_standalone_svg_document(
    name: str, glass: str, ingredients: list[dict[str, Any]], garnish: str
) -> None:
    svg = draw(glass, ingredients, garnish, name)
    assert svg.startswith("<svg")
    root = parse(svg)
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == (
        "800",
        "600",
        "0 0 800 600",
    )
    assert root.findtext(f"{SVG}title") == name
    # Every url(#id) points at a gradient or clip path defined in the same document.
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    refs = {
        ref
        for el in root.iter()
        for v in el.attrib.values()
        for ref in re.findall(r"url\(#([^)]+)\)", v)
    }
    assert refs and refs <= ids


def test_drawing_is_deterministic() -> None:
    for name, glass, ingredients, garnish in RECIPES:
        assert draw(glass, ingredients, garnish, name) == draw(glass, ingredients, garnish, name)


def test_drawing_is_fast() -> None:
    start = time.perf_counter()
    for name, glass, ingredients, garnish in RECIPES * 5:
        draw(glass, ingredients, garnish, name)
    assert (time.perf_counter() - start) / (len(RECIPES) * 5) < 0.005


@pytest.mark.parametrize(
    ("glass", "shape"),
    [
        ("Rocks glass", "rocks"),
        ("Verre old fashioned", "rocks"),
        ("verre tumbler", "rocks"),
        ("Highball", "highball"),
        ("Verre highball", "highball"),
        ("verre collins", "highball"),
        ("Tumbler haut", "highball"),
        ("Coupe", "coupe"),
        ("Coupe à champagne", "coupe"),
        ("coupette", "coupe"),
        ("Martini glass", "martini"),
        ("Verre à martini", "martini"),
        ("verre à cocktail", "martini"),
        ("Wine glass", "wine"),
        ("Verre à vin", "wine"),
        ("Verre ballon", "wine"),
        ("Flûte", "flute"),
        ("FLUTE À CHAMPAGNE", "flute"),
        ("Champagne flute", "flute"),
        ("Copper mug", "mug"),
        ("Tasse en cuivre", "mug"),
        ("Mug en cuivre", "mug"),
        ("Hurricane glass", "hurricane"),
        ("Verre hurricane", "hurricane"),
        ("Verre à margarita", "margarita"),
        ("Margarita glass", "margarita"),
        ("Shot glass", "shot"),
        ("Verre à shot", "shot"),
        ("Nick & Nora", "nick_and_nora"),
        ("Nick and Nora glass", "nick_and_nora"),
        ("Tiki mug", "tiki"),
        ("Irish coffee glass", "irish"),
        ("Tasse", "irish"),
    ],
)
def test_glass_names_in_french_and_english_map_to_shapes(glass: str, shape: str) -> None:
    assert glass_shape(glass) == shape


@pytest.mark.parametrize("glass", ["", "  ", "a jam jar?", "🍸", "verre"])
def test_unknown_glass_gets_the_default_shape(glass: str) -> None:
    assert glass_shape(glass) == "rocks"


def test_every_shape_has_its_own_outline() -> None:
    outlines = {}
    for shape in SHAPES:
        root = parse(draw(shape, [ing("Gin", 5)], ""))
        clip = root.find(f"{SVG}defs/{SVG}clipPath/{SVG}path")
        assert clip is not None
        outlines[shape] = clip.get("d")
    assert len(set(outlines.values())) == len(SHAPES)


def test_colour_is_a_hex_triplet() -> None:
    for _, _, ingredients, _ in RECIPES:
        assert re.fullmatch(r"#[0-9a-f]{6}", liquid_color(ingredients))


def test_campari_makes_a_red_drink() -> None:
    r, g, b = rgb(liquid_color([ing("Gin", 3), ing("Campari", 3), ing("Sweet vermouth", 3)]))
    assert r > g + 60 and r > b + 60


def test_blue_curacao_makes_a_blue_drink() -> None:
    r, g, b = rgb(liquid_color([ing("Vodka", 4), ing("Blue curaçao", 2), ing("Lemonade", 10)]))
    assert b > r + 40 and b > g


def test_coffee_makes_a_dark_drink() -> None:
    colour = liquid_color([ing("Vodka", 5), ing("Liqueur de café", 3), ing("Espresso", 3)])
    assert lightness(colour) < 0.3


def test_gin_tonic_is_pale() -> None:
    assert lightness(liquid_color([ing("Gin", 5), ing("Tonic", 15)])) > 0.88


def test_more_of_an_ingredient_pulls_the_colour_towards_it() -> None:
    little = rgb(liquid_color([ing("Orange juice", 10), ing("Grenadine", 0.5)]))
    more = rgb(liquid_color([ing("Orange juice", 10), ing("Grenadine", 3)]))
    assert more[0] - more[1] > little[0] - little[1]  # redder
    assert more[1] < little[1]


def test_units_are_converted_before_weighting() -> None:
    in_cl = liquid_color([ing("Campari", 3), ing("Orange juice", 9)])
    assert liquid_color([ing("Campari", 30, "ml"), ing("Orange juice", 3, "oz")]) == in_cl
    # Two dashes of bitters barely tint a glass of gin; two centilitres would darken it.
    dashes = liquid_color([ing("Gin", 6), ing("Angostura", 2, "dashes")])
    cl = liquid_color([ing("Gin", 6), ing("Angostura", 2, "cl")])
    assert lightness(dashes) > lightness(cl) + 0.1


def test_french_and_english_names_give_the_same_colour() -> None:
    english = [
        ing("White rum", 5),
        ing("Lime juice", 3),
        ing("Sugar syrup", 2),
        ing("Mint", 8, "leaves"),
        ing("Soda water", None, ""),
    ]
    french = [
        ing("Rhum blanc", 5),
        ing("Jus de citron vert", 3),
        ing("Sirop de sucre", 2),
        ing("Feuilles de menthe", 8, "feuilles"),
        ing("Eau gazeuse", None, ""),
    ]
    assert liquid_color(english) == liquid_color(french)
    assert liquid_color([ing("Crème de cassis", 2), ing("Vin blanc", 10)]) == liquid_color(
        [ing("creme de cassis", 2), ing("VIN BLANC", 10)]
    )
    assert liquid_color([ing("Fraises", 3, "pièces")]) == liquid_color(
        [ing("Strawberry", 3, "pieces")]
    )


def test_unknown_ingredients_give_a_pale_amber() -> None:
    r, g, b = rgb(liquid_color([ing("Mystery elixir", 5)]))
    assert r > g > b and lightness(f"#{r:02x}{g:02x}{b:02x}") > 0.6
    assert liquid_color([]) == liquid_color([ing("Mystery elixir", 5)])


def test_sparkling_drinks_get_bubbles() -> None:
    tonic = parse(draw("Highball", [ing("Gin", 5), ing("Tonic", 15)], ""))
    still = parse(draw("Highball", [ing("Gin", 5), ing("Orange juice", 15)], ""))
    assert count(tonic, "circle") >= 8
    assert count(still, "circle") == 0
    prosecco = parse(draw("Flûte", [ing("Prosecco", 12)], ""))
    assert count(prosecco, "circle") >= 8


def ice_cubes(root: ET.Element) -> int:
    return sum(1 for el in root.iter(f"{SVG}rect") if el.get("rx"))


def test_ice_in_rocks_glasses_and_when_the_recipe_says_so() -> None:
    assert ice_cubes(parse(draw("Rocks glass", [ing("Bourbon", 5)], ""))) >= 3
    assert ice_cubes(parse(draw("Coupe", [ing("Bourbon", 5)], ""))) == 0
    assert (
        ice_cubes(parse(draw("Coupe", [ing("Bourbon", 5), ing("Glace pilée", None, "")], ""))) >= 1
    )
    # "juice" is not "ice".
    assert ice_cubes(parse(draw("Coupe", [ing("Apple juice", 5)], ""))) == 0


@pytest.mark.parametrize(
    ("garnish", "colour"),
    [
        ("Lime wheel", "#5f9a2a"),
        ("rondelle de citron vert", "#5f9a2a"),
        ("Orange twist", "#ec8616"),
        ("Zeste d'orange", "#ec8616"),
        ("Lemon wedge", "#e6c21c"),
        ("Brin de menthe", "#3f9b4a"),
        ("Basil leaf", "#4e9a2a"),
        ("Cerise", "#a3122a"),
        ("Three olives", "#7f8f2d"),
        ("Rondelle de concombre", "#4c7a34"),
        ("Sprig of rosemary", "#4f6d3a"),
        ("Bâton de cannelle", "#8a4b22"),
        ("Grains de café", "#3b2012"),
    ],
)
def test_garnish_is_drawn_from_its_words(garnish: str, colour: str) -> None:
    svg = draw("Coupe", [ing("Gin", 5)], garnish)
    assert colour in svg
    assert colour not in draw("Coupe", [ing("Gin", 5)], "")


def test_salt_rim_and_empty_garnish() -> None:
    salted = parse(draw("Margarita", [ing("Tequila", 5)], "Bord salé"))
    assert count(salted, "ellipse", stroke_dasharray="0.1 4.5") == 2
    for garnish in ("", "Lime wheel on the rim", "Rondelle de citron vert sur le bord"):
        assert "stroke-dasharray" not in draw("Margarita", [ing("Tequila", 5)], garnish)
    # Words it does not know still get a small citrus wheel; no words, nothing.
    assert len(draw("Coupe", [ing("Gin", 5)], "a secret")) > len(draw("Coupe", [ing("Gin", 5)], ""))


def test_tiki_drinks_get_an_umbrella() -> None:
    assert "#e0645a" in draw("Tiki mug", [ing("Rum", 5)], "")


HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)",
    "Tom & Jerry <b>",
    "bell\x07 and \x00 null",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_the_name_is_escaped_text_in_the_title_only(name: str) -> None:
    svg = draw("Coupe", [ing(name, 5)], name, name)
    root = parse(svg)
    assert name.replace("\x07", "").replace("\x00", "") == root.findtext(f"{SVG}title")
    assert name not in svg
    assert "<script" not in svg and "<img" not in svg and "<b>" not in svg


@pytest.mark.parametrize(("name", "glass", "ingredients", "garnish"), RECIPES[:6])
def test_the_drawing_is_inert(
    name: str, glass: str, ingredients: list[dict[str, Any]], garnish: str
) -> None:
    svg = draw(glass, ingredients, garnish, '"><script>alert(1)</script>')
    lowered = svg.lower()
    assert (
        "<script" not in lowered and "foreignobject" not in lowered and "javascript:" not in lowered
    )
    for el in parse(svg).iter():
        assert el.tag.startswith(SVG) and el.tag[len(SVG) :] != "foreignObject"
        for attribute, value in el.attrib.items():
            assert not attribute.lower().startswith("on"), attribute
            assert "href" not in attribute.lower(), attribute
            assert "url(" not in value or value.startswith("url(#"), value


@pytest.mark.parametrize(
    ("glass", "ingredients", "garnish"),
    [
        ("", [], ""),
        ("", [ing("Gin", None, "")], ""),
        ("Verre", [ing("Gin", None, "top up"), ing("Soda", None, "")], ""),
        (
            "Coupe",
            [ing("Gin", 2, "bottles"), ing("Vermouth", 1, "glug"), ing("Sugar", 2, "")],
            "  ",
        ),
        ("Highball", [ing(f"Ingredient {i}", i, "ml") for i in range(40)], "lime"),
        (
            "Rocks",
            [{"name": None, "amount": "abc", "unit": None}, {"amount": float("nan")}, {}],
            "",
        ),
        ("Rocks", [ing("Gin", -5), ing("Campari", float("inf")), ing("Aperol", 10**9, "l")], ""),
        ("Rocks", ["not a dict", None, 3], None),
        (None, None, None),
    ],
)
def test_odd_input_still_draws(glass: Any, ingredients: Any, garnish: Any) -> None:
    root = parse(draw(glass, ingredients, garnish))
    assert count(root, "path") > 3


def chromium() -> str:
    path = os.environ.get("BARAPP_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.skip("Chromium not found (apt-get install chromium, or set BARAPP_CHROMIUM)")
    return path


@pytest.mark.browser
def test_contact_sheet_renders_in_chromium() -> None:
    """Every drawing loads in a real browser as a gallery card would show it (4:3, cover), on
    the light and the dark theme; the screenshots are for a person to look at."""
    from playwright.sync_api import sync_playwright

    cards = "".join(
        f'<figure><img src="data:image/svg+xml;base64,{base64.b64encode(draw(g, i, x, n).encode()).decode()}">'
        f"<figcaption>{n} · {g}</figcaption></figure>"
        for n, g, i, x in RECIPES
    )
    page_html = (
        "<style>body{margin:0;font:13px sans-serif}section{display:grid;gap:16px;padding:16px;"
        "grid-template-columns:repeat(6,320px)}figure{margin:0;border-radius:12px;overflow:hidden}"
        "img{display:block;width:320px;aspect-ratio:4/3;object-fit:cover}figcaption{padding:6px}"
        f"</style><section>{cards}</section>"
    )
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium(),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 2080, "height": 900})
        page.set_content(page_html)
        page.wait_for_load_state("load")
        sizes = page.eval_on_selector_all(
            "img", "imgs => imgs.map(i => [i.complete, i.naturalWidth])"
        )
        assert sizes == [[True, 800]] * len(RECIPES)
        for theme, background, text in (("light", "#fafafa", "#222"), ("dark", "#1c1c1e", "#eee")):
            page.evaluate(f"document.body.style.cssText = 'background:{background};color:{text}'")
            page.screenshot(path=str(artifacts / f"illustrations-{theme}.png"), full_page=True)
        browser.close()
