"""Canvas and Moodle import files from a real SQLite gradebook built with nbgrader's Gradebook API:
exact rows, assignments in due-date order, late penalties taken off, missing submissions as 0."""
from __future__ import annotations

import os
import sys
from datetime import datetime

import pytest
from nbgrader.api import Gradebook

from dlgrader.course import Course
from dlgrader.report.export import export_canvas, export_moodle


@pytest.fixture
def course(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
    course = Course(tmp_path)
    with Gradebook(course.db_url, course.course_id) as gb:
        # names in the opposite order to due dates: the export sorts by due date, undated last
        gb.add_assignment("bonus")
        gb.add_assignment("midterm", duedate=datetime(2026, 3, 1))
        gb.add_assignment("ps1", duedate=datetime(2026, 2, 1))
        for name, points in (("ps1", (2.0, 3.0)), ("midterm", (4.0, 9.0)), ("bonus", (1.5,))):
            gb.add_notebook("nb", name)
            for i, p in enumerate(points):
                gb.add_grade_cell(f"{name}-t{i}", "nb", name, max_score=p, cell_type="code")
        gb.add_student("ada", first_name="Ada", last_name="Lovelace", email="ada@uni.example")
        gb.add_student("bob")
        gb.add_student("cy", first_name="Cy", last_name="")
        gb.add_submission("ps1", "ada")
        gb.add_submission("midterm", "ada")
        gb.add_submission("ps1", "bob")
        gb.add_submission("bonus", "cy")
        gb.find_grade("ps1-t0", "nb", "ps1", "ada").auto_score = 2.0
        gb.find_grade("ps1-t1", "nb", "ps1", "ada").auto_score = 1.5
        gb.find_grade("midterm-t0", "nb", "midterm", "ada").auto_score = 4.0
        gb.find_grade("midterm-t1", "nb", "midterm", "ada").auto_score = 3.0
        gb.find_grade("midterm-t1", "nb", "midterm", "ada").manual_score = 8.25          # a TA's manual score wins
        gb.find_submission_notebook("nb", "midterm", "ada").late_submission_penalty = 1.25
        gb.find_grade("ps1-t0", "nb", "ps1", "bob").auto_score = 0.5
        gb.find_grade("bonus-t0", "nb", "bonus", "cy").auto_score = 1.5
        gb.db.commit()
    return course


def test_canvas_file(course, tmp_path):
    path = export_canvas(course, tmp_path / "canvas.csv")
    assert path.read_text(encoding="utf-8").splitlines() == [
        "Student,ID,SIS User ID,SIS Login ID,Section,ps1,midterm,bonus",
        "    Points Possible,,,,,5,13,1.5",
        '"Lovelace, Ada",,ada,ada,,3.5,11,0',       # midterm: 4 + 8.25 - 1.25 late
        "bob,,bob,bob,,0.5,0,0",
        "cy,,cy,cy,,0,0,1.5",                        # no last name: the id
    ]


def test_moodle_file(course, tmp_path):
    path = export_moodle(course, tmp_path / "moodle.csv")
    assert path.read_text(encoding="utf-8").splitlines() == [
        "Username,Email address,ps1,midterm,bonus",
        "ada,ada@uni.example,3.5,11,0",
        "bob,,0.5,0,0",
        "cy,,0,0,1.5",
    ]


def test_an_empty_gradebook_gives_just_the_headers(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
    course = Course(tmp_path)
    Gradebook(course.db_url, course.course_id).close()
    assert export_canvas(course, tmp_path / "c.csv").read_text().splitlines() == [
        "Student,ID,SIS User ID,SIS Login ID,Section", "    Points Possible,,,,"]
    assert export_moodle(course, tmp_path / "m.csv").read_text().splitlines() == ["Username,Email address"]
