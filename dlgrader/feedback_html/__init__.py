"""Feedback: per-student HTML reports that show checks and messages but never hidden test code."""
