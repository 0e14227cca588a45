"""Claimed times read from inbound names and timestamp.txt: the quick path for nbgrader's own
format gives what nbgrader's parser gives, and anything else still goes through that parser."""
from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st
from nbgrader.utils import parse_utc

from dlgrader.collection.arrival import NBGRADER_FORMAT, parse_claim, parse_name

TIMES = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1))


@given(TIMES)
def test_nbgraders_format_reads_as_nbgrader_reads_it(when):
    text = when.strftime(NBGRADER_FORMAT.replace("%Z", "UTC"))
    assert parse_claim(text) == parse_utc(text) == when
    assert parse_claim(text.encode()) == when          # timestamp.txt is read as bytes


def test_other_formats_and_zones_go_through_nbgraders_parser():
    for text in ("2026-11-22 10:00:00.123456 CET", "2026-11-22T10:00:00+02:00", "2026-11-22 10:00:00"):
        assert parse_claim(text) == parse_utc(text)
    assert parse_claim("yesterday, honestly UTC") is None and parse_claim("31-13-2026 UTC") is None


def test_an_inbound_name_is_split_as_nbgraders_collect_splits_it():
    assert parse_name("alice+ps2+2026-11-22 10:00:00.5 UTC+abcd") == ("alice", "ps2", datetime(2026, 11, 22, 10, 0, 0, 500000))
    assert parse_name("../x+ps2+2026-11-22 10:00:00 UTC") is None and parse_name("alice+ps2") is None
