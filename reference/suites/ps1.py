"""Hidden checks for ps1 (gradient descent on f(x) = x^4 - 3x^3 + 2)."""
import numpy as np

from .. import ps1 as ref
from ..mistakes import BOOK


def f(t):
    rng = t.rng()
    xs = rng.uniform(-5, 5, size=7)
    t.returns("f agrees with x^4 - 3x^3 + 2 on random floats, negatives included", "f", (xs,),
              ref.f(xs), points=0.5, rtol=1e-9)
    grid = rng.uniform(-3, 4, size=(3, 4))
    t.returns("f works elementwise on a 2-D array and keeps its shape", "f", (grid,), ref.f(grid),
              points=0.5, rtol=1e-9)


def df(t):
    rng = t.rng()
    xs = rng.uniform(-4, 5, size=9)
    t.returns("df agrees with 4x^3 - 9x^2 on random floats", "df", (xs,), ref.df(xs),
              points=0.5, rtol=1e-9, mistakes=BOOK.for_target("df"))
    h = 1e-5
    pts = np.array([-1.3, 0.4, 1.7, 3.2])
    finite_diff = (ref.f(pts + h) - ref.f(pts - h)) / (2 * h)
    t.returns("df matches a central finite difference of f", "df", (pts,), finite_diff,
              points=0.5, rtol=1e-6, atol=1e-5, mistakes=BOOK.for_target("df"))


def gradient_descent(t):
    wrong = BOOK.for_target("gradient_descent")
    t.returns("the chapter's run (x0=6, lr=0.01, 1000 steps) matches step by step", "gradient_descent",
              (6.0, 0.01, 1000), ref.gradient_descent(6.0, 0.01, 1000), points=1, rtol=1e-7,
              atol=1e-9, mistakes=wrong)
    t.returns("other settings (x0=-1.5, lr=0.005, 40 steps) follow the same rule", "gradient_descent",
              (-1.5, 0.005, 40), ref.gradient_descent(-1.5, 0.005, 40), points=1, rtol=1e-7,
              atol=1e-9, mistakes=wrong)
    x0 = float(t.rng().uniform(2.5, 3.5))
    t.returns("a random start in [2.5, 3.5] (lr=0.02, 25 steps) follows the same rule", "gradient_descent",
              (x0, 0.02, 25), ref.gradient_descent(x0, 0.02, 25), points=0.5, rtol=1e-7, atol=1e-9,
              mistakes=wrong)
    t.returns("steps=0 gives just [x0]", "gradient_descent", (1.25, 0.1, 0), np.array([1.25]),
              points=0.5, mistakes=wrong)
