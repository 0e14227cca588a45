"""Grading runs: the engine, the notebook grader, the worker pool and the batch coordinator."""
import os as _os

# The checks compare small arrays: BLAS threads only add start-up and context switches, and the
# grading processes already fill the cores. Set before numpy loads in a grading process (the
# worker pool's processes inherit it; the sandbox zygote sets its own).
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
_os.environ.setdefault("OMP_NUM_THREADS", "1")
