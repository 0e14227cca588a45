"""Wake `dlgrader serve` the moment a submission lands in the exchange's inbound folder.

nbgrader's submit creates `inbound/<name>/`, writes the files, timestamp.txt and the secret, and
then changes the folder's permissions: that last change is an attribute event on the folder's
entry (IN_ATTRIB, which watchdog reports as a DirAttribEvent, not a modification), so one
non-recursive inotify watch on inbound/ (through watchdog) sees every submission complete, without
a watch per student folder. Polling stays: on filesystems where inotify sees
nothing (an exchange on NFS written by other machines), or if the watch cannot be set up, the
server still finds submissions at its next scan.

Events are hints, never data: a student can make any number of them in their own inbound folder,
so they only cut a wait short (one wake-up until the server scans again), and the server scans at
most once per `MIN_GAP` however many arrive.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

MIN_GAP = 0.02          # seconds between two scans started by wake-ups


class InboundWatch:
    def __init__(self, folder: Path, wake: Callable[[], None]):
        self.folder, self._wake = folder, wake
        self._armed = threading.Event()
        self._observer = None
        self._unavailable = False    # inotify could not be set up: polling only, no new attempts

    def start(self) -> bool:
        """Watch FOLDER; False (and polling only) if it does not exist (yet) or inotify is unavailable."""
        if self._unavailable or not self.folder.is_dir():
            return False
        try:
            from watchdog.events import (
                DirAttribEvent,
                DirCreatedEvent,
                DirModifiedEvent,
                DirMovedEvent,
                FileSystemEventHandler,
            )
            from watchdog.observers import Observer

            watch = self

            class Handler(FileSystemEventHandler):
                def on_any_event(self, event):
                    watch.fired()

            observer = Observer()
            observer.daemon = True
            observer.schedule(Handler(), str(self.folder), recursive=False,
                              event_filter=[DirCreatedEvent, DirModifiedEvent, DirMovedEvent, DirAttribEvent])
            observer.start()
        except (OSError, ImportError, RuntimeError):
            self._unavailable = True
            return False
        self._observer = observer
        self._armed.set()
        return True

    def fired(self) -> None:
        """Something changed in FOLDER: wake the server once, until it scans again."""
        if self._armed.is_set():
            self._armed.clear()
            self._wake()

    def rearm(self) -> None:
        """The server is about to scan: the next event wakes it again."""
        if self._observer is not None:
            self._armed.set()

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None
