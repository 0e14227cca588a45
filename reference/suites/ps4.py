"""Hidden checks for ps4 (multiple choice and hand calculations). Answers are never revealed."""
import numpy as np

from dlgrader.verdicts.compare import compare, same_value

from .. import ps4 as ref

# Distractors that match one of the chapter's common mistakes, by question.
CHOICE_HINTS = {
    "Q1": {"a": "Multiplying (m, n) by (n, p) gives (m, p): the inner dimensions cancel.",
           "c": "Multiplying (m, n) by (n, p) gives (m, p), not its transpose.",
           "d": "A matrix product does not keep the inner dimension."},
    "Q2": {"a": "Gates multiply elementwise (Hadamard, `*`), not by the matrix product `@`."},
    "Q6": {"a": "MSE is a regression loss; BCE comes from the likelihood of a Bernoulli model."},
    "Q8": {"d": "KL divergence is not symmetric: KL(p||q) and KL(q||p) usually differ."},
    "Q10": {"a": "Cross-entropy is at least the entropy: the KL term is added, not subtracted."},
}


def _choice(name):
    def suite(t):
        t.choice(f"{name} is the right option", name, ref.MULTIPLE_CHOICE[name], points=1,
                 hints=CHOICE_HINTS.get(name))
    suite.__name__ = name
    return suite


Q1, Q2, Q3, Q4, Q5, Q6, Q7, Q8, Q9, Q10 = (_choice(f"Q{i}") for i in range(1, 11))


def B1_AB(t):
    hadamard = (2.0, 12.0, 1.0, -4.0)
    t.answer("A @ B is right", "B1_AB", ref.B1_AB, atol=ref.TOLERANCE["B1_AB"], flexible_shape=True,
             wrong={(5.0, 0.0): "that multiplies B by the columns of A (B^T A); A @ B uses the rows of A.",
                    hadamard: "`*` is elementwise; the matrix product is `@`."})


def B2_dydx(t):
    no_inner = lambda x: 1.0 / np.tan(3 * x**2)  # noqa: E731  (chain rule's inner factor forgotten)
    for label, xs in (("small x (0.2, 0.35, 0.5)", [0.2, 0.35, 0.5]),
                      ("larger x (0.7, 0.85, 1.0)", [0.7, 0.85, 1.0])):
        description = f"dy/dx at {label} is right"
        got = []
        for x in xs:
            call = t.call("B2_dydx", x)
            if not call.ok:
                t.record(description, False, f"B2_dydx({x}) raised {call.error}.")
                break
            got.append(call.value)
        else:
            ok, reason = compare(got, [ref.B2_dydx(x) for x in xs], atol=1e-6, rtol=1e-6,
                                 flexible_shape=True, reveal=False)
            if not ok and same_value(got, [no_inner(x) for x in xs], atol=1e-6, rtol=1e-6,
                                     flexible_shape=True):
                reason += ". Common mistake: the chain rule also multiplies by the derivative of 3x^2, which is 6x"
            t.record(description, ok, f"B2_dydx at {label} {reason}.")


def B3_L(t):
    t.answer("L(1, 1) is right", "B3_L", ref.B3_L, atol=ref.TOLERANCE["B3_L"])


def B3_GRAD(t):
    t.answer("grad L(1, 1) is right", "B3_GRAD", ref.B3_GRAD, atol=ref.TOLERANCE["B3_GRAD"],
             flexible_shape=True, wrong={(8.0, 12.0): "the sign: 2 w1 + 3 w2 - 7 is negative at (1, 1)."})


def B4_BCE(t):
    t.answer("the BCE is right", "B4_BCE", ref.B4_BCE, atol=ref.TOLERANCE["B4_BCE"],
             wrong={round(ref.B4_BCE / np.log(10), 4): "use the natural logarithm, not log10.",
                    round(ref.B4_BCE * 4, 4): "average over the 4 samples, don't add them up."})


def B5_P_HAT(t):
    t.answer("p_hat is right", "B5_P_HAT", ref.B5_P_HAT, atol=ref.TOLERANCE["B5_P_HAT"])


def B5_LOGLIK(t):
    t.answer("the log-likelihood is right", "B5_LOGLIK", ref.B5_LOGLIK, atol=ref.TOLERANCE["B5_LOGLIK"],
             wrong={round(-ref.B5_LOGLIK, 2): "a log-likelihood of probabilities below 1 is negative.",
                    round(160 * np.log(0.8), 2): "the 40 late deliveries add 40 ln(0.2)."})
