"""Ratings: guests say which drinks were good (one vote per guest session per drink)."""
