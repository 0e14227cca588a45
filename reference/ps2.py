"""ps2: softmax, cross-entropy and their gradient, checked numerically."""
import numpy as np


def softmax(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - np.max(z))
    return e / e.sum()


def cross_entropy_loss(probs, y):
    return float(-np.log(np.asarray(probs, dtype=float)[int(y)]))


def softmax_ce_gradient(probs, y):
    grad = np.array(probs, dtype=float)
    grad[int(y)] -= 1.0
    return grad


def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        up = f(x)
        x[idx] = old - h
        down = f(x)
        x[idx] = old
        grad[idx] = (up - down) / (2 * h)
    return grad
