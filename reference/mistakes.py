"""The chapter's common mistakes, each written out as the wrong function a student would write.

Each function here reproduces one mistake with the student-facing signature. The hidden suites use
them to recognise a wrong answer and name it; the demo cohort and the tests use their source as
realistic wrong submissions. Bodies refer to `np` and to the student's other functions (`df`,
`relu`, `sigmoid`, `softmax`) by their notebook names, so they read the same in both places.
"""
import numpy as np

from dlgrader.verdicts import MistakeBook

from .ps1 import df, f  # noqa: F401  (names the notebook versions use)
from .ps3 import relu, sigmoid  # noqa: F401

BOOK = MistakeBook()
mistake = BOOK.register

# ---- ps1: gradient descent --------------------------------------------------------------------


@mistake("df", "power-rule", "differentiate each power: d/dx x^4 = 4x^3 and d/dx 3x^3 = 9x^2, "
         "so f'(x) = 4x^3 - 9x^2.")
def df_power_rule(x):
    x = np.asarray(x, dtype=float)
    return 4 * x**3 - 3 * x**2


@mistake("gradient_descent", "sign-flip", "the update adds the gradient (gradient ascent). "
         "Step against it: x_new = x - lr * df(x).")
def gradient_descent_sign_flip(x0, lr, steps):
    xs = [float(x0)]
    for _ in range(steps):
        xs.append(xs[-1] + lr * df(xs[-1]))
    return np.array(xs)


@mistake("gradient_descent", "no-x0", "the trajectory must start with x0 and hold steps+1 values; "
         "yours leaves out the starting point.")
def gradient_descent_no_x0(x0, lr, steps):
    x = float(x0)
    xs = []
    for _ in range(steps):
        x = x - lr * df(x)
        xs.append(x)
    return np.array(xs)


@mistake("gradient_descent", "uses-f", "the update uses f(x) instead of its derivative df(x).")
def gradient_descent_uses_f(x0, lr, steps):
    xs = [float(x0)]
    for _ in range(steps):
        xs.append(xs[-1] - lr * f(xs[-1]))
    return np.array(xs)


@mistake("gradient_descent", "hardcoded-hyperparameters", "the learning rate and number of steps "
         "must come from the arguments, not the chapter's 0.01 and 1000.")
def gradient_descent_hardcoded_hyperparameters(x0, lr, steps):
    xs = [float(x0)]
    for _ in range(1000):
        xs.append(xs[-1] - 0.01 * df(xs[-1]))
    return np.array(xs)

# ---- ps2: softmax and cross-entropy -----------------------------------------------------------


@mistake("softmax", "no-max-shift", "np.exp overflows for large logits. Subtract max(z) before "
         "exponentiating; the result does not change.")
def softmax_no_max_shift(z):
    e = np.exp(np.asarray(z, dtype=float))
    return e / e.sum()


@mistake("softmax", "no-normalisation", "the exponentials must be divided by their sum so the "
         "probabilities add up to 1.")
def softmax_no_normalisation(z):
    z = np.asarray(z, dtype=float)
    return np.exp(z - z.max())


@mistake("cross_entropy_loss", "missing-minus", "the loss is the negative log-probability of "
         "the true class, -log p[y]; yours has the wrong sign.")
def cross_entropy_loss_missing_minus(probs, y):
    return float(np.log(probs[y]))


@mistake("cross_entropy_loss", "log-base", "use the natural logarithm np.log, not log2 or log10.")
def cross_entropy_loss_log_base(probs, y):
    return float(-np.log10(probs[y]))


@mistake("softmax_ce_gradient", "sign-flip", "the gradient is p - onehot(y), not onehot(y) - p: "
         "the sign is flipped.")
def softmax_ce_gradient_sign_flip(probs, y):
    onehot = np.zeros_like(probs, dtype=float)
    onehot[y] = 1.0
    return onehot - probs


@mistake("softmax_ce_gradient", "no-onehot", "subtract 1 only at the true class: the gradient is "
         "p - onehot(y).")
def softmax_ce_gradient_no_onehot(probs, y):
    return np.asarray(probs, dtype=float) - 1.0


@mistake("numerical_gradient", "one-h", "a central difference divides by 2h: (f(x+h) - f(x-h)) / (2h).")
def numerical_gradient_one_h(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / h
    return grad


@mistake("numerical_gradient", "forward-difference", "use the central difference "
         "(f(x+h) - f(x-h)) / (2h), not the less accurate forward difference (f(x+h) - f(x)) / h.")
def numerical_gradient_forward_difference(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    fx = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        grad[i] = (f(x) - fx) / h
        x[i] = old
    return grad

# ---- ps3: two-layer forward pass --------------------------------------------------------------


@mistake("forward", "hadamard", "`*` multiplies elementwise (Hadamard product); a layer needs "
         "the matrix product `@` (np.dot).", error_pattern=r"could not be broadcast")
def forward_hadamard(X, W1, b1, W2, b2):
    A1 = relu(X * W1 + b1)
    return sigmoid(A1 * W2 + b2)


@mistake("forward", "missing-bias", "each layer adds its bias: Z1 = X @ W1 + b1 and Z2 = A1 @ W2 + b2.")
def forward_missing_bias(X, W1, b1, W2, b2):
    A1 = relu(X @ W1)
    return sigmoid(A1 @ W2)


@mistake("forward", "sigmoid-hidden", "the hidden layer uses ReLU; sigmoid belongs on the output only.")
def forward_sigmoid_hidden(X, W1, b1, W2, b2):
    A1 = sigmoid(X @ W1 + b1)
    return sigmoid(A1 @ W2 + b2)


@mistake("forward", "no-output-sigmoid", "the output layer must squash Z2 with sigmoid to give a "
         "probability.")
def forward_no_output_sigmoid(X, W1, b1, W2, b2):
    A1 = relu(X @ W1 + b1)
    return A1 @ W2 + b2


@mistake("forward", "shape-mismatch", "a matrix product needs matching inner dimensions: "
         "(n, d) @ (d, h) -> (n, h); check the order and the transposes.",
         error_pattern=r"matmul|shapes .* not aligned|mismatch in its core dimension")
def forward_shape_mismatch(X, W1, b1, W2, b2):
    A1 = relu(W1 @ X + b1)
    return sigmoid(A1 @ W2 + b2)


@mistake("binary_cross_entropy", "unclipped-log", "np.log(0) is -inf: clip predictions to "
         "[eps, 1 - eps] before taking logs.")
def binary_cross_entropy_unclipped_log(y_true, y_pred, eps=1e-15):
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    return float(-np.mean(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred)))


@mistake("binary_cross_entropy", "mse", "this is the mean squared error; classification uses "
         "binary cross-entropy -mean(y log p + (1 - y) log(1 - p)).")
def binary_cross_entropy_mse(y_true, y_pred, eps=1e-15):
    return float(np.mean((np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)) ** 2))


@mistake("binary_cross_entropy", "sum-not-mean", "average the per-sample losses (np.mean), "
         "don't add them up.")
def binary_cross_entropy_sum_not_mean(y_true, y_pred, eps=1e-15):
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.clip(np.asarray(y_pred, dtype=float), eps, 1 - eps)
    return float(-np.sum(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred)))


@mistake("relu", "abs", "ReLU sets negative inputs to 0; it does not take the absolute value.")
def relu_abs(z):
    return np.abs(np.asarray(z, dtype=float))


@mistake("sigmoid", "sign", "sigmoid is 1 / (1 + exp(-z)); the minus sign in the exponent is missing.")
def sigmoid_sign(z):
    return 1.0 / (1.0 + np.exp(np.asarray(z, dtype=float)))
