"""`dlgrader serve`: grade each submission as it arrives and release its feedback."""
