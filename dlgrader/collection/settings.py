"""Collection limits and the tolerance for claimed times: traitlets set in the course's nbgrader_config.py."""
from __future__ import annotations

from traitlets import Dict, Float, Integer, Unicode
from traitlets.config import Configurable

from ..course import Course
from .safecopy import Caps


class DlgraderCollect(Configurable):
    """How much of a student's submission dlgrader collects, and how it judges claimed times."""

    max_file_bytes = Integer(64 * 2**20, help=(
        "Largest file a submission may hold, in bytes, counted while copying (a larger or endless file "
        "refuses the submission). Generous: a notebook with stale outputs can be tens of MB.")).tag(config=True)
    max_submission_bytes = Integer(128 * 2**20, help=(
        "Largest total size of one submission, in bytes, counted while copying.")).tag(config=True)
    max_files = Integer(200, help="Most files and folders one submission may hold.").tag(config=True)
    claim_tolerance_seconds = Float(300.0, help=(
        "A submission whose claimed time (its timestamp.txt or folder name, both written by the student's "
        "side) is earlier than its observed arrival by more than this many seconds is flagged.")).tag(config=True)

    accounts = Dict(value_trait=Unicode(), key_trait=Unicode(), default_value={}, help=(
        "Which Unix account submits for which student id. A submission of student S counts only if its "
        "inbound folder and everything in it are owned by S's account and S is on the course's roster "
        "(the gradebook's students: `nbgrader db student add/import`, Formgrader's Manage Students). An id "
        "not listed here submits from the account of the same name. {'*': ACCOUNT} is the SINGLE-ACCOUNT "
        "mode of the demo and the test suite: every id submits from ACCOUNT and the roster is not "
        "enforced, so anyone who can write there can submit as anyone: never on a shared server.")
    ).tag(config=True)
    exchange_owner = Unicode("", help=(
        "The account that must own the exchange's course folder and its inbound/, outbound/ and feedback/ "
        "(`collect`, `serve` and `release` refuse to use them otherwise). Default: the account running "
        "the command.")).tag(config=True)

    def caps(self) -> Caps:
        return Caps(self.max_file_bytes, self.max_submission_bytes, self.max_files)


def settings(course: Course) -> DlgraderCollect:
    return DlgraderCollect(config=course.nbgrader_config(missing_ok=True))   # defaults without a config
