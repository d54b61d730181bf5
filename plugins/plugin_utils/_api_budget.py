# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""The rate limit the run's workers share, kept beside the token in the cache entry of the credentials.

The last ``X-RateLimit-Remaining``/``Reset`` an answer carried is written there (the record's rules are in
:mod:`_cache_writes`: within one window the fewer calls left wins), and every request takes one call from it
before it is sent, so that requests on their way count too. A worker that finds none left waits for the reset
instead of meeting a 429. With ``cache=none`` nothing is shared. Sharing only saves requests: a record that
cannot be read or written never fails a call.
"""

from __future__ import annotations

from ansible_collections.sso.onelogin.plugins.plugin_utils import _cache_writes, _token_source
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError


def take(settings, now):
    """Take one call before a request: 0 to go ahead, else the seconds until the account's budget is refilled."""
    if settings.cache == 'none':
        return 0
    with _token_source.store(settings).entry(settings.cache_key) as entry:
        return _cache_writes.take_from_budget(entry, now)


def share(settings, limit, remaining, reset, now):
    """Keep what an answer said: ``remaining`` calls of ``limit``, refilled in ``reset`` seconds from ``now``."""
    if settings.cache == 'none':
        return
    try:
        with _token_source.store(settings).entry(settings.cache_key) as entry:
            _cache_writes.write_budget(entry, {'limit': limit, 'remaining': remaining, 'reset_at': now + reset,
                                               'seen_at': now})
    except OneLoginError:
        pass
