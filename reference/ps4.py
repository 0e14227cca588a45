"""ps4: the quiz's answer key and hand-calculation answers, with the tolerance each is graded at."""
import numpy as np

MULTIPLE_CHOICE = {
    "Q1": "b", "Q2": "b", "Q3": "b", "Q4": "c", "Q5": "b",
    "Q6": "c", "Q7": "b", "Q8": "c", "Q9": "b", "Q10": "b",
}

B1_AB = np.array([[2.0, 3.0], [1.0, -1.0]]) @ np.array([1.0, 4.0])


def B2_dydx(x):
    x = np.asarray(x, dtype=float)
    return 6 * x / np.tan(3 * x**2)


B3_L = (2 * 1 + 3 * 1 - 7) ** 2
B3_GRAD = np.array([2 * 2 * (2 + 3 - 7), 3 * 2 * (2 + 3 - 7)], dtype=float)
B4_BCE = float(-np.mean([np.log(0.9), np.log(1 - 0.2), np.log(0.7), np.log(1 - 0.1)]))
B5_P_HAT = 160 / 200
B5_LOGLIK = float(160 * np.log(0.8) + 40 * np.log(0.2))

# Absolute tolerances: wide enough for the chapter's own rounding (0.1977, -100.08), tight enough
# to tell the common wrong answers apart.
TOLERANCE = {
    "B1_AB": 1e-6, "B2_dydx": 1e-6, "B3_L": 1e-6, "B3_GRAD": 1e-6,
    "B4_BCE": 5e-4, "B5_P_HAT": 1e-6, "B5_LOGLIK": 0.01,
}
