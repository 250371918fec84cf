"""Orders: a guest asks the bartender for a drink; the order board where bartenders make them."""
