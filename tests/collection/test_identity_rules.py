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
