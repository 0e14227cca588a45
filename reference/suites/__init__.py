"""Hidden test suites, one module per assignment, one function per graded test cell.

A test cell's hidden part calls `t.hidden("ps2.softmax")`, which runs `softmax(t)` from `ps2.py`
here. Suites compare the student's functions with the reference on fixed, randomized and edge-case
inputs, with explicit tolerances and point weights, and pass the known mistakes so messages can
name them. None of this source is ever shown to students.
"""
