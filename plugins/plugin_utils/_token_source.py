# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""The one token source of the collection: the cache (run-scoped or persistent) in front of the HTTP client.

Every door (the action plugins and the lookup) calls :func:`obtain` (or :func:`revoke`). On the
cached path it takes a lock, reads a small file and compares a timestamp. A miss (minting, the
memory of a failed exchange) and a revoke are in :mod:`_renewal`, loaded only then (from bytecode,
with the HTTP client: _preload.MINT_PATH), and ``requests`` only when OneLogin has to be called:
every forked worker runs the cached path first, and one of them mints while the others wait.
"""

from __future__ import annotations

import time
from collections import namedtuple

from ansible_collections.sso.onelogin.plugins.plugin_utils._cache import TokenCache
from ansible_collections.sso.onelogin.plugins.plugin_utils._folders import default_persistent_directory

Outcome = namedtuple('Outcome', ['record', 'minted'])

# A failed token exchange is remembered in the cache entry for this long (seconds), so that the
# workers that waited for the lock while one of them retried fail at once with its message,
# instead of each running the whole retry cycle again under the lock. See failure_window().
MIN_FAILURE_WINDOW = 5
MAX_FAILURE_WINDOW = 60

# The clock and the wait of the calls below that are not given their own ``now`` and ``sleep``: those of the doors.
# Looked up at each call, so that the door tests can put a fake clock in their place.
CLOCK = time.time
SLEEP = time.sleep


def failure_window(settings):
    """Seconds a failed exchange is remembered: ``max(5, min(retry_timeout, 60))``.

    As long as one retry cycle (``retry_timeout``): a worker that comes within that time would only
    spend it to learn the same thing. At least 5 s, so that with retries off the workers already
    queued behind the lock, and those Ansible forks for the next hosts of the same task, still share
    the failure. At most 60 s, so that a long retry_timeout does not keep a recovered OneLogin
    waiting: a later task tries again.
    """
    return max(MIN_FAILURE_WINDOW, min(settings.retry_timeout, MAX_FAILURE_WINDOW))


def matches(record, settings):
    """The cached ``record`` if it was minted for these settings (host, client, API), else None (a miss)."""
    if record is None:
        return None
    if (record.get('api_url') != settings.base_url or record.get('client_id') != settings.client_id
            or record.get('token_api') != settings.token_api):
        return None
    return record


def _usable(record, settings, now):
    return record is not None and record['expires_at'] - now > settings.min_ttl


def persistent_store(settings, directory=None, create=True):
    return TokenCache(directory or settings.cache_dir or default_persistent_directory(), persistent=True,
                      where=lambda: settings.where('cache_dir'), create=create)


def store(settings, cache=None):
    """The cache these settings use: the run's folder, or the persistent folder (checked at every use)."""
    if cache is not None:
        return cache
    if settings.cache == 'persistent':
        return persistent_store(settings)
    return TokenCache()


def obtain(settings, renew_for=None, check_mode=False, cache=None, now=None, sleep=None, rejected=None):
    """Return ``Outcome(record, minted)`` for these settings: the run's token, minted at most once.

    ``renew_for``: an id of the caller (the task's uuid) that wants a new token even if a valid one
    is cached. A token already minted for that same id is shared rather than replaced, so a forced
    task on many hosts still mints one token.
    ``check_mode``: a v1 token is not minted in check mode, because minting one invalidates the
    tokens other clients hold; with nothing usable cached the outcome is ``Outcome(None, False)``.
    v2 tokens are obtained in check mode too: that changes nothing in OneLogin.
    With ``settings.cache == 'none'`` nothing is cached or locked: every call mints.

    A failed exchange is remembered for :func:`failure_window` seconds: a caller that needs a new
    token within that time fails at once with the same message (a usable cached token is still
    handed out). With ``cache=none`` nothing is remembered.

    The record's ``api_url`` is always the one of ``settings``: a cached record minted for another
    host, client or token API is a miss.

    ``rejected``: a token that OneLogin refused (HTTP 401) although it was handed out as valid. It is
    replaced only if it is still the cached one: another worker that met the same refusal may have
    replaced it already, and then its successor is shared. So a run renews a rejected token once.

    ``now`` and ``sleep``: the clock and the wait, CLOCK and SLEEP unless given.
    """
    now, sleep = (CLOCK if now is None else now), (SLEEP if sleep is None else sleep)
    if settings.cache == 'none' and cache is None:
        if check_mode and settings.token_api == 'v1':
            return Outcome(None, False)
        record = _renewal_module().mint(settings, None, now, sleep)
        record['minted_by'] = renew_for
        return Outcome(handed_out(record, settings), True)
    with store(settings, cache).entry(settings.cache_key) as entry:
        moment = now()
        record = matches(entry.read(moment), settings)
        stale = renew_for is not None and (record is None or record.get('minted_by') != renew_for)
        replace = rejected is not None and record is not None and record['access_token'] == rejected
        if _usable(record, settings, moment) and not stale and not replace:
            return Outcome(handed_out(record, settings), False)
        if check_mode and settings.token_api == 'v1':
            return Outcome(None, False)
        return _renewal_module().renew(settings, entry, record, renew_for, now, sleep, replace=replace)


def _renewal_module():
    """:mod:`_renewal`, for a miss or a revoke, with what a mint needs loaded from bytecode (see _preload)."""
    from ansible_collections.sso.onelogin.plugins.plugin_utils._preload import MINT_PATH, preload
    preload(MINT_PATH)
    from ansible_collections.sso.onelogin.plugins.plugin_utils import _renewal as renewal
    return renewal


def handed_out(record, settings):
    """The record as handed out: its API URL is the validated one of the settings, never a file's."""
    return dict(record, api_url=settings.base_url)


def revoke(settings, access_token=None, check_mode=False, cache=None, now=None, sleep=None, warnings=None):
    """Revoke the cached token of these settings (or ``access_token``) and drop it from every cache it can reach.

    See :func:`_renewal.revoke`; the return value is the revoked token, or None.
    """
    return _renewal_module().revoke(settings, access_token=access_token, check_mode=check_mode, cache=cache,
                                    now=CLOCK if now is None else now, sleep=SLEEP if sleep is None else sleep,
                                    warnings=warnings)


def as_fact(record, now=None, settings=None):
    """The public shape of a token (fact of the module, ``output=record`` of the lookup).

    ``record``: as :func:`obtain` returns it (its ``api_url`` is already the settings' one). With
    ``settings``, ``api_url`` is taken from them in any case.
    """
    from ansible_collections.sso.onelogin.plugins.plugin_utils._timeutil import iso8601
    return {
        'access_token': record['access_token'],
        'token_type': record['token_type'],
        'expires_in': max(0, int(record['expires_at'] - (CLOCK if now is None else now)())),
        'expires_at': iso8601(record['expires_at']),
        'created_at': record['created_at'],
        'account_id': record['account_id'],
        'api_url': settings.base_url if settings is not None else record['api_url'],
    }
