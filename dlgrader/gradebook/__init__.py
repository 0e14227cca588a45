"""Gradebook: reading scores back from nbgrader's gradebook database."""
