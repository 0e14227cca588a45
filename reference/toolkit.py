"""The chapter's other worked quantities (information theory, MLE, curvature), for the number checks."""
import numpy as np


def entropy(p, base=np.e):
    p = np.asarray(p, dtype=float)
    p = p[p > 0]
    return float(-np.sum(p * np.log(p)) / np.log(base))


def cross_entropy(p, q):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    return float(-np.sum(p * np.log(q)))


def kl_divergence(p, q):
    return cross_entropy(p, q) - entropy(p)


def bernoulli_mle(successes, trials):
    return successes / trials


def bernoulli_log_likelihood(successes, trials, p):
    return float(successes * np.log(p) + (trials - successes) * np.log(1 - p))


def sigmoid_derivative(z):
    s = 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))
    return s * (1 - s)


def numerical_hessian(f, x, h=1e-4):
    x = np.asarray(x, dtype=float)
    n = x.size
    H = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            e_i, e_j = np.eye(n)[i] * h, np.eye(n)[j] * h
            H[i, j] = (f(x + e_i + e_j) - f(x + e_i - e_j) - f(x - e_i + e_j) + f(x - e_i - e_j)) / (4 * h * h)
    return H


def gd_quadratic(w0=0.0, lr=0.1, steps=200, target=3.0):
    w = w0
    for _ in range(steps):
        w -= lr * 2 * (w - target)
    return w
