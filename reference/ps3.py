"""ps3: forward pass of a 2-layer network (ReLU hidden layer, sigmoid output) and its BCE loss."""
import numpy as np


def relu(z):
    return np.maximum(np.asarray(z, dtype=float), 0.0)


def sigmoid(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def forward(X, W1, b1, W2, b2):
    A1 = relu(X @ W1 + b1)
    return sigmoid(A1 @ W2 + b2)


def binary_cross_entropy(y_true, y_pred, eps=1e-15):
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.clip(np.asarray(y_pred, dtype=float), eps, 1 - eps)
    return float(-np.mean(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred)))


def chapter_batch():
    """The chapter's programming problem: seed 42, X (5, 4), y (5, 1), then W1, b1, W2, b2."""
    rng = np.random.RandomState(42)
    X = rng.randn(5, 4)
    y = np.array([[1], [0], [1], [0], [1]], dtype=float)
    W1 = rng.randn(4, 3)
    b1 = np.zeros((1, 3))
    W2 = rng.randn(3, 1)
    b2 = np.zeros((1, 1))
    return X, y, W1, b1, W2, b2
