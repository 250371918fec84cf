"""Noticing, while it streams, an answer that goes round in circles.

A small model under a grammar can write the same ingredient line, or the same step, until the
grammar's bound or `num_predict` stops it: a minute or more of CPU for a card the guest already
has. Four repeats tell a loop from a model that only wrote the lime twice (repair drops that;
two were too few: gemma3:270m then lost 7 of 24 drinks), and the wish job then stops the
stream and keeps what was written, if it can be poured.
"""

from __future__ import annotations

from typing import Any

from barapp.cocktails.model import fold
from barapp.wishes.events import LISTS
from barapp.wishes.jsonstream import ValueDone

REPEATS = 4
"""Repeated items (ingredients and steps together) that make an answer a loop."""
LONGEST = 40
"""Items in one list past which an answer is a loop, repeated or not (the bar keeps 40)."""


class LoopGuard:
    def __init__(self) -> None:
        self.seen: dict[str, set[str]] = {name: set() for name in LISTS}
        self.count = dict.fromkeys(LISTS, 0)
        self.repeats = 0

    def looping(self, parsed: list[Any]) -> bool:
        """Whether the answer loops, given the parser's events of one more fragment."""
        for event in parsed:
            path = event.path
            if isinstance(event, ValueDone) and len(path) == 2 and path[0] in self.seen:
                key = _key(event.value)
                if key in self.seen[path[0]]:
                    self.repeats += 1
                self.seen[path[0]].add(key)
                self.count[path[0]] += 1
        return self.repeats >= REPEATS or max(self.count.values()) > LONGEST

    def detail(self) -> str:
        return f"{self.repeats} repeated items, {self.count['ingredients']} ingredients and " + (
            f"{self.count['steps']} steps written"
        )


def _key(item: Any) -> str:
    """What makes two items the same: an ingredient's name, a step's words."""
    if isinstance(item, dict):
        item = item.get("name")
    return " ".join(fold(item).split()) if isinstance(item, str) else repr(item)
