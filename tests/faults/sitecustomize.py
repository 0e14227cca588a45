"""Fault injection for the tests that need a grading worker to die, from outside the product.

Loaded only by processes a test starts with this folder on PYTHONPATH (`dlgrader serve`, Dask
workers); production code never reads the variable. DLGRADER_TEST_CRASH_ON=STUDENT makes grading
STUDENT's submission end the worker process abruptly, every time it is tried.
"""
import os

_victim = os.environ.get("DLGRADER_TEST_CRASH_ON")
if _victim:
    import dlgrader.execution.workers as _workers

    _original = _workers.grade_task

    def grade_task(task, bundle):
        if task.get("student") == _victim:
            os._exit(70)
        return _original(task, bundle)

    _workers.grade_task = grade_task
