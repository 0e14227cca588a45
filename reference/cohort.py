"""Wrong answers to the quiz's variables, for simulated cohorts (demo and tests).

Function-level mistakes live in `mistakes.BOOK`; these are the answer cells that hold a value.
Each entry is a line a student might write instead of the right one.
"""

WRONG_ANSWERS = {
    "Q1": ['Q1 = "a"', 'Q1 = "(C)"'],
    "Q2": ['Q2 = "a"'],
    "Q3": ['Q3 = "d"', 'Q3 = "a"'],
    "Q4": ['Q4 = "b"', 'Q4 = " a "'],
    "Q5": ['Q5 = "a"'],
    "Q6": ['Q6 = "a"', 'Q6 = "b"'],
    "Q7": ['Q7 = "c"'],
    "Q8": ['Q8 = "d"'],
    "Q9": ['Q9 = "a"'],
    "Q10": ['Q10 = "a"'],
    "B1_AB": ["B1_AB = np.array([[2.0, 12.0], [1.0, -4.0]])", "B1_AB = np.array([5.0, 0.0])"],
    "B2_dydx": ["def B2_dydx(x):\n    return 1 / np.tan(3 * x**2)"],
    "B3_L": ["B3_L = 2.0"],
    "B3_GRAD": ["B3_GRAD = np.array([8.0, 12.0])"],
    "B4_BCE": ["B4_BCE = 0.0858", "B4_BCE = 0.7905"],
    "B5_P_HAT": ["B5_P_HAT = 0.2"],
    "B5_LOGLIK": ["B5_LOGLIK = 100.08", "B5_LOGLIK = -35.70"],
}
