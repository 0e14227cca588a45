"""ReadGrades (three queries per page) writes exactly what nbgrader's GetGrades writes, manual
scores, extra credit, comments and late penalties included."""
from __future__ import annotations

import shutil

import nbformat
import pytest
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import GetGrades

from dlgrader.course import Course
from dlgrader.feedback_html.grades import ReadGrades

A = "ps2_softmax_cross_entropy"


def run(preprocessor, course: Course, student: str, path):
    nb = nbformat.read(str(path), as_version=4)
    resources = {"nbgrader": {"notebook": path.stem, "assignment": A, "student": student, "db_url": course.db_url}}
    nb, resources = preprocessor.preprocess(nb, resources)
    cells = [(c.metadata.get("nbgrader", {}).get("grade_id"), c.metadata.get("nbgrader", {}).get("score"),
              c.metadata.get("nbgrader", {}).get("points"), c.metadata.get("nbgrader", {}).get("comment"))
             for c in nb.cells]
    return cells, resources["nbgrader"]


@pytest.fixture(scope="module")
def course(three_students, tmp_path_factory) -> Course:
    """A copy of the graded course; weak gets a manual score with extra credit, a comment and a penalty."""
    graded = next(iter(three_students.values())).parents[3]
    course = Course(tmp_path_factory.mktemp("grades") / "course")
    shutil.copytree(graded, course.root)
    with Gradebook(course.db_url, course.course_id) as gb:
        sub = gb.find_submission(A, "weak")
        nb = sub.notebooks[0]
        grade = nb.grades[0]
        grade.manual_score, grade.extra_credit = 0.5, 0.25
        nb.comments[0].manual_comment = "See the worked example in section 2."
        nb.late_submission_penalty = 1.0
        gb.db.commit()
    return course


def test_read_grades_writes_what_get_grades_writes(course):
    seen = 0
    for student in ("strong", "middling", "weak"):
        for path in sorted((course.autograded / student / A).glob("*.ipynb")):
            expected = run(GetGrades(), course, student, path)
            assert run(ReadGrades(), course, student, path) == expected
            seen += sum(1 for cell in expected[0] if cell[1] is not None)
    assert seen >= 3 * 4                      # graded cells were compared, not only empty metadata
    cells, weak = run(ReadGrades(), course, "weak", next((course.autograded / "weak" / A).glob("*.ipynb")))
    assert weak["late_penalty"] == 1.0 and "See the worked example in section 2." in [c[3] for c in cells]


def test_a_notebook_missing_from_the_gradebook_raises_like_nbgrader(course):
    path = next((course.autograded / "strong" / A).glob("*.ipynb"))
    with pytest.raises(MissingEntry):
        run(ReadGrades(), course, "nobody", path)
