"""nbgrader's GetGrades, reading a notebook's grades in three statements (gradebook/reads.py)
instead of opening a Gradebook and querying twice per graded cell. Listed in
GenerateFeedback.preprocessors in its place (nbgrader_config.py); same output: each graded cell's
score, points and comment in its metadata, the notebook's score, max score and late penalty in the
resources, and MissingEntry for a cell or notebook the gradebook does not have."""
from __future__ import annotations

from nbgrader.api import MissingEntry
from nbgrader.preprocessors import GetGrades

from ..gradebook import reads


class ReadGrades(GetGrades):
    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        self.found = reads.notebook_grades(info["db_url"], info["assignment"], info["student"], info["notebook"])
        self.notebook_id, self.assignment_id, self.student_id = info["notebook"], info["assignment"], info["student"]
        for index, cell in enumerate(nb.cells):
            nb.cells[index], resources = self.preprocess_cell(cell, resources, index)
        penalty = self.found.late_penalty
        if penalty is None:
            penalty = 0
        else:
            self.log.warning(f"Late submission penalty: {penalty}")
        info["score"], info["max_score"], info["late_penalty"] = self.found.score - penalty, self.found.max_score, penalty
        return nb, resources

    def _get_comment(self, cell, resources) -> None:
        name = cell.metadata["nbgrader"]["grade_id"]
        if name not in self.found.comments:
            raise MissingEntry(f"no comment for {name}")
        cell.metadata.nbgrader["comment"] = self.found.comments[name]

    def _get_score(self, cell, resources) -> None:
        name = cell.metadata["nbgrader"]["grade_id"]
        if name not in self.found.grades:
            raise MissingEntry(f"no grade for {name}")
        cell.metadata.nbgrader["score"], cell.metadata.nbgrader["points"] = self.found.grades[name]

