"""The identity and exchange rules on folders made here and given real owners with chown (the whole
story with real accounts is test_identities.py)."""
from __future__ import annotations

import os

import pytest

from dlgrader.collection import arrival, guard
from dlgrader.serve.inbox import parse
from dlgrader.serve.limits import attempt

A = "ps2_softmax_cross_entropy"
OTHER_UID = 54321          # no account needed: only the number is compared


def test_ids_are_matched_in_full():
    assert arrival.valid_id("alice") and arrival.valid_id("a.b-c_d@x")
    for bad in ("alice\n", "alice\r", "../alice", "al/ice", "", "-alice", "alice "):
        assert not arrival.valid_id(bad), repr(bad)
    assert arrival.parse_name(f"alice\n+{A}+2026-11-22 09:00:00 UTC+ab") is None
    assert arrival.claimed_id(f"alice\n+{A}+2026-11-22 09:00:00 UTC+ab") == "alice\\n"


def test_submissions_someone_else_made_under_a_name_use_up_none_of_its_limit(tmp_path):
    names = [f"alice+{A}+2026-11-22 09:0{i}:00 UTC+r{i}" for i in range(4)]
    for i, name in enumerate(names):
        (tmp_path / name).mkdir()
        if i < 3:                                    # three forged before alice's own
            os.chown(tmp_path / name, OTHER_UID, OTHER_UID)
    assert attempt(tmp_path, parse(names[3], {A})) == 1


@pytest.mark.parametrize("mode", [0o777, 0o1777])
def test_the_exchange_path_rules(tmp_path, mode):
    root = tmp_path / "exchange"
    root.mkdir()
    root.chmod(mode)
    if mode == 0o777:
        with pytest.raises(guard.UnsafeExchange, match="writable by everyone without the sticky bit"):
            guard.check(root, "course")
        return
    guard.check(root, "course")                       # no course folder yet: nothing more to check
    course = root / "course"
    (course / "inbound").mkdir(parents=True)
    (course / "inbound").chmod(0o2733)
    guard.check(root, "course")
    (course / "inbound").chmod(0o777)                 # listable and writable by all
    with pytest.raises(guard.UnsafeExchange, match="inbound is writable by everyone"):
        guard.check(root, "course")
    (course / "inbound").chmod(0o2733)
    os.chown(course / "inbound", OTHER_UID, OTHER_UID)
    with pytest.raises(guard.UnsafeExchange, match=f"inbound belongs to uid {OTHER_UID}"):
        guard.check(root, "course")
    os.chown(course / "inbound", os.geteuid(), os.getegid())
    (course / "outbound").symlink_to(tmp_path)
    with pytest.raises(guard.UnsafeExchange, match="outbound is not a folder"):
        guard.check(root, "course")


def test_a_missing_root_is_made_1777(tmp_path):
    guard.make_root(tmp_path / "srv" / "exchange")
    assert (tmp_path / "srv" / "exchange").stat().st_mode & 0o7777 == 0o1777


def test_an_exchange_reached_through_a_link_another_account_owns_is_refused(tmp_path):
    """/tmp/exchange -> the instructor's real 1777 folder, the link a student's: she can re-point it
    at an exchange of her own at any time, so release, collect and serve refuse it."""
    real = tmp_path / "real"
    real.mkdir()
    real.chmod(0o1777)
    link = tmp_path / "exchange"
    link.symlink_to(real)
    guard.check_path(link, os.geteuid())                  # the instructor's own link is fine
    os.lchown(link, OTHER_UID, OTHER_UID)
    with pytest.raises(guard.UnsafeExchange, match="is a link owned by uid 54321"):
        guard.check_path(link, os.geteuid())


def test_a_name_planted_while_the_root_is_made_gets_nothing(tmp_path, monkeypatch):
    """Between the look (no root yet) and the mkdir, a student plants ROOT -> a folder of root's in
    a shared parent: the old code followed the link with chmod and made that folder 1777."""
    victim = tmp_path / "etc-like"
    victim.mkdir(mode=0o755)
    shared = tmp_path / "tmp-like"
    shared.mkdir()
    shared.chmod(0o1777)
    root = shared / "exchange"
    real_lexists = os.path.lexists

    def plant(path):
        if str(path) == str(root) and not real_lexists(root):
            root.symlink_to(victim)
            os.lchown(root, OTHER_UID, OTHER_UID)
            return False                                   # what the look saw, just before the plant
        return real_lexists(path)
    monkeypatch.setattr(guard.os.path, "lexists", plant)
    monkeypatch.setattr(guard.Path, "exists", lambda self: plant(self))
    with pytest.raises(guard.UnsafeExchange):
        guard.make_root(root)
    assert oct(victim.stat().st_mode & 0o7777) == oct(0o755)


def test_a_link_under_a_students_name_never_replaces_their_collected_work(course, tmp_path):
    """eve's link named alice+A+<later>, caught between the owner look (gone: no owner) and the copy:
    the copy used to refuse it as alice's own, swapping a refused stub (0, needs manual grading) in for
    alice's collected work. Now the entry's own owner decides: rejected, alice's copy untouched."""
    from dlgrader.collection import collector, identity
    from dlgrader.collection.settings import settings
    from dlgrader.collection.student import fetch, submit
    dlgrader_release(course)
    home = tmp_path / "alice"
    fetch(course, home, "alice", A)
    submit(course, home, "alice", A)
    [outcome] = collector.collect(course, A)[0]
    assert outcome.status == "collected"
    kept = sorted(p.name for p in (course.submitted / "alice" / A).iterdir())
    inbound = collector.inbound_folder(course)
    forged = f"alice+{A}+2099-01-01 00:00:00.000000 UTC+forged"
    (inbound / forged).symlink_to(tmp_path)
    os.lchown(inbound / forged, OTHER_UID, OTHER_UID)
    conf = settings(course)
    ids = identity.load(course, conf.accounts)
    done = collector.collect_one(course, A, "alice", forged, conf, ids=ids, uid=ids.uid("alice"))
    assert done.status == "rejected" and "owned by uid 54321" in done.reason
    assert sorted(p.name for p in (course.submitted / "alice" / A).iterdir()) == kept


def dlgrader_release(course):
    from ..conftest import dlgrader
    dlgrader(course.root, "release", A)
