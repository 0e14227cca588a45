"""Hidden checks for ps3 (relu, sigmoid, 2-layer forward pass, binary cross-entropy)."""
import numpy as np

from .. import ps3 as ref
from ..mistakes import BOOK


def relu(t):
    z = t.rng().normal(0, 2, size=(4, 3))
    t.returns("random 2-D input, negatives included, keeps its shape", "relu", (z,), ref.relu(z),
              points=0.5, mistakes=BOOK.for_target("relu"))


def sigmoid(t):
    z = np.concatenate([t.rng().normal(0, 3, size=6), [-1000.0, 1000.0, 0.0]]).reshape(3, 3)
    t.returns("random and extreme (+-1000) inputs, 2-D, no NaN", "sigmoid", (z,), ref.sigmoid(z),
              points=0.5, rtol=1e-9, atol=1e-12, mistakes=BOOK.for_target("sigmoid"))


def _params(rng, n, d, h, bias=True):
    X = rng.normal(size=(n, d))
    W1, W2 = rng.normal(size=(d, h)), rng.normal(size=(h, 1))
    b1 = rng.normal(size=(1, h)) if bias else np.zeros((1, h))
    b2 = rng.normal(size=(1, 1)) if bias else np.zeros((1, 1))
    return X, W1, b1, W2, b2


def forward(t):
    wrong = BOOK.for_target("forward")
    X, _, W1, b1, W2, b2 = ref.chapter_batch()
    args = (X, W1, b1, W2, b2)
    t.returns("the chapter's batch (seed 42, 5 x 4 -> 3 -> 1) matches the reference", "forward", args,
              ref.forward(*args), points=1, rtol=1e-7, atol=1e-12, mistakes=wrong)
    rng = t.rng()
    args = _params(rng, 7, 2, 6)
    t.returns("odd shapes (n=7, d=2, h=6) with non-zero biases", "forward", args, ref.forward(*args),
              points=1, rtol=1e-7, atol=1e-12, mistakes=wrong)
    args = _params(rng, 3, 3, 3, bias=False)
    args = (args[0], args[1], args[2], args[3][:, :1].reshape(3, 1), args[4])
    t.returns("square shapes (n=d=h=3), where `*` would not raise but is wrong", "forward", args,
              ref.forward(*args), points=0.5, rtol=1e-7, atol=1e-12, mistakes=wrong)


def binary_cross_entropy(t):
    wrong = BOOK.for_target("binary_cross_entropy")
    rng = t.rng()
    y = rng.integers(0, 2, size=(8, 1)).astype(float)
    p = rng.uniform(0.05, 0.95, size=(8, 1))
    t.returns("random labels and predictions, shape (8, 1)", "binary_cross_entropy", (y, p),
              ref.binary_cross_entropy(y, p), points=0.5, rtol=1e-9, mistakes=wrong)
    y_edge = np.array([1.0, 0.0, 1.0, 0.0])      # (exactly 0 and 1 without eps: a visible check)
    p_edge = np.array([0.0, 1.0, 1.0, 0.0])
    t.returns("honours a custom eps=1e-3", "binary_cross_entropy", (y_edge, p_edge),
              ref.binary_cross_entropy(y_edge, p_edge, eps=1e-3), kwargs={"eps": 1e-3},
              points=0.5, rtol=1e-9, mistakes=wrong)
