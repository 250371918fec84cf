"""The ingredient knowledge base: what barapp knows of a bar ingredient, from `ingredients.csv`
(one row each: a key, a category, its alcohol by volume, its allergens, the generic ingredient
it is a kind of, its English and French names and aliases, and what it brings to a drink's
colour), and `match()`, which reads free text ("Fresh lime juice", "jus d'un citron vert",
"2 dashes Angostura® bitters") as one of them.

The strengths are those of a typical bottling where brands differ (the file's header says
which); a row whose strength varies too much to say (amaro) has none, and a drink with it
names it as of unknown strength rather than guess.

How `match()` reads a text, first that answers:

1. Its *form*: lower case, no accents ("œ" is "oe"), punctuation as spaces, numbers and the
   little words ("of", "de", "d'", "la", "un"...) dropped, each word singular ("citrons verts"
   is "citron vert", "cherries" is "cherry"), and an English head word put last ("juice of 1
   lime" is "lime juice", "zest of orange" is "orange zest"). A name or alias of that form.
2. The same without the words that only say how it comes: "fresh", "freshly squeezed",
   "frais/fraîche", "pressé", "homemade", units and counts ("dashes", "traits", "leaves",
   "feuilles", "slice", "cube", "top up", "half", "demi"). Tried second, so that "crème
   fraîche" and "cold brew" keep the word that names them.
   A name that says it is the bar's own make ("house syrup", "sirop maison", "signature
   bitters") is read no further than the first reading: it is not the base's.
3. A parenthesised note is set aside first ("gin (London dry)" is gin); if the text outside
   says nothing known, the note is read ("liqueur (Chartreuse verte)").
   What follows a comma is a note too ("gin, preferably London dry").
4. Else the longest known name that is the text's head: its last words in English ("a good
   London dry gin" is gin, "cane sugar syrup" a syrup; "ginger beer" is never gin: words, not
   letters), its first in a French text (one with "de", "du", "la"... or that starts with a
   head word such as "rhum", "sirop", "jus": "sirop de sucre de canne" is a syrup, not sugar);
   failing that, a name of two words or more at the other end, as a brand before its line
   ("Johnnie Walker Black Label", "Captain Morgan Original Spiced"). One known word elsewhere
   is not enough: "yuzu kosho" is not yuzu.

Lime and lemon are one row each, the juice: a recipe's "lime", "citron vert", "lime wedge" or
"juice of 1 lime" is the same ingredient, which the bar has when it has limes. Oranges and
grapefruits are fruit rows apart from their juice, which bars often buy.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from importlib import resources


class Category(StrEnum):
    SPIRIT = "spirit"
    LIQUEUR = "liqueur"
    WINE = "wine"  # wine and fortified wine (vermouth, sherry, port)
    BEER = "beer"
    JUICE = "juice"
    SYRUP = "syrup"
    BITTERS = "bitters"
    DAIRY = "dairy"
    EGG = "egg"
    FRUIT = "fruit"
    HERB = "herb"
    SPICE = "spice"
    SODA = "soda"
    OTHER = "other"


class Allergen(StrEnum):
    EGG = "egg"
    MILK = "milk"
    NUTS = "nuts"
    PEANUTS = "peanuts"
    GLUTEN = "gluten"
    SULPHITES = "sulphites"
    CELERY = "celery"
    SOY = "soy"


@dataclass(frozen=True)
class Known:
    """One ingredient of the base."""

    key: str
    category: Category
    abv: float | None
    """Alcohol by volume in percent; None when it varies too much to say (never guessed)."""
    allergens: frozenset[Allergen]
    en: str
    fr: str
    aliases: tuple[str, ...] = ()
    family: str = ""
    """The generic ingredient this is a kind of ("rum" for an aged rum, "whisky" for bourbon),
    a key of the base (a generic row names itself), or "" (a recipe asking for "rum" can be
    poured with any row of the family)."""
    colour: str = ""
    """What it brings to the drawn drink's colour, '#rrggbb' ("" for the picture to decide)."""
    tint: float = 0.0
    """How strongly, per millilitre (a dash of bitters is small but strong)."""
    flags: str = ""
    """s sparkling, i ice, c coffee crema, e egg foam."""

    def name(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en

    @property
    def sparkling(self) -> bool:
        """Poured last and never shaken (sodas, sparkling wine, beer)."""
        return "s" in self.flags


@cache
def base() -> dict[str, Known]:
    """The base, by key (read once). Lines starting with '#' are the file's comments."""
    text = resources.files("barapp.shelf").joinpath("ingredients.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    known: dict[str, Known] = {}
    for row in csv.DictReader(lines):
        known[row["key"]] = Known(
            key=row["key"],
            category=Category(row["category"]),
            abv=float(row["abv"]) if row["abv"] else None,
            allergens=frozenset(Allergen(a) for a in row["allergens"].split("|") if a),
            en=row["en"],
            fr=row["fr"],
            aliases=tuple(a for a in row["aliases"].split("|") if a),
            family=row["family"],
            colour=row["colour"],
            tint=float(row["tint"] or 0),
            flags=row["flags"],
        )
    return known


def normal(text: str) -> str:
    """Lower case, no accents, no punctuation, single spaces: "Crème  de Cassis!" ->
    "creme de cassis"."""
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9%]+", " ", plain).split())


def _words_of(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word[-1] in "sx" and not word.endswith("ss"):
        return word[:-1]
    return word


# Words that never tell ingredients apart, dropped from every form ("jus d'un citron" is
# "jus de citron"). Not "the": it is French tea.
_LITTLE = _words_of("s of de du des d l la le les a an au aux un une one en some quelques et")
# Words that say how an ingredient comes, not what it is: dropped in the second reading.
_HOW = frozenset(
    _singular(word)
    for word in _words_of("""
    fresh freshly squeezed pressed juiced frais fraiche fraiches fraichement presse pressee
    pressees homemade fait maison good quality premium chilled cold organic bio optional
    facultatif garnish decoration to taste gout with avec top topped up fill filled splash
    float dash trait drop goutte ml cl oz dl litre liter barspoon cuillere
    tsp tbsp teaspoon tablespoon leaf leave feuille sprig brin slice tranche rondelle wheel
    wedge quartier cube piece morceau pinch pincee handful poignee scoop part parts shot
    half demi moitie quarter quart two three four few about approx environ ou
    """)
)
# Units of more than one word, taken out before the words are read ("cuillère à café" is not
# coffee).
_SPOONS = re.compile(r"\bcuilleres? (?:a|de) (?:cafe|soupe|bar)\b|\bbar ?spoons?\b")
# English words naming what is taken of a fruit: "juice of 1 lime" is "lime juice".
_HEADS = _words_of("juice zest peel twist rind")
# Seen in a French text: there the head of a name comes first.
_FRENCH = _words_of("de du des d au aux la le les l un une et avec")
# A French name's head word comes first: "rhum vieux", "sirop maison", "jus frais".
_FRENCH_HEADS = _words_of(
    "rhum sirop jus creme eau biere vin liqueur the cafe lait feuille zeste puree nectar sucre"
    " sel glace cidre amer vermouth whisky"
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:ml|cl|oz|dl|l|g|x)?%?")


def _words(text: str) -> tuple[str, ...]:
    """The first reading's words of a text (see the module's docstring)."""
    words = [
        _singular(w)
        for w in _SPOONS.sub(" ", normal(text)).split()
        if w not in _LITTLE and not _NUMBER.fullmatch(w)
    ]
    if len(words) > 1 and words[0] in _HEADS:
        words = [*words[1:], words[0]]
    return tuple(words)


def _plain(words: tuple[str, ...]) -> tuple[str, ...]:
    """The second reading: without the words that only say how it comes."""
    kept = [w for w in words if w not in _HOW and _singular(w) not in _HOW]
    if len(kept) > 1 and kept[0] in _HEADS:
        kept = [*kept[1:], kept[0]]
    return tuple(kept)


def _every_name(known: Known) -> tuple[str, ...]:
    return (known.en, known.fr, *known.aliases)


@cache
def _forms() -> tuple[dict[tuple[str, ...], Known], dict[tuple[str, ...], Known]]:
    """Every name and alias of the base, in both readings, to its ingredient (the first row
    wins a form two rows share in the second reading: "crème fraîche" there is "crème")."""
    first: dict[tuple[str, ...], Known] = {}
    second: dict[tuple[str, ...], Known] = {}
    for known in base().values():
        for text in _every_name(known):
            words = _words(text)
            if words:
                first.setdefault(words, known)
                second.setdefault(_plain(words) or words, known)
    return first, second


@cache
def _longest_name() -> int:
    return max(len(form) for form in _forms()[1])


def _exact(text: str) -> Known | None:
    first, second = _forms()
    words = _words(text)
    if not words:
        return None
    found = first.get(words)
    # Words before the name that say how it comes: "fresh crème fraîche", "2 cl cold brew".
    while found is None and len(words) > 1 and words[0] in _HOW:
        words = words[1:]
        found = first.get(words)
    return found or second.get(_plain(words))


def _within(text: str) -> Known | None:
    """The longest known name that is the head of `text`: its last words in English ("a good
    London dry gin"), its first in French ("sirop de sucre de canne", "rhum vieux agricole").
    Failing that, a name of two words or more at the other end, as a brand before its line
    ("Johnnie Walker Black Label"). One known word elsewhere is not enough: "yuzu kosho" is
    not yuzu, "spiced pear liqueur" is not a pear."""
    second = _forms()[1]
    words = _plain(_words(text))
    said = normal(text).split()
    french = bool(_FRENCH & set(said)) or (bool(said) and said[0] in _FRENCH_HEADS)
    longest = min(len(words) - 1, _longest_name())
    heads = [
        words[:size] if french else words[len(words) - size :] for size in range(longest, 0, -1)
    ]
    others = [
        words[len(words) - size :] if french else words[:size] for size in range(longest, 1, -1)
    ]
    return next((second[run] for run in (*heads, *others) if run in second), None)


_NOTE = re.compile(r"[(\[]([^)\]]*)[)\]]?")
# The bar's own make: "house syrup", "sirop maison" (but "fait maison" is only homemade).
_OWN = re.compile(r"\b(?:house|signature|secret)\b|(?<!fait )\bmaison\b")


@lru_cache(maxsize=1 << 16)
def _match(text: str) -> Known | None:
    outside = _NOTE.sub(" ", text)
    notes = " ".join(_NOTE.findall(text))
    if _OWN.search(normal(text)):
        return _forms()[0].get(_words(text))
    before, comma, _ = outside.partition(",")
    if comma and before.strip():  # "Gin, preferably London dry": the name comes first
        outside, notes = before, f"{notes} {_}"
    return (
        _exact(outside)
        or (_exact(notes) if notes else None)
        or _within(outside)
        or (_within(notes) if notes else None)
    )


def match(text: str) -> Known | None:
    """The base's ingredient that `text` names, or None (see the module's docstring for how
    a text is read). Any text is safe: a long one is read up to its 300th character."""
    return _match(str(text)[:300])


ALWAYS_THERE = frozenset({"water", "ice"})
"""Keys every bar has: never missing, never on the shelf page, always allowed to the model."""

CUSTOM = "custom-"


def pours(stocked: frozenset[str]) -> frozenset[str]:
    """The keys a recipe may ask for that the stocked keys can pour: each one, and the
    generic ingredient it is a kind of (a recipe's "rum" is poured with the bar's aged rum;
    not the reverse: a recipe asking for an aged rum is not poured with any rum)."""
    known = base()
    return stocked | {known[k].family for k in stocked if k in known and known[k].family}


def key_of(text: str) -> str:
    """The key a recipe's ingredient is known by: the base's, or for a name the base does not
    know, "custom-" and its normal form (which a custom shelf item of that name has too), so
    a cocktail's keys depend on the base only, never on the shelf."""
    known = match(text)
    return known.key if known else (CUSTOM + normal(text))[:100]


@cache
def _names() -> tuple[tuple[str, Known], ...]:
    """Every name and alias, normalised, shortest first (so "gin" comes before "gin fizz")."""
    pairs = {(normal(name), known) for known in base().values() for name in _every_name(known)}
    order = {key: i for i, key in enumerate(base())}
    return tuple(sorted(pairs, key=lambda pair: (len(pair[0]), order[pair[1].key], pair[0])))


def search(text: str, limit: int = 12) -> list[Known]:
    """The base's ingredients a few typed letters may mean, best first: those with a name or
    alias that starts with them (the shortest such name first), then those with a word that
    does."""
    typed = normal(text)
    if not typed:
        return []
    starts: dict[str, Known] = {}
    words: dict[str, Known] = {}
    for name, known in _names():
        if name.startswith(typed):
            starts.setdefault(known.key, known)
        elif f" {typed}" in f" {name}":
            words.setdefault(known.key, known)
    found = [*starts.values(), *(k for key, k in words.items() if key not in starts)]
    return found[:limit]
