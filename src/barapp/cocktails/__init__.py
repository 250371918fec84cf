"""The cocktail: its one typed model, its units, the gallery query, who may see it, import and
export, and the guest pages that show it."""
