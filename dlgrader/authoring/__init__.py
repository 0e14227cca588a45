"""Authoring: build the student versions (release/) from the instructor versions (source/)."""
