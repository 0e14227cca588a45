"""The reference reproduces every number the chapter states (EXERCISES.md)."""
import os
import re
from pathlib import Path

import numpy as np
import pytest

from dlgrader.verdicts import reference as loader


@pytest.fixture(scope="module")
def ref():
    os.environ[loader.ENV_VAR] = os.path.join(os.path.dirname(__file__), "..", "..", "reference")
    try:
        yield loader.load()
    finally:
        os.environ.pop(loader.ENV_VAR, None)


CHAPTER = Path(__file__).resolve().parents[3] / "shared" / "chapter" / "EXERCISES.md"


def chapter_answer_key() -> dict:
    """Section A's answer key as the chapter's own table states it (the `correct option` column)."""
    if not CHAPTER.is_file():
        pytest.skip(f"the chapter's exercises are not beside the checkout ({CHAPTER})")
    text = CHAPTER.read_text(encoding="utf-8")
    section = text.split("## Section A", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\|\s*(\d+)\s*\|.*\|\s*([a-d])\b[^|]*\|\s*$", section, re.M)
    return {f"Q{n}": letter for n, letter in rows}


def test_section_a_answer_key_is_the_chapters(ref):
    key = chapter_answer_key()
    assert len(key) == 10
    assert ref.ps4.MULTIPLE_CHOICE == key


def test_section_a_computed_questions_agree_with_the_key(ref):
    # Q4: the largest value of sigmoid' is 0.25 (option c), at 0
    z = np.linspace(-10, 10, 20001)
    assert ref.toolkit.sigmoid_derivative(z).max() == pytest.approx(0.25)
    assert z[np.argmax(ref.toolkit.sigmoid_derivative(z))] == pytest.approx(0.0)
    # Q7: the cross-entropy of y = 1 against y_hat = 0.01 is -log 0.01 = 4.61 (option b)
    assert ref.ps2.cross_entropy_loss(np.array([0.01, 0.99]), 0) == pytest.approx(4.61, abs=5e-3)
    # Q10: H(p, q) = H(p) + KL(p || q) (option b)
    p, q = [0.4, 0.3, 0.2, 0.1], [0.1, 0.1, 0.1, 0.7]
    assert ref.toolkit.cross_entropy(p, q) == pytest.approx(ref.toolkit.entropy(p) + ref.toolkit.kl_divergence(p, q))


def test_section_b_hand_calculations(ref):
    p4 = ref.ps4
    np.testing.assert_allclose(p4.B1_AB, [14, -3])
    x = 0.4
    np.testing.assert_allclose(p4.B2_dydx(x), 6 * x * np.cos(3 * x**2) / np.sin(3 * x**2))
    h = 1e-6
    y = lambda v: np.log(np.sin(3 * v**2))  # noqa: E731
    assert p4.B2_dydx(x) == pytest.approx((y(x + h) - y(x - h)) / (2 * h), rel=1e-6)
    assert p4.B3_L == 4
    np.testing.assert_allclose(p4.B3_GRAD, [-8, -12])
    assert p4.B4_BCE == pytest.approx(0.1976, abs=5e-5)
    assert abs(p4.B4_BCE - 0.1977) <= p4.TOLERANCE["B4_BCE"]       # the chapter's rounding is accepted
    assert p4.B5_P_HAT == 0.8
    assert p4.B5_LOGLIK == pytest.approx(-100.08, abs=5e-3)


def test_section_d_gradient_descent(ref):
    p1 = ref.ps1
    assert p1.df(6.0) == 540
    traj = p1.gradient_descent(6.0, 0.01, 1000)
    assert traj.shape == (1001,) and traj[0] == 6.0
    assert traj[1] == pytest.approx(0.6)
    assert traj[-1] == pytest.approx(2.25, abs=1e-3)
    assert p1.f(traj[-1]) == pytest.approx(-6.543, abs=1e-3)
    assert p1.df(0.0) == 0 and p1.df(2.25) == 0


def test_section_d_softmax_cross_entropy(ref):
    p2 = ref.ps2
    z = np.array([2.0, 1.0, 0.1])
    p = p2.softmax(z)
    np.testing.assert_allclose(p, [0.659, 0.242, 0.099], atol=5e-4)
    assert p2.cross_entropy_loss(p, 0) == pytest.approx(0.417, abs=5e-4)
    analytic = p2.softmax_ce_gradient(p, 0)
    numeric = p2.numerical_gradient(lambda v: p2.cross_entropy_loss(p2.softmax(v), 0), z)
    np.testing.assert_allclose(analytic, numeric, atol=1e-8)
    assert np.isfinite(p2.softmax(np.array([1000.0, -1000.0]))).all()


def test_section_d_two_layer_network(ref):
    p3 = ref.ps3
    X, y, W1, b1, W2, b2 = p3.chapter_batch()
    assert X.shape == (5, 4) and y.shape == (5, 1)
    Z1 = X @ W1 + b1
    A1 = p3.relu(Z1)
    Z2 = A1 @ W2 + b2
    A2 = p3.sigmoid(Z2)
    assert Z1.shape == A1.shape == (5, 3) and Z2.shape == A2.shape == (5, 1)
    np.testing.assert_allclose(p3.forward(X, W1, b1, W2, b2), A2)
    np.random.seed(42)                           # the chapter's own seeding gives the same X
    np.testing.assert_allclose(np.random.randn(5, 4), X)
    assert 0 < p3.binary_cross_entropy(y, A2) < 10


def test_worked_numbers(ref):
    tk, p3 = ref.toolkit, ref.ps3
    jio = np.array([2.295, -0.105, 5.095])           # the chapter's X @ w for the Jio users
    np.testing.assert_allclose(p3.sigmoid(jio), [0.908, 0.474, 0.994], atol=5e-4)
    assert p3.sigmoid(np.array([-0.675, 1.61])) == pytest.approx([0.3374, 0.8334], abs=5e-4)   # IRCTC
    assert p3.binary_cross_entropy([1, 0, 1], [0.8, 0.3, 0.6]) == pytest.approx(0.3635, abs=5e-5)
    assert tk.bernoulli_mle(47, 1000) == 0.047
    assert tk.bernoulli_log_likelihood(160, 200, 0.8) == pytest.approx(-100.08, abs=5e-3)
    p = [0.4, 0.3, 0.2, 0.1]
    assert tk.entropy(p) == pytest.approx(1.280, abs=5e-4)
    assert tk.kl_divergence(p, [0.35, 0.30, 0.25, 0.10]) == pytest.approx(0.0088, abs=5e-5)
    assert tk.kl_divergence(p, [0.1, 0.1, 0.1, 0.7]) == pytest.approx(0.828, abs=5e-4)
    assert tk.kl_divergence(p, [0.1, 0.1, 0.1, 0.7]) != pytest.approx(tk.kl_divergence([0.1, 0.1, 0.1, 0.7], p))
    assert tk.entropy([0.5, 0.5], base=2) == pytest.approx(1.0)
    assert tk.entropy([0.9, 0.1], base=2) == pytest.approx(0.47, abs=5e-3)
    assert tk.sigmoid_derivative(0.0) == 0.25
    # the chapter's curvature example: the Hessian of x^2 + xy + y^2 is [[2, 1], [1, 2]] everywhere
    hess = tk.numerical_hessian(lambda v: v[0] ** 2 + v[0] * v[1] + v[1] ** 2, [0.3, -0.7])
    np.testing.assert_allclose(hess, [[2, 1], [1, 2]], atol=1e-4)
    grad = ref.ps2.numerical_gradient(lambda v: v[0] ** 2 + 3 * v[0] * v[1], np.array([2.0, 5.0]))
    np.testing.assert_allclose(grad, [19, 6], atol=1e-6)
    assert tk.gd_quadratic(0.0, 0.1) == pytest.approx(3.0)


def test_confidently_wrong_costs_more_under_cross_entropy(ref):
    """The chapter's comparison at y = 1, y_hat = 0.01: the slope of cross-entropy is -1/y_hat =
    -100, of squared error 2 (y_hat - y) = -1.98; measured on the reference's losses."""
    p3, h = ref.ps3, 1e-7
    y = np.array([1.0])
    ce_slope = (p3.binary_cross_entropy(y, np.array([0.01 + h])) - p3.binary_cross_entropy(y, np.array([0.01 - h]))) / (2 * h)
    assert ce_slope == pytest.approx(-100, rel=1e-4)
