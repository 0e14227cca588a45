"""nbgrader's collect and release steps, as exchange plugins: stock `nbgrader collect` and Formgrader's
Collect button use dlgrader's collector too (no link followed, bounded copies, observed submission
times, identities from the OS), once `nbgrader_config.py` names it (`c.ExchangeFactory.collect`);
stock `nbgrader release_assignment` (Formgrader's Release button, and `dlgrader release`, which runs
it) makes a missing exchange root 1777 instead of 0777 and refuses an exchange another account could
have replaced (guard.py), once named as `c.ExchangeFactory.release_assignment`."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nbgrader.exchange.abc import ExchangeCollect
from nbgrader.exchange.default.release_assignment import ExchangeReleaseAssignment

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
            elif o.status == "rejected":
                self.log.warning("Rejected %s (%s): %s", o.student, o.inbound, o.reason)
            elif o.status == "failed":
                self.log.error("Could not collect %s (%s): %s", o.student, o.inbound, o.reason)
            else:
                self.log.info("Collected %s: %s (%s)", o.student, o.inbound, o.status)


class SafeExchangeReleaseAssignment(ExchangeReleaseAssignment):
    def _owner(self) -> str:
        from .settings import DlgraderCollect
        return DlgraderCollect(config=self.config).exchange_owner

    def ensure_root(self):
        """nbgrader's would make a missing root 0777 and chmod an existing one to it."""
        from ..errors import DlgraderError
        from . import guard
        try:
            guard.make_root(Path(self.root), self._owner())
        except DlgraderError as exc:
            self.fail(str(exc))

    def init_dest(self):
        from ..errors import DlgraderError
        from . import guard
        try:
            guard.check(Path(self.root), self.coursedir.course_id, self._owner())
        except DlgraderError as exc:
            self.fail(str(exc))
        super().init_dest()
