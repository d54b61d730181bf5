# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""The one token source of the collection: the run-scoped cache in front of the HTTP client.

Both doors (the ``onelogin_token`` action plugin and lookup) call :func:`obtain`. On the cached
path it takes a lock, reads a small file and compares a timestamp; ``requests`` is imported only
when a token has to be minted.
"""

from __future__ import annotations

import time
from collections import namedtuple

from ansible_collections.sso.onelogin.plugins.plugin_utils._cache import TokenCache
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError
from ansible_collections.sso.onelogin.plugins.plugin_utils._timeutil import iso8601

Outcome = namedtuple('Outcome', ['record', 'minted'])


def _usable(record, settings, now):
    return record is not None and record['expires_at'] - now > settings.min_ttl


def obtain(settings, renew_for=None, check_mode=False, cache=None, now=time.time, sleep=time.sleep):
    """Return ``Outcome(record, minted)`` for these settings: the run's token, minted at most once.

    ``renew_for``: an id of the caller (the task's uuid) that wants a new token even if a valid one
    is cached. A token already minted for that same id is shared rather than replaced, so a forced
    task on many hosts still mints one token.
    ``check_mode``: a v1 token is not minted in check mode, because minting one invalidates the
    tokens other clients hold; with nothing usable cached the outcome is ``Outcome(None, False)``.
    v2 tokens are obtained in check mode too: that changes nothing in OneLogin.
    """
    cache = cache or TokenCache()
    with cache.entry(settings.cache_key) as entry:
        record = entry.read()
        stale = renew_for is not None and (record is None or record.get('minted_by') != renew_for)
        if _usable(record, settings, now()) and not stale:
            return Outcome(record, False)
        if check_mode and settings.token_api == 'v1':
            return Outcome(None, False)
        record = _mint(settings, now, sleep)
        record['minted_by'] = renew_for
        entry.write(record)
        return Outcome(record, True)


def _mint(settings, now, sleep):
    from ansible_collections.sso.onelogin.plugins.plugin_utils import _client  # imports requests
    record = _client.exchange(settings, now=now)
    left = record['expires_at'] - now()
    if left > settings.min_ttl:
        return record
    if settings.token_api == 'v2' and left > 0:
        # v2 hands back the same token until it expires: asking again now would return this one.
        # Wait out its last seconds (everyone else waits on the cache lock) and ask for a new one,
        # rather than hand out a token that a later API call would find expired.
        sleep(left + 1)
        record = _client.exchange(settings, now=now)
        left = record['expires_at'] - now()
        if left > settings.min_ttl:
            return record
    raise OneLoginError(
        'OneLogin issued a token with %d seconds left, not more than min_ttl (%d seconds), so it cannot be handed '
        'out. Lower min_ttl (%s).' % (max(0, left), settings.min_ttl, settings.where('min_ttl')))


def as_fact(record, now=time.time):
    """The public shape of a token (fact of the module, ``output=record`` of the lookup)."""
    return {
        'access_token': record['access_token'],
        'token_type': record['token_type'],
        'expires_in': max(0, int(record['expires_at'] - now())),
        'expires_at': iso8601(record['expires_at']),
        'created_at': record['created_at'],
        'account_id': record['account_id'],
        'api_url': record['api_url'],
    }
