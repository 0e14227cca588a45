"""`dlgrader serve`: grade each submission as it arrives and release its feedback at once.

One coordinator process watches the exchange's inbound folder (a directory scan every `poll`
seconds, which works on the shared and network filesystems exchanges live on, and at once when
inotify says something landed: watch.py), takes submissions in
fairness order (inbox.py), and for each: collects it with dlgrader's safe collector (a refused
submission is recorded as 0 + needs manual grading and the student gets a notice), grades it on a
warm pool of sandboxed worker processes (the same pool and grade_task as `dlgrader grade`), records it
crash-safely (scores + journal row in one transaction), generates its feedback with nbgrader's
GenerateFeedback and releases it with ExchangeReleaseFeedback, so `nbgrader fetch_feedback` (or the
Assignment List) gets it. At most `workers` gradings are in flight, so a newly arrived submission
waits for at most one grading per worker, however long the queue.

Killed and started again, it grades only what has no committed grading and releases feedback that
was not released. A submission whose grading kills its worker is retried on a fresh worker (the
pool knows which task killed it), and after `tries` deaths recorded as failed: the student gets a
feedback page saying so, the TA a log line.
"""
from __future__ import annotations

import json
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from .. import settings
from ..collection import arrival as arrival_names
from ..course import Course
from ..execution.batch import hidden_paths, probe_sandbox, read_submission
from ..execution.engine import Limits
from ..execution.pool import Outcome, WorkerPool
from ..execution.workers import make_bundle
from ..gradebook.writer import GradebookWriter, read_timestamp, recover_autograded
from ..progress import console, status
from .collector_gc import IdleCollector
from .inbox import ARRIVING_POLL, Arrival, FairQueue, scan
from .limits import refusal
from .steps import NbgraderSteps
from .watch import MIN_GAP, InboundWatch


@dataclass
class Job:
    arrival: Arrival
    timestamp: datetime | None      # of the collected submission (may be newer than the arrival)
    digest: str
    started: float = 0.0
    submitted: float = 0.0
    steps: dict = field(default_factory=dict)        # seconds per step, for the log

    @property
    def key(self) -> str:
        return f"{self.arrival.assignment}/{self.arrival.student}"

    def lap(self, step: str, since: float) -> float:
        now = time.monotonic()
        self.steps[step] = round(self.steps.get(step, 0.0) + now - since, 3)
        return now


class Server:
    def __init__(self, course: Course, workers: int = 2, poll: float = 0.25, tries: int = 2,
                 unsafe: bool = False, limits: Limits | None = None, once: bool = False):
        self.course, self.workers, self.poll, self.tries = course, max(1, workers), poll, max(1, tries)
        self.settings = settings.load(course)
        self.unsafe, self.limits, self.once = unsafe, limits or self.settings.limits(), once
        self.stop = threading.Event()
        self.inflight: dict[str, Job] = {}
        self.counts = {"graded": 0, "failed": 0, "feedback": 0}
        self.first_seen: dict[str, float] = {}     # inbound folder name -> when this server first saw it
        self.gc = IdleCollector()
        self.ignored_seen: set[str] = set()          # inbound names already logged as not ours
        self.rejected_seen: set[str] = set()         # inbound names already logged as not their student's
        self.last_scan = 0.0                         # monotonic time of the last scan of inbound/
        self.arriving = 0                            # submissions being written at the last scan

    # ---- set-up -------------------------------------------------------------------------------
    def _start(self) -> None:
        probe_sandbox(self.course, self.unsafe)
        self.assignments = set(self.course.assignments())
        hidden = hidden_paths(self.course)
        self.bundles = {a: make_bundle(self.course, a, self.unsafe, self.limits, hidden) for a in self.assignments}
        self.names = {a: self.course.notebooks(a) for a in self.assignments}
        self.steps = NbgraderSteps(self.course)
        self.writer = GradebookWriter(self.course)
        self.queue = FairQueue()
        self.inbound = self.course.exchange / self.course.course_id / "inbound"
        logs = self.course.root / "logs"
        logs.mkdir(mode=0o700, exist_ok=True)
        self.events = open(logs / "serve.jsonl", "a", encoding="utf-8")
        for a in self.assignments:
            recover_autograded(self.course, a)
            self._resume(a)
        # one grading at a time per worker: a newcomer waits for at most one grading per worker
        self.pool = WorkerPool(self.workers, self.tries, depth=1)
        released = [a for a in sorted(self.assignments) if (self.course.exchange / self.course.course_id
                                                             / "outbound" / a).is_dir()]
        for a in released:
            self.pool.warm(self.bundles[a])
        if not self.steps.warm():                    # serve still works; the first page is slower
            self._event("error", step="warm-up", reason="the feedback page could not be rendered ahead")
        for a in released:
            self.pool.wait_warm(self.bundles[a]["digest"])
        self.watch = InboundWatch(self.inbound, self.pool.nudge)
        self.watching = self.watch.start()
        self.gc.start()

    def _resume(self, assignment: str) -> None:
        """Submissions graded (and their feedback released) before a restart are not redone."""
        graded = self.writer.graded(assignment)
        digest = self.bundles[assignment]["digest"]
        for student, done in graded.items():
            folder = self.course.submitted / student / assignment
            stamp = read_timestamp(folder)
            if stamp and folder.is_dir() and self._read(assignment, student).digest(digest) == done \
                    and self.steps.released(assignment, student):
                self.queue.handled[(assignment, student)] = stamp

    # ---- the loop -----------------------------------------------------------------------------
    def run(self) -> dict:
        self._start()
        status(f"dlgrader serve: watching {self.inbound} with {self.workers} warm worker(s); "
               f"{len(self.assignments)} assignment(s). Ctrl-C stops.")
        self._event("ready", workers=self.workers, inotify=self.watching)
        try:
            while not self.stop.is_set():
                # with every worker busy a scan can wait: the next outcome brings one (below)
                if self.pool.free() or time.monotonic() - self.last_scan >= self.poll:
                    gap = self.last_scan + MIN_GAP - time.monotonic()
                    if gap > 0:                      # a flood of wake-ups: at most one scan per MIN_GAP
                        self.stop.wait(gap)
                    self._take_arrivals()
                self._fill()
                if self.once and not self.inflight and not self.queue:
                    break
                outcomes = []
                # a submission still being written is looked at again soon, whatever the events say
                outcome = self.pool.get(timeout=min(self.poll, ARRIVING_POLL) if self.arriving else self.poll)
                while outcome is not None:
                    outcomes.append(outcome)
                    outcome = self.pool.get(timeout=0)
                if not outcomes and not self.inflight and not self.queue:
                    self.gc.idle()
                # the freed workers get their next submission (the fairest of what is there now)
                # before the coordinator spends its time on the finished ones' records and pages:
                # they grade while it writes
                if outcomes:
                    self._take_arrivals()
                    self._fill()
                jobs = [(self.inflight[o.key], o) for o in outcomes if o.key in self.inflight]
                for job, outcome in sorted(jobs, key=lambda j: self.queue.turn(j[0].arrival)):   # fair order
                    self._guarded(job.arrival, self._finish, outcome, job)
        finally:
            self.watch.stop()
            self.pool.close()
            self.writer.close()
            self._event("stopped", **self.counts)
            self.events.close()
        return self.counts

    def shutdown(self) -> None:
        """Stop after the current step (a signal handler may call it): the loop's wait ends now."""
        self.stop.set()
        pool = getattr(self, "pool", None)
        if pool is not None:
            pool.nudge()

    def _take_arrivals(self) -> None:
        """Scan inbound/ and queue what is complete (the queue keeps only what is worth grading)."""
        if not self.watching and self.inbound.is_dir():   # made after serve started (a first release)
            self.watching = self.watch.start()
        self.watch.rearm()
        self.last_scan = time.monotonic()
        arrivals, ignored, self.arriving = scan(self.inbound, self.assignments)
        seen = time.time()
        for arrival in arrivals:
            self.first_seen.setdefault(arrival.name, seen)
        for name in set(ignored) - self.ignored_seen:
            parts = name.rsplit("+", 3)
            if len(parts) >= 3 and parts[1] in self.assignments and not arrival_names.valid_id(parts[0]):
                self._event("rejected", student=arrival_names.claimed_id(name), assignment=parts[1], inbound=name,
                            reason=f"the folder name's student id {arrival_names.claimed_id(name)!r} is not a valid id")
            else:
                self._event("ignored", name=name)
        self.ignored_seen |= set(ignored)
        for arrival in sorted(arrivals, key=lambda a: a.timestamp):
            self.queue.offer(arrival)

    def _fill(self) -> None:
        while self.pool.free():
            arrival = self.queue.pop()
            if arrival is None:
                return
            self._guarded(arrival, self._dispatch, arrival)

    def _dispatch(self, arrival: Arrival) -> None:
        a, s = arrival.assignment, arrival.student
        t0 = time.monotonic()
        outcome, rejected = self.steps.collect(a, s, self.first_seen)   # trouble on our side: _guarded logs it
        for other in rejected:                       # not S's: nothing written for S, logged once each
            if other.inbound not in self.rejected_seen:
                self.rejected_seen.add(other.inbound)
                self._event("rejected", student=s, assignment=a, inbound=other.inbound, reason=other.reason)
        forged = arrival.name in {o.inbound for o in rejected}
        if outcome is None or (forged and outcome.status == "unchanged"):   # S's own work is as it was
            self.queue.busy.discard(arrival.key)     # (not counted as served: eve cannot slow alice's turn)
            self.queue.done.add(arrival.name)
            return
        folder = self.course.submitted / s / a
        stamp = read_timestamp(folder)
        note = refusal(self.settings.max_submissions, self.inbound, arrival)
        if note:                                     # over c.Dlgrader.max_submissions: a note instead
            self.steps.write_notices(a, s, {n: note for n in self.names[a]})
            self.steps.release_feedback(a, s)
            self._event("refused", student=s, assignment=a, reason=note)
            self.queue.finish(arrival.key, stamp or arrival.timestamp, arrival.name)
            return
        sub = self._read(a, s)
        digest = sub.digest(self.bundles[a]["digest"])
        job = Job(arrival, stamp, digest, started=t0)
        job.lap("collect", t0)
        for flag in sub.claims:
            self._event("claim-flagged", student=s, assignment=a, reason=flag)
        if self.writer.graded(a).get(s) == digest:   # graded before (a restart): feedback only
            self._release(job)
            return
        if sub.refused:                              # 0 + needs manual; the student gets a notice
            self.writer.refuse(a, s, sub.refused, folder, digest)
            self.counts["refused"] = self.counts.get("refused", 0) + 1
            self._event("refused", student=s, assignment=a, inbound=outcome.inbound, reason=sub.refused)
            self._release(job)
            return
        self._submit(job, task=sub.task)

    def _read(self, assignment: str, student: str):
        return read_submission(self.course, assignment, student, self.names[assignment])

    def _submit(self, job: Job, task: dict) -> None:
        job.submitted = time.monotonic()
        self.inflight[job.key] = job
        self.pool.submit(job.key, task, self.bundles[job.arrival.assignment])

    def _guarded(self, arrival: Arrival, step, *args) -> None:
        """One submission's trouble (an unreadable folder, an assignment missing from the gradebook)
        is logged and ends that submission's turn (a newer submission, or a restart, tries again);
        it never stops the server."""
        try:
            step(*args)
        except Exception as exc:
            self._event("error", student=arrival.student, assignment=arrival.assignment, step=step.__name__,
                        reason=f"{type(exc).__name__}: {exc}"[:300])
            self.queue.finish(arrival.key, arrival.timestamp)

    def _finish(self, outcome: Outcome, job: Job) -> None:
        a, s = job.arrival.assignment, job.arrival.student
        if outcome.retry:                            # its worker died; the pool tries it again
            self._event("worker-died", student=s, assignment=a, tries=outcome.deaths)
            return
        del self.inflight[job.key]
        t = job.lap("grade", job.submitted)          # sent to the pool -> its outcome handled here
        job.steps["worker"] = round(outcome.seconds, 3)   # of which at the worker
        if outcome.died:
            self._event("worker-died", student=s, assignment=a, tries=outcome.deaths)
            self._failed(job, f"it made its grading worker die {outcome.deaths} times")
            return
        if outcome.error:
            self._failed(job, f"grading failed: {outcome.error}")
            return
        graded = json.loads(outcome.value)
        self.writer.record(a, s, graded["notebooks"], self.course.submitted / s / a, job.digest)
        job.lap("record", t)
        self.counts["graded"] += 1
        self._release(job)

    def _release(self, job: Job) -> None:
        a, s = job.arrival.assignment, job.arrival.student
        t = time.monotonic()
        try:
            pages = {p.stem for p in self.steps.feedback(a, s)}
            missing = [n for n in self.names[a] if n not in pages]
            if missing:                              # e.g. not valid JSON: say why instead
                self.steps.write_notices(a, s, {n: self._why_ungraded(a, s, n) for n in missing})
            self.steps.release_feedback(a, s)
            job.lap("feedback", t)
        except Exception as exc:
            self._event("error", student=s, assignment=a, step="feedback", reason=str(exc)[:300])
        else:
            self.counts["feedback"] += 1
            score = self.writer.score(a, s)
            self._event("feedback", student=s, assignment=a, score=score[0], max_score=score[1],
                        submitted=str(job.timestamp), latency=_since(job.timestamp),
                        seconds=round(time.monotonic() - job.started, 3), steps=job.steps)
        self.queue.finish(job.arrival.key, job.timestamp or job.arrival.timestamp, job.arrival.name)
        self.gc.note()

    def _why_ungraded(self, assignment: str, student: str, notebook: str) -> str:
        from ..gradebook.writer import VERDICTS_FILE
        try:
            verdicts = json.loads((self.course.autograded / student / assignment / VERDICTS_FILE).read_text())
            reason = verdicts[notebook]["reason"]
        except (OSError, ValueError, KeyError):
            reason = ""
        return (f"{notebook}.ipynb could not be graded automatically"
                + (f": {reason}." if reason else ".") + " Your instructor will look at it.")

    def _failed(self, job: Job, reason: str) -> None:
        a, s = job.arrival.assignment, job.arrival.student
        self.counts["failed"] += 1
        self._event("failed", student=s, assignment=a, reason=reason)
        try:
            message = (f"Your submission of {a} could not be graded automatically ({reason}). "
                       "Your instructor has been told and will grade it by hand.")
            self.steps.write_notices(a, s, {n: message for n in self.names[a]})
            self.steps.release_feedback(a, s)
        except Exception as exc:
            self._event("error", student=s, assignment=a, step="notice", reason=str(exc)[:300])
        self.queue.finish(job.arrival.key, job.timestamp or job.arrival.timestamp, job.arrival.name)

    def _event(self, kind: str, **fields) -> None:
        record = {"event": kind, "at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), **fields}
        self.events.write(json.dumps(record) + "\n")
        self.events.flush()
        if kind == "feedback":
            console.print(f"{fields['student']} {fields['assignment']}: {fields['score']:g}/"
                          f"{fields['max_score']:g}, feedback released {fields['latency']:.2f} s after submitting",
                          soft_wrap=True)
        elif kind in ("failed", "error", "worker-died", "refused", "claim-flagged", "rejected"):
            console.print(f"[yellow]{kind}: {fields.get('student', '')} {fields.get('assignment', '')} "
                          f"{fields.get('reason', '')}[/yellow]", soft_wrap=True)


def _since(stamp: datetime | None) -> float:
    if stamp is None:
        return float("nan")
    return round((datetime.now(timezone.utc).replace(tzinfo=None) - stamp).total_seconds(), 3)


def serve(course: Course, **options) -> dict:
    server = Server(course, **options)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: server.shutdown())
    return server.run()
