"""ps1: gradient descent on f(x) = x^4 - 3x^3 + 2."""
import numpy as np


def f(x):
    x = np.asarray(x, dtype=float)
    return x**4 - 3 * x**3 + 2


def df(x):
    x = np.asarray(x, dtype=float)
    return 4 * x**3 - 9 * x**2


def gradient_descent(x0, lr, steps):
    xs = np.empty(int(steps) + 1, dtype=float)
    xs[0] = x0
    for k in range(int(steps)):
        xs[k + 1] = xs[k] - lr * df(xs[k])
    return xs


GLOBAL_MINIMUM = 9 / 4  # df(x) = x^2 (4x - 9) = 0 -> x = 0 (not a minimum) or x = 9/4
