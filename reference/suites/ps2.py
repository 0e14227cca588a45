"""Hidden checks for ps2 (softmax, cross-entropy, its gradient, numerical gradients)."""
import numpy as np

from .. import ps2 as ref
from ..mistakes import BOOK


def softmax(t):
    wrong = BOOK.for_target("softmax")
    rng = t.rng()
    z = rng.normal(0, 3, size=6)
    t.returns("random logits (some negative) match the reference", "softmax", (z,), ref.softmax(z),
              points=1, rtol=1e-7, atol=1e-12, mistakes=wrong)
    mixed = np.array([-1000.0, 0.0, 1000.0, -999.0])
    t.returns("logits spanning -1000..1000 stay finite", "softmax", (mixed,), ref.softmax(mixed),
              points=0.5, rtol=1e-7, atol=1e-12, mistakes=wrong)
    t.returns("equal logits give a uniform distribution", "softmax", (np.full(5, 3.7),),
              np.full(5, 0.2), points=0.5, rtol=1e-9, mistakes=wrong)


def cross_entropy_loss(t):
    wrong = BOOK.for_target("cross_entropy_loss")
    rng = t.rng()
    p = ref.softmax(rng.normal(size=5))
    y = int(rng.integers(0, 5))
    t.returns("random probabilities and label match -log p[y]", "cross_entropy_loss", (p, y),
              ref.cross_entropy_loss(p, y), points=0.5, rtol=1e-9, mistakes=wrong)
    certain = np.array([0.0, 1.0, 0.0])
    tiny = np.array([1e-300, 1.0 - 1e-300])
    t.returns("a certain, correct prediction costs 0", "cross_entropy_loss", (certain, 1), 0.0,
              points=0.25, atol=1e-12, mistakes=wrong)
    t.returns("a tiny probability gives a large finite loss", "cross_entropy_loss", (tiny, 0),
              ref.cross_entropy_loss(tiny, 0), points=0.25, rtol=1e-9, mistakes=wrong)


def softmax_ce_gradient(t):
    wrong = BOOK.for_target("softmax_ce_gradient")
    rng = t.rng()
    z = rng.normal(0, 2, size=7)
    y = int(rng.integers(0, 7))
    p = ref.softmax(z)
    t.returns("random probabilities: gradient is p - onehot(y)", "softmax_ce_gradient", (p, y),
              ref.softmax_ce_gradient(p, y), points=1, rtol=1e-9, atol=1e-12, mistakes=wrong)
    loss_of_logits = lambda logits: ref.cross_entropy_loss(ref.softmax(logits), y)  # noqa: E731
    numeric = ref.numerical_gradient(loss_of_logits, z)
    t.returns("the gradient agrees with central finite differences of the loss", "softmax_ce_gradient",
              (p, y), numeric, points=1, rtol=1e-5, atol=1e-7, mistakes=wrong)


def numerical_gradient(t):
    wrong = BOOK.for_target("numerical_gradient")
    rng = t.rng()
    cubic = lambda v: float(np.sum(v**3) + np.sum(v[:-1] * v[1:]))  # noqa: E731
    x = rng.uniform(-2, 3, size=5)
    t.returns("gradient of a cubic at a random point matches central differences", "numerical_gradient",
              (cubic, x), ref.numerical_gradient(cubic, x), points=1, rtol=1e-6, atol=1e-7,
              mistakes=wrong)
    quad2d = lambda m: float(np.sum(m**2 * np.arange(1, m.size + 1).reshape(m.shape)))  # noqa: E731
    m = rng.normal(size=(2, 3))
    t.returns("works for a 2-D x and returns the same shape", "numerical_gradient", (quad2d, m),
              ref.numerical_gradient(quad2d, m), points=1, rtol=1e-6, atol=1e-7, mistakes=wrong)
    t.returns("honours a custom step h=0.01", "numerical_gradient", (cubic, x),
              ref.numerical_gradient(cubic, x, h=0.01), kwargs={"h": 0.01}, points=0.5,
              rtol=1e-9, atol=1e-10, mistakes=wrong)


def gradient_check(t):
    value = t.lookup("max_gradient_error")
    z, y = np.array([2.0, 1.0, 0.1]), 0
    p = ref.softmax(z)
    analytic = ref.softmax_ce_gradient(p, y)
    numeric = ref.numerical_gradient(lambda v: ref.cross_entropy_loss(ref.softmax(v), y), z)
    expected = float(np.max(np.abs(analytic - numeric)))
    t.value_is_close("max_gradient_error is the largest |analytic - numerical| entry", value, expected,
                     points=0.5, atol=1e-7, rtol=0.0, what="`max_gradient_error`")
