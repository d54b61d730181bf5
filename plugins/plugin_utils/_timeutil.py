# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""ISO 8601 timestamps as OneLogin writes them, without third-party imports."""

from __future__ import annotations

import re
from datetime import datetime, timezone

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
    return epoch


def iso8601(epoch):
    """Epoch seconds to ``YYYY-MM-DDTHH:MM:SSZ`` (UTC)."""
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
