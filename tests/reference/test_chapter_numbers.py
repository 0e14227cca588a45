"""The reference reproduces every number the chapter states (EXERCISES.md)."""
import os

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


def test_section_a_answer_key(ref):
    assert ref.ps4.MULTIPLE_CHOICE == {"Q1": "b", "Q2": "b", "Q3": "b", "Q4": "c", "Q5": "b",
                                       "Q6": "c", "Q7": "b", "Q8": "c", "Q9": "b", "Q10": "b"}
    # Q1 and Q7 are computations: check them rather than trust the key
    assert (np.zeros((64, 128)) @ np.zeros((128, 10))).shape == (64, 10)
    assert -np.log(0.01) == pytest.approx(4.61, abs=5e-3)
    # Q4: the largest value of sigmoid' is 0.25, at 0
    z = np.linspace(-10, 10, 20001)
    assert ref.toolkit.sigmoid_derivative(z).max() == pytest.approx(0.25)


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
    np.testing.assert_allclose(np.array([[1, 2], [3, 4]]) @ np.array([[5, 6], [7, 8]]), [[19, 22], [43, 50]])
    jio = np.array([[12, 399, 45], [5, 199, 80], [25, 599, 20]]) @ np.array([0.1, 0.005, -0.02])
    np.testing.assert_allclose(jio, [2.295, -0.105, 5.095], atol=1e-9)
    np.testing.assert_allclose(p3.sigmoid(jio), [0.908, 0.474, 0.994], atol=5e-4)
    w = np.array([0.01, 0.0002, 0.0003, -0.5])
    assert np.array([28, 1450, 850, 3]) @ w == pytest.approx(-0.675)
    assert np.array([32, 5800, 2100, 1]) @ w == pytest.approx(1.61)
    assert p3.binary_cross_entropy([1, 0, 1], [0.8, 0.3, 0.6]) == pytest.approx(0.3635, abs=5e-5)
    assert tk.bernoulli_mle(47, 1000) == 0.047
    p = [0.4, 0.3, 0.2, 0.1]
    assert tk.entropy(p) == pytest.approx(1.280, abs=5e-4)
    assert tk.kl_divergence(p, [0.35, 0.30, 0.25, 0.10]) == pytest.approx(0.0088, abs=5e-5)
    assert tk.kl_divergence(p, [0.1, 0.1, 0.1, 0.7]) == pytest.approx(0.828, abs=5e-4)
    assert tk.kl_divergence(p, [0.1, 0.1, 0.1, 0.7]) != pytest.approx(tk.kl_divergence([0.1, 0.1, 0.1, 0.7], p))
    assert tk.entropy([0.5, 0.5], base=2) == pytest.approx(1.0)
    assert tk.entropy([0.9, 0.1], base=2) == pytest.approx(0.47, abs=5e-3)
    # confidently wrong (y = 1, y_hat = 0.01): d/dy_hat of CE is -1/y_hat, of MSE 2 (y_hat - y)
    assert -1 / 0.01 == pytest.approx(-100)
    assert 2 * (0.01 - 1) == pytest.approx(-1.98)
    assert tk.sigmoid_derivative(0.0) == 0.25
    np.testing.assert_allclose(np.linalg.eigvalsh([[2, 1], [1, 2]]), [1, 3])
    hess = tk.numerical_hessian(lambda v: v[0] ** 2 + v[0] * v[1] + v[1] ** 2, [0.3, -0.7])
    np.testing.assert_allclose(hess, [[2, 1], [1, 2]], atol=1e-4)
    grad = ref.ps2.numerical_gradient(lambda v: v[0] ** 2 + 3 * v[0] * v[1], np.array([2.0, 5.0]))
    np.testing.assert_allclose(grad, [19, 6], atol=1e-6)
    assert tk.gd_quadratic(0.0, 0.1) == pytest.approx(3.0)
