"""The idea behind each graded question, in a sentence or two, and where the chapter covers it.

Keyed by the title of the question's `Checks` (the first argument in its test cell). The feedback
page shows these next to a failed check, so a student knows what to reread, not only what to fix.
Written for this course; section numbers follow the chapter "Mathematical Toolkit for Deep Learning".
"""

CONCEPTS = {
    # ---- ps1: gradient descent
    "f": ("A function of an array is applied to each entry: with NumPy, x**4 - 3*x**3 + 2 works for a "
          "number and for an array alike.", "2.2.1 Derivatives from first principles"),
    "df": ("The power rule differentiates each term on its own: d/dx x^n = n x^(n-1). Factoring "
           "f'(x) = x^2 (4x - 9) shows its two stationary points, 0 and 2.25.",
           "2.2.1 Key derivative rules; Section D, problem 1"),
    "gradient_descent": ("The gradient points uphill, so each step moves against it: "
                         "x <- x - lr * f'(x). The trajectory records where you start and every step.",
                         "2.2.3 Gradient descent intuition; 4.2 Gradient descent demo"),
    # ---- ps2: softmax and cross-entropy
    "softmax": ("Softmax turns logits into probabilities that are positive and add up to 1. Subtracting "
                "max(z) first changes nothing mathematically but keeps exp from overflowing.",
                "Section D, problem 2 (the max-subtraction trick)"),
    "cross_entropy_loss": ("Cross-entropy is the negative log-likelihood of the true class: -ln p_y, "
                           "natural log, zero only when the model is certain and right.",
                           "2.3.6 From MLE to cross-entropy loss; 2.4.3 Cross-entropy"),
    "softmax_ce_gradient": ("For softmax followed by cross-entropy the chain rule collapses to "
                            "p - onehot(y): lower the wrong classes, raise the true one.",
                            "2.2.2 The chain rule; Section D, problem 2"),
    "numerical_gradient": ("A central difference (f(x+h) - f(x-h)) / 2h estimates each partial "
                           "derivative, one coordinate at a time, with an error of order h^2.",
                           "2.2.3 Partial derivatives and gradients; 4.2 Numerical gradient"),
    "gradient check": ("A gradient check compares the formula with finite differences at the same "
                       "point; a gap above about 1e-6 means one of them is wrong.",
                       "4.2 Numerical gradient; Section D, problem 2"),
    # ---- ps3: a two-layer forward pass
    "relu": ("ReLU keeps positive inputs and sets negative ones to 0, entry by entry.",
             "Common mistake 6 (ReLU for hidden layers)"),
    "sigmoid": ("Sigmoid squashes any number into (0, 1): 1 / (1 + e^(-z)); sigma(0) = 0.5.",
                "2.2.5 Derivative of the sigmoid function"),
    "forward": ("A layer is a matrix product plus a bias, then an activation: Z1 = X W1 + b1, "
                "A1 = relu(Z1), then sigmoid on the output. Shapes (n, d) @ (d, h) -> (n, h) tell you "
                "the order.", "2.1.2 Matrix multiplication; Section D, problem 3"),
    "binary_cross_entropy": ("Binary cross-entropy averages -(y ln p + (1 - y) ln(1 - p)) over the "
                             "samples; clipping p away from 0 and 1 keeps the logs finite.",
                             "2.3.6 From MLE to cross-entropy loss; common mistake 4 (log of 0)"),
    # ---- ps4: quiz and hand calculations
    "Q1": ("Matrix shapes multiply as (m, n) @ (n, p) -> (m, p).", "2.1.2 Matrix multiplication"),
    "Q2": ("Gates scale a vector entry by entry: that is the Hadamard product.",
           "2.1.5 Element-wise (Hadamard) product"),
    "Q3": ("The sigmoid's derivative is sigma(z) (1 - sigma(z)), derived with the chain rule.",
           "2.2.5 Derivative of the sigmoid function"),
    "Q4": ("sigma'(z) is largest at z = 0, where it is 0.5 x 0.5 = 0.25.",
           "2.2.5 Derivative of the sigmoid function"),
    "Q5": ("The chain rule: the outer derivative at the inner function, times the inner derivative.",
           "2.2.2 The chain rule"),
    "Q6": ("Maximising a Bernoulli likelihood is the same as minimising binary cross-entropy.",
           "2.3.5 MLE for Bernoulli; 2.3.6 From MLE to cross-entropy loss"),
    "Q7": ("With y = 1 the loss is -ln of the predicted probability.", "2.4.3 Cross-entropy"),
    "Q8": ("KL divergence is never negative, is 0 only when p = q, and is not symmetric.",
           "2.4.2 KL divergence"),
    "Q9": ("The gradient points towards steepest ascent; descent steps go the other way.",
           "2.2.3 Partial derivatives and gradients"),
    "Q10": ("Cross-entropy is entropy plus the KL divergence: H(p, q) = H(p) + D_KL(p || q).",
            "2.4.3 Cross-entropy"),
    "B1_AB": ("Each entry of AB is a row of A times the column of B.", "2.1.2 Matrix multiplication"),
    "B2_dydx": ("Two chain-rule steps: ln, then sin, then 3x^2.", "2.2.2 The chain rule"),
    "B3_L": ("Evaluate the inside first: 2 + 3 - 7 = -2, then square.",
             "2.2.3 Partial derivatives and gradients"),
    "B3_GRAD": ("Each partial derivative treats the other weight as a constant; the chain rule gives "
                "2 (2w1 + 3w2 - 7) times 2 or 3.", "2.2.3 Partial derivatives and gradients"),
    "B4_BCE": ("Average -(y ln p + (1 - y) ln(1 - p)) over the four samples, natural log.",
               "2.3.6 From MLE to cross-entropy loss"),
    "B5_P_HAT": ("The Bernoulli MLE is the fraction of successes.", "2.3.5 MLE for Bernoulli"),
    "B5_LOGLIK": ("The log-likelihood adds ln p for each success and ln(1 - p) for each failure.",
                  "2.3.5 MLE for Bernoulli"),
}
