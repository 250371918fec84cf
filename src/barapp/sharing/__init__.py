"""Taking a drink home: the QR code to a cocktail's public page, the printed recipe card and
the tags a shared link is shown with."""
