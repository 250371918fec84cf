"""What each ingredient brings to the drawn drink's colour, read by `ingredient()`: the one
place the illustration learns about ingredients.

The shelf's knowledge base says it first (its colour, tint and flags columns, through
`shelf.knowledge.match()`), so one place knows what an ingredient is. The keyword table below
is the fallback for names the base does not know ("Yuzu kosho", "house shrub"), read by
folded words, French and English.
"""

from __future__ import annotations

from typing import Any

from barapp.pictures.keywords import first_match, fold, keyword_table
from barapp.shelf.knowledge import match

# Ingredient colour, tinting strength (per ml) and flags: s sparkling, i ice, c crema, e egg foam.
# Clear spirits tint weakly towards white, so they thin a drink's colour as they do in the glass;
# a dash of bitters is small but strong. Specific names first: "ginger" before "gin".
INGREDIENTS = keyword_table("""
#eef3f0 0.3 s : bitter lemon|tonic
#b3202a 6     : peychaud
#6e2414 6     : angostura|bitter
#c4152c 3     : campari
#f05a1e 2.5   : aperol
#1c86d8 3     : curacao bleu|blue curacao|bleu|blue
#1fa855 2.5   : creme de menthe|get 27|peppermint
#e3c83a 1.6   : chartreuse jaune|yellow chartreuse|suze|gentiane|galliano|strega
#8cbf26 2     : chartreuse
#5cc43c 2     : midori|melon
#a9c95a 1.5   : absinthe
#8b6ac0 2.5   : violette|violet
#86a83a 2     : matcha|the vert|green tea
#b5651d 1     : the noir|black tea|tea|earl grey|infusion
#5a0f2e 3     : cassis|blackcurrant
#c8102e 3     : grenadine
#5a1640 2.5   : mure|blackberr|myrtille|blueberr|fruits rouges|red berries|berries|baies
#d4244f 2     : framboise|raspberr
#e4394b 2     : fraise|strawberr
#f2f1ea 0.35  : liqueur de marasquin|maraschino liqueur|luxardo
#b0162f 2     : cerise|cherr|griotte|amarena
#c83a20 1.5   : tomate|tomato|bloody
#b81d3c 1.5   : cranberr|canneberge|airelle
#f4a091 1     : pamplemousse|grapefruit
#d9462b 1.5   : sanguine|blood orange
#f2b32a 1.5   : passion|maracuja
#f6a93b 1.5   : mangue|mango
#f5ad6e 1.4   : peche|peach|abricot|apricot
#f3d65a 1     : ananas|pineapple
#f2e27a 1     : banane|banana
#f4ecd0 0.4   : triple sec|cointreau|curacao
#f7a72a 1.2   : orange
#eef3e8 0.3 s : limonade|lemonade|sprite|7up|7 up
#d4e49a 0.7   : citron vert|lime
#f3eaa0 0.7   : citron|lemon|yuzu
#c5e3a0 0.8   : concombre|cucumber
#6aa83c 0.8   : basilic|basil
#7cc06a 0.7   : menthe|mint
#f1ecc6 0.5   : sureau|elderflower|st germain|st-germain|saint germain
#e1a936 1.2   : miel|honey
#3c1c0f 1.5 s : cola|coca|pepsi
#ead8a0 0.6 s : ginger beer|ginger ale|biere de gingembre|biere au gingembre
#e8d49a 0.5   : ginger|gingembre
#eef3f1 0.3 s : soda|eau gazeuse|eau petillante|perrier|seltz|club|sparkling water
#efdc94 0.8 s : prosecco|champagne|cremant|cava|mousseux|sparkling|petillant|franciacorta
#6b1024 2     : vin rouge|red wine|porto|port
#eee3a6 0.6   : vin blanc|white wine|lillet|sauvignon|chardonnay
#e2a233 1   s : biere|beer|lager
#2e1a10 3     : liqueur de cafe|coffee liqueur|kahlua|tia maria|creme de cafe
#3a2416 3   c : espresso|cafe|coffee|cold brew
#5b3421 2     : chocolat|chocolate|cacao|cocoa
#f4ecd4 0.5 e : oeuf|egg|aquafaba
#f6f0e4 1.5   : creme|cream|lait|milk|coco|baileys|yaourt|yogurt|glacee|gelato
#ffffff 0   i : glace|ice|glacon|crushed|pilee|frappe
#efe6d2 0.8   : orgeat|amande|almond
#f1e4c0 0.4   : agave|sirop|syrup|sucre|sugar|simple|gomme|demerara
#f2ecd2 0.4   : vermouth blanc|vermouth dry|dry vermouth|extra dry|bianco|noilly
#7a2418 1.6   : vermouth|rosso|punt e mes|dubonnet|quinquina|byrrh
#4a2414 1.8   : amaro|fernet|jager|averna|montenegro|cynar|ramazzotti
#b86a22 1.2   : amaretto|disaronno|frangelico|noisette|hazelnut
#efe8bc 0.5   : pastis|ricard|pernod|anis|ouzo
#c27a2a 1     : whisk|bourbon|scotch|rye|cognac|brandy|armagnac|calvados|grand marnier
#c27a2a 1     : rhum ambre|rhum vieux|rhum brun|dark rum|aged rum|spiced rum|gold rum|rhum epice
#c27a2a 1     : anejo|reposado|sherry|xeres|madere|madeira|drambuie|benedictine
#f2f1ea 0.35  : rhum blanc|white rum|light rum|cachaca|pisco|tequila|mezcal|gin|genievre|vodka
#f2f1ea 0.35  : sake|eau de vie|kirsch|grappa|aquavit|eau|water
#ecd9a6 0.6   : rhum|rum
#ffffff 0     : sel|salt|poivre|pepper
""")
UNKNOWN_COLOUR, UNKNOWN_STRENGTH = "#e6d3a3", 0.3


def ingredient(name: Any) -> tuple[str, float, str]:
    """(colour, strength, flags) of an ingredient name, French or English."""
    known = match(str(name or ""))
    if known is not None and known.colour:
        return known.colour, known.tint, known.flags
    found = first_match(INGREDIENTS, fold(name))
    if found is None:
        return UNKNOWN_COLOUR, UNKNOWN_STRENGTH, ""
    return found[0], float(found[1]), "".join(found[2:])
