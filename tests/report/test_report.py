"""The grading report on a cohort with planted properties: a copied pair, an item everyone gets
wrong, an item with negative discrimination and a late submission are found, and nothing else."""
from __future__ import annotations

import csv
import html
import re
import shutil
from datetime import datetime, timedelta

import pytest
from nbgrader.api import Gradebook

from dlgrader.course import Course
from dlgrader.execution.batch import grade_batch
from dlgrader.report.export import CANVAS_FIXED, export_canvas, export_moodle
from dlgrader.report.page import build_section, write_report

from ..conftest import ROOT, mistake_book, notebook_path, screenshots_dir, submit_notebook
from ..execution.cohort import filled

QUIZ, PS2 = "ps4_quiz", "ps2_softmax_cross_entropy"


def _answer_key() -> dict:
    """The quiz's key, from the reference itself (the report must find what the reference says)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("ps4_key", ROOT / "reference" / "ps4.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.MULTIPLE_CHOICE)


KEY = _answer_key()
WRONG = {"a": "c", "b": "a", "c": "d", "d": "a"}
N = 12
COPIED = ("def softmax(z):\n    values = list(z)\n    top = values[0]\n    for v in values:\n"
          "        if v > top:\n            top = v\n    shifted = [np.exp(v - top) for v in values]\n"
          "    total = 0.0\n    for s in shifted:\n        total = total + s\n"
          "    return np.array([s / total for s in shifted])")
RENAMED = ("def softmax(z):\n    # my own version\n    xs = list(z)\n    m = xs[0]\n    for x in xs:\n"
           "        if x > m:\n            m = x\n\n    ex = [np.exp(x - m) for x in xs]\n    acc = 0.0\n"
           "    for e in ex:\n        acc = acc + e\n    return np.array([e / acc for e in ex])")


def quiz_answers(i: int) -> dict:
    """Student i (0 weakest .. N-1 strongest): a Guttman pattern, except Q3 (strong students get it
    wrong: negative discrimination) and Q7 (everyone wrong)."""
    answers = {}
    for j, q in enumerate(KEY, start=1):
        right = i >= (j % 5) * 2
        if q == "Q3":
            right = i < 4
        if q == "Q7":
            right = False
        answers[q] = KEY[q] if right else WRONG[KEY[q]]
    return answers


def quiz_notebook(root, i):
    src = notebook_path(root, "source", QUIZ)
    repl = {q: f'{q} = "{a}"' for q, a in quiz_answers(i).items()}
    if i < 6:
        repl["B1_AB"] = "B1_AB = np.array([5.0, 0.0])"
    return filled(src, repl)


@pytest.fixture(scope="module")
def graded(built_template, tmp_path_factory):
    course = Course(tmp_path_factory.mktemp("report") / "course")
    shutil.copytree(built_template, course.root)
    with open(course.root / "nbgrader_config.py", "a") as fh:
        fh.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    due = datetime(2026, 11, 20, 12, 0, 0)
    with Gradebook(course.db_url, course.course_id) as gb:
        gb.update_or_create_assignment(PS2, duedate=due)
    book = mistake_book()
    src2 = notebook_path(course.root, "source", PS2)
    for i in range(N):
        student = f"st{i:02d}"
        submit_notebook(course, student, QUIZ, quiz_notebook(course.root, i))
        if i == 3:
            nb = filled(src2, {"softmax": COPIED})
        elif i == 8:
            nb = filled(src2, {"softmax": RENAMED})
        elif i % 3 == 1:
            nb = filled(src2, {"softmax": book.get("softmax", "no-max-shift").student_source()})
        elif i % 3 == 2:
            nb = filled(src2, {"cross_entropy_loss": book.get("cross_entropy_loss", "missing-minus").student_source()})
        else:
            nb = filled(src2)
        path = submit_notebook(course, student, PS2, nb)
        when = due + timedelta(hours=5) if i == 5 else due - timedelta(days=1)
        (path.parent / "timestamp.txt").write_text(when.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    grade_batch(course, QUIZ)
    grade_batch(course, PS2)
    return course


def test_item_analysis_finds_the_planted_items(graded):
    items = {it.cell: it for it in build_section(graded, QUIZ).items}
    everyone_wrong = [c for c, it in items.items() if it.difficulty == 0]
    assert everyone_wrong == ["ps4-Q7-test"]
    negative = sorted(c for c, it in items.items() if it.negative)
    assert negative == ["ps4-Q3-test"]
    assert items["ps4-Q3-test"].point_biserial < 0 and items["ps4-Q3-test"].upper_lower < 0
    q1 = items["ps4-Q1-test"]
    assert q1.correct == "b" and sum(q1.options.values()) == N
    assert q1.options["b"] == sum(1 for i in range(N) if quiz_answers(i)["Q1"] == "b")


def test_similarity_reports_exactly_the_copied_pair(graded):
    matches = build_section(graded, PS2).matches
    assert [(m.a, m.b) for m in matches] == [("st03", "st08")]
    cell, left, right = matches[0].sides[0]
    assert "ps2-softmax" in cell and "for" in left and "for" in right


def test_misconceptions_and_failures_are_counted(graded):
    section = build_section(graded, PS2)
    counts = dict(section.misconceptions)
    assert counts["softmax: no-max-shift"] == sum(1 for i in range(N) if i % 3 == 1 and i not in (3, 8))
    assert counts["cross_entropy_loss: missing-minus"] == sum(1 for i in range(N) if i % 3 == 2 and i not in (3, 8))
    failed = {(cell, desc): (f, n) for cell, desc, f, n in section.failures}
    no_shift = sum(1 for i in range(N) if i % 3 == 1 and i not in (3, 8))
    assert failed[("ps2-softmax-test", "large logits [1000, 999, 998] stay finite: subtract the largest logit before exp")] == (no_shift, N)


def test_late_submission_and_its_penalty(graded):
    late = build_section(graded, PS2).late
    assert [(s, round(sec / 3600)) for s, sec, _ in late] == [("st05", 5)]
    assert late[0][2] > 0                             # penalty_method "zero": the whole score


def test_exports_follow_the_lms_formats(graded, tmp_path):
    canvas = export_canvas(graded, tmp_path / "canvas.csv")
    rows = list(csv.reader(open(canvas, newline="")))
    # Canvas's import reads its own export layout: identity columns, then one column per assignment,
    # and a "Points Possible" row under the header.
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] == CANVAS_FIXED
    assert set(rows[0][5:]) == set(graded.assignments())
    assert rows[1][0].strip() == "Points Possible"
    assert len(rows) == 2 + N
    col = rows[0].index(PS2)
    by_id = {r[2]: r for r in rows[2:]}
    assert float(by_id["st05"][col]) == 0                 # the late penalty is applied
    assert float(by_id["st00"][col]) == float(rows[1][col])   # full marks
    moodle = list(csv.reader(open(export_moodle(graded, tmp_path / "moodle.csv"), newline="")))
    assert moodle[0][:2] == ["Username", "Email address"] and len(moodle) == 1 + N


def test_page_is_self_contained_and_renders_in_chromium(graded, tmp_path):
    page = write_report(graded, [QUIZ, PS2], tmp_path / "report.html")
    text = page.read_text()
    assert "<script" not in text and "http://" not in text and "https://" not in text
    assert len(re.findall(r'src="data:image/png;base64,', text)) >= 4
    plain = html.unescape(re.sub(r"<[^>]+>", " ", text))
    assert "negative discrimination" in plain and "st03" in plain and "st08" in plain
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra: make setup")
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (make test installs it where apt works)")
    from ..lab.servers import CHROMIUM_ARGS
    shot = screenshots_dir() / "report.png"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            view = browser.new_page(viewport={"width": 1200, "height": 900})
            requests = []
            view.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
            view.goto(page.as_uri())
            images = view.eval_on_selector_all("img", "imgs => imgs.map(i => [i.complete, i.naturalWidth])")
            headings = view.eval_on_selector_all("h2", "hs => hs.map(h => h.innerText)")
            visible = view.get_by_text("negative discrimination").first.is_visible()
            view.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert len(images) >= 4 and all(done and width > 100 for done, width in images), images   # every plot drew
    assert any(QUIZ in h for h in headings) and any(PS2 in h for h in headings), headings
    assert visible and requests == []            # readable, and nothing fetched from anywhere
    assert shot.stat().st_size > 20000
