"""nbgrader's collect step, as an exchange plugin: stock `nbgrader collect` and Formgrader's Collect
button use dlgrader's collector too (no link followed, bounded copies, observed submission times),
once `nbgrader_config.py` names it (`c.ExchangeFactory.collect`)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nbgrader.exchange.abc import ExchangeCollect

from ..course import Course


@dataclass(frozen=True)
class _ConfiguredCourse(Course):
    """The course as nbgrader's configuration sees it (its Exchange.root and course id)."""
    exchange_root: Path = Path(".")
    configured_id: str = ""

    @property
    def exchange(self) -> Path:
        return self.exchange_root

    @property
    def course_id(self) -> str:
        return self.configured_id


class SafeExchangeCollect(ExchangeCollect):
    def start(self):
        from nbgrader.exchange.default.exchange import Exchange as FilesystemExchange

        from . import exchange
        root = FilesystemExchange(config=self.config, coursedir=self.coursedir).root   # Exchange.root
        course = _ConfiguredCourse(Path(self.coursedir.root).resolve(), Path(root), self.coursedir.course_id)
        student = self.coursedir.student_id if self.coursedir.student_id not in ("", "*") else None
        try:
            outcomes = exchange.collect(course, self.coursedir.assignment_id, student=student)
        except Exception as exc:
            self.fail(str(exc))
        for o in outcomes:
            if o.status == "refused":
                self.log.warning("Refused the submission of %s (%s): %s; recorded as 0, needs manual grading",
                                 o.student, o.inbound, o.reason)
            elif o.status == "failed":
                self.log.error("Could not collect %s (%s): %s", o.student, o.inbound, o.reason)
            else:
                self.log.info("Collected %s: %s (%s)", o.student, o.inbound, o.status)
