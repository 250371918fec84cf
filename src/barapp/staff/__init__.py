"""The bartenders: accounts, login, their home, moderation actions, the edit form, the
generation log and the bar's settings page."""
