"""Unit tests of ``_timeutil``: OneLogin's ISO 8601 timestamps to epoch seconds and back.

Expected values come from ``calendar.timegm`` on literal UTC tuples, never from the code under test.
"""

from __future__ import annotations

import calendar

import pytest

from ansible_collections.sso.onelogin.plugins.plugin_utils._timeutil import iso8601, parse_timestamp


def utc(year, month, day, hour, minute, second):
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))


# 2015-11-11 03:36:18 UTC, the moment of OneLogin's documentation example.
EXAMPLE = utc(2015, 11, 11, 3, 36, 18)


def test_example_epoch_is_what_we_think():
    # Guards the helper itself: 2015-11-11T03:36:18Z is 1447212978 seconds after the epoch.
    assert EXAMPLE == 1447212978


@pytest.mark.parametrize('text, expected', [
    ('2015-11-11T03:36:18.714Z', EXAMPLE + 0.714),
    ('2015-11-11T03:36:18Z', EXAMPLE),
    ('2015-11-11t03:36:18z', EXAMPLE),
    ('2015-11-11 03:36:18Z', EXAMPLE),
    ('2015-11-11T03:36:18,5Z', EXAMPLE + 0.5),
    ('2015-11-11T03:36:18.123456789Z', EXAMPLE + 0.123456789),
    ('  2015-11-11T03:36:18Z\n', EXAMPLE),
    # Offsets: local time minus the offset is UTC.
    ('2015-11-11T05:36:18+02:00', EXAMPLE),
    ('2015-11-11T05:36:18.714+0200', EXAMPLE + 0.714),
    ('2015-11-10T22:06:18-0530', EXAMPLE),
    ('2015-11-10T22:06:18-05:30', EXAMPLE),
    ('2015-11-11T03:36:18+00:00', EXAMPLE),
    ('2015-11-11T03:36:18 +00:00', EXAMPLE),
    # An offset that moves the date across midnight and a year boundary.
    ('2016-01-01T00:30:00+01:00', utc(2015, 12, 31, 23, 30, 0)),
    # No zone: UTC.
    ('2015-11-11T03:36:18', EXAMPLE),
    ('2015-11-11T03:36:18.25', EXAMPLE + 0.25),
    # Leap day.
    ('2024-02-29T12:00:00Z', utc(2024, 2, 29, 12, 0, 0)),
])
def test_parse_timestamp(text, expected):
    assert parse_timestamp(text) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize('value', [
    None,
    '',
    'garbage',
    'yesterday at noon',
    '2015-11-11',
    '2015-11-11T03:36Z',
    '2015-11-11T03:36:18+2',
    '2015-11-11T03:36:18 UTC',
    '2015-11-11T03:36:18Zjunk',
    'x2015-11-11T03:36:18Z',
    '2015-13-01T00:00:00Z',
    '2015-02-30T00:00:00Z',
    '2015-11-11T25:00:00Z',
    '2015-11-11T03:60:00Z',
    1447212978,
    1447212978.5,
    b'2015-11-11T03:36:18Z',
    ['2015-11-11T03:36:18Z'],
])
def test_parse_timestamp_rejects(value):
    assert parse_timestamp(value) is None


@pytest.mark.parametrize('epoch, text', [
    (EXAMPLE, '2015-11-11T03:36:18Z'),
    (0, '1970-01-01T00:00:00Z'),
    (utc(2038, 1, 19, 3, 14, 8), '2038-01-19T03:14:08Z'),
    (utc(2024, 2, 29, 23, 59, 59), '2024-02-29T23:59:59Z'),
])
def test_iso8601(epoch, text):
    assert iso8601(epoch) == text


def test_iso8601_drops_the_fraction():
    assert iso8601(EXAMPLE + 0.999) == '2015-11-11T03:36:18Z'


@pytest.mark.parametrize('epoch', [0, EXAMPLE, utc(2024, 2, 29, 23, 59, 59), utc(2099, 12, 31, 0, 0, 1)])
def test_round_trip_from_epoch(epoch):
    assert parse_timestamp(iso8601(epoch)) == epoch


@pytest.mark.parametrize('text, canonical', [
    ('2015-11-11T03:36:18Z', '2015-11-11T03:36:18Z'),
    ('2015-11-11T03:36:18.714Z', '2015-11-11T03:36:18Z'),
    ('2015-11-11T05:36:18+02:00', '2015-11-11T03:36:18Z'),
    ('2015-11-10T22:06:18-0530', '2015-11-11T03:36:18Z'),
])
def test_round_trip_from_text(text, canonical):
    assert iso8601(parse_timestamp(text)) == canonical


@pytest.mark.parametrize('epoch, text', [
    # A lifetime of 3e11 s written into a cache (defect D8): the year 11533, beyond what datetime shows.
    (1.7e9 + 3e11, '9999-12-31T23:59:59Z'),
    (1e300, '9999-12-31T23:59:59Z'),
    (float('inf'), '9999-12-31T23:59:59Z'),
    (-1e300, '0001-01-01T00:00:00Z'),
    (float('-inf'), '0001-01-01T00:00:00Z'),
    (float('nan'), '0001-01-01T00:00:00Z'),
    (10 ** 400, '9999-12-31T23:59:59Z'),
    (-0.5, '1969-12-31T23:59:59Z'),
])
def test_iso8601_never_raises(epoch, text):
    assert iso8601(epoch) == text


@pytest.mark.parametrize('text', ['9999-12-31T23:59:59-01:00', '0001-01-01T00:00:00+01:00'])
def test_parse_timestamp_beyond_the_years_datetime_shows_is_none(text):
    assert parse_timestamp(text) is None


@pytest.mark.parametrize('text', ['9999-12-31T23:59:59Z', '0001-01-01T00:00:00Z'])
def test_parse_timestamp_at_the_edges_round_trips(text):
    assert iso8601(parse_timestamp(text)) == text
