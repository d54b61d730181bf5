# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""The one token source of the collection: the cache (run-scoped or persistent) in front of the HTTP client.

Every door (the action plugins and the lookup) calls :func:`obtain` (or :func:`revoke`). On the
cached path it takes a lock, reads a small file and compares a timestamp; ``requests`` is
imported only when OneLogin has to be called.
"""

from __future__ import annotations

import os
import time
from collections import namedtuple

from ansible_collections.sso.onelogin.plugins.plugin_utils._cache import (TokenCache, default_persistent_directory,
                                                                          persistent_directory)
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError
from ansible_collections.sso.onelogin.plugins.plugin_utils._timeutil import iso8601

Outcome = namedtuple('Outcome', ['record', 'minted'])


def _usable(record, settings, now):
    return record is not None and record['expires_at'] - now > settings.min_ttl


def _store(settings, cache=None):
    """The cache these settings use: the run's folder, or the checked persistent folder."""
    if cache is not None:
        return cache
    if settings.cache == 'persistent':
        return TokenCache(settings.cache_dir, checked=True)
    return TokenCache()


def obtain(settings, renew_for=None, check_mode=False, cache=None, now=time.time, sleep=time.sleep):
    """Return ``Outcome(record, minted)`` for these settings: the run's token, minted at most once.

    ``renew_for``: an id of the caller (the task's uuid) that wants a new token even if a valid one
    is cached. A token already minted for that same id is shared rather than replaced, so a forced
    task on many hosts still mints one token.
    ``check_mode``: a v1 token is not minted in check mode, because minting one invalidates the
    tokens other clients hold; with nothing usable cached the outcome is ``Outcome(None, False)``.
    v2 tokens are obtained in check mode too: that changes nothing in OneLogin.
    With ``settings.cache == 'none'`` nothing is cached or locked: every call mints.
    """
    if settings.cache == 'none' and cache is None:
        if check_mode and settings.token_api == 'v1':
            return Outcome(None, False)
        record = _mint(settings, None, now, sleep)
        record['minted_by'] = renew_for
        return Outcome(record, True)
    with _store(settings, cache).entry(settings.cache_key) as entry:
        record = entry.read()
        stale = renew_for is not None and (record is None or record.get('minted_by') != renew_for)
        if _usable(record, settings, now()) and not stale:
            return Outcome(record, False)
        if check_mode and settings.token_api == 'v1':
            return Outcome(None, False)
        # Retries (and the waits below) happen under the lock: the others wait for this one token.
        record = _mint(settings, None if renew_for is not None else record, now, sleep)
        record['minted_by'] = renew_for
        entry.write(record)
        return Outcome(record, True)


# How often a v2 token that comes back at its end of life is waited out and asked for again.
V2_REASKS = 4


def _mint(settings, previous, now, sleep):
    """A new token with more than min_ttl left; ``previous``: the cached token it replaces, if any."""
    from ansible_collections.sso.onelogin.plugins.plugin_utils import _client  # imports requests
    if previous is not None and previous.get('token_api') == settings.token_api:
        if settings.token_api == 'v1':
            # A new v1 token invalidates this one at once. It was handed out until it got down to
            # min_ttl; mint its successor only at min_ttl / 2, so whoever got it last can still use it.
            wait = previous['expires_at'] - settings.min_ttl / 2.0 - now()
        else:
            # v2 hands back this same token until it expires: asking now would only return it again.
            wait = previous['expires_at'] - now() + 1 if previous['expires_at'] > now() else 0
        if wait > 0:
            sleep(wait)
    record = _client.exchange(settings, now=now, sleep=sleep)
    left = record['expires_at'] - now()
    reasks = 0
    ended = None
    while (left <= settings.min_ttl and settings.token_api == 'v2' and reasks < V2_REASKS
           and ended in (None, record['access_token'])):
        # OneLogin handed back a v2 token at its end of life (obtained earlier by another client, or
        # the clocks disagree): wait it out, with a growing margin, and ask again, rather than hand out
        # a token that a later API call would find expired. A different token that is just as short
        # is not waited for: its whole lifetime is not above min_ttl.
        ended = record['access_token']
        sleep(max(left, 0) + 2 ** reasks)
        reasks += 1
        record = _client.exchange(settings, now=now, sleep=sleep)
        left = record['expires_at'] - now()
    if left > settings.min_ttl:
        return record
    raise OneLoginError(
        'OneLogin issued a token with %d seconds left, not more than min_ttl (%d seconds), so it cannot be handed '
        'out. Lower min_ttl (%s), and check that the controller\'s clock is right.'
        % (max(0, left), settings.min_ttl, settings.where('min_ttl')))


def revoke(settings, access_token=None, check_mode=False, cache=None, now=time.time, sleep=time.sleep):
    """Revoke the cached token of these settings (or ``access_token``) and drop it from every cache.

    Return the revoked token, or None when there was nothing to revoke. In check mode nothing is
    sent or dropped; the return value says what would have been revoked.
    """
    stores = [_store(settings, cache)]
    if cache is None:
        other = _persistent_if_present() if settings.cache != 'persistent' else TokenCache()
        if other is not None:
            stores.append(other)
    with stores[0].entry(settings.cache_key) as entry:
        record = entry.read()
        token = access_token or (record or {}).get('access_token')
        if not token or check_mode:
            return token or None
        from ansible_collections.sso.onelogin.plugins.plugin_utils import _client  # imports requests
        _client.revoke(settings, token, now=now, sleep=sleep)
        if record is not None and record.get('access_token') == token:
            entry.remove()
    for store in stores[1:]:
        with store.entry(settings.cache_key) as entry:
            record = entry.read()
            if record is not None and record.get('access_token') == token:
                entry.remove()
    return token


def _persistent_if_present():
    """The default persistent cache folder when it exists and is safe to touch (to drop a revoked token), else None."""
    if not os.path.isdir(default_persistent_directory()):
        return None
    try:
        return TokenCache(persistent_directory(None, 'cache_dir'), checked=True)
    except OneLoginError:
        return None


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
