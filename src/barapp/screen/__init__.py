"""The bar's screen: a read-only, full-screen view for a TV behind the bar."""
