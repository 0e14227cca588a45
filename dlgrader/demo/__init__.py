"""Demo: the whole pipeline on a simulated cohort of students."""
