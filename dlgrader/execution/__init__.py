"""Execution: running submitted notebooks and their test cells."""
