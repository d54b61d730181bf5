# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""ISO 8601 timestamps as OneLogin writes them, without third-party imports."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone

# The epochs of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the range datetime can show.
_FIRST = -62135596800
_LAST = 253402300799
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# Compiled by the re module on first use: the cached path of the lookup never parses a timestamp.
_ISO = r'(?i)^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$'


def parse_timestamp(text):
    """Parse ``2015-11-11T03:36:18.714Z`` (or with an offset; no zone means UTC) to epoch seconds, or None."""
    if not isinstance(text, str):
        return None
    match = re.match(_ISO, text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=timezone.utc)
    except ValueError:
        return None
    epoch = moment.timestamp() + (float('0.' + fraction) if fraction else 0.0)
    if zone and zone.upper() != 'Z':
        sign = 1 if zone[0] == '+' else -1
        digits = zone[1:].replace(':', '')
        epoch -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    if not _FIRST <= epoch <= _LAST:
        return None  # an offset pushed it out of the years 1 to 9999
    return epoch


def iso8601(epoch):
    """Epoch seconds to ``YYYY-MM-DDTHH:MM:SSZ`` (UTC); never raises.

    A moment outside the years 1 to 9999 (say a cache written from a server's absurd lifetime)
    shows as the first or last second of that range; a value that is not a number, as the first.
    """
    try:
        epoch = float(epoch)
    except OverflowError:  # an integer beyond any float
        epoch = _LAST if epoch > 0 else _FIRST
    except (TypeError, ValueError):
        epoch = _FIRST
    if math.isnan(epoch):
        epoch = _FIRST
    epoch = min(max(epoch, _FIRST), _LAST)
    moment = _EPOCH + timedelta(seconds=int(epoch // 1))
    # Not strftime: its %Y does not pad the years before 1000 on every platform.
    return '%04d-%02d-%02dT%02d:%02d:%02dZ' % (moment.year, moment.month, moment.day, moment.hour, moment.minute,
                                               moment.second)
