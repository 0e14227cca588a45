"""Report: what instructors and TAs read after grading (summary tables, CSV exports)."""
