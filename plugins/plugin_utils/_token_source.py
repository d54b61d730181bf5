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

# OneLoginError(fixed_text, *values) formats the values itself, after scrubbing them (see _errors):
# pylint: disable=raising-format-tuple

import time
from collections import namedtuple

from ansible_collections.sso.onelogin.plugins.plugin_utils._cache import TokenCache
from ansible_collections.sso.onelogin.plugins.plugin_utils._folders import default_persistent_directory
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError
from ansible_collections.sso.onelogin.plugins.plugin_utils._timeutil import iso8601

Outcome = namedtuple('Outcome', ['record', 'minted'])

# A failed token exchange is remembered in the cache entry for this long (seconds), so that the
# workers that waited for the lock while one of them retried fail at once with its message,
# instead of each running the whole retry cycle again under the lock. See failure_window().
MIN_FAILURE_WINDOW = 5
MAX_FAILURE_WINDOW = 60


def failure_window(settings):
    """Seconds a failed exchange is remembered: ``max(5, min(retry_timeout, 60))``.

    As long as one retry cycle (``retry_timeout``): a worker that comes within that time would only
    spend it to learn the same thing. At least 5 s, so that with retries off the workers already
    queued behind the lock, and those Ansible forks for the next hosts of the same task, still share
    the failure. At most 60 s, so that a long retry_timeout does not keep a recovered OneLogin
    waiting: a later task tries again.
    """
    return max(MIN_FAILURE_WINDOW, min(settings.retry_timeout, MAX_FAILURE_WINDOW))


def _matches(record, settings):
    """The cached ``record`` if it was minted for these settings (host, client, API), else None (a miss)."""
    if record is None:
        return None
    if (record.get('api_url') != settings.base_url or record.get('client_id') != settings.client_id
            or record.get('token_api') != settings.token_api):
        return None
    return record


def _usable(record, settings, now):
    return record is not None and record['expires_at'] - now > settings.min_ttl


def _persistent_store(settings, directory=None, create=True):
    return TokenCache(directory or settings.cache_dir or default_persistent_directory(), persistent=True,
                      where=lambda: settings.where('cache_dir'), create=create)


def _store(settings, cache=None):
    """The cache these settings use: the run's folder, or the persistent folder (checked at every use)."""
    if cache is not None:
        return cache
    if settings.cache == 'persistent':
        return _persistent_store(settings)
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

    A failed exchange is remembered for :func:`failure_window` seconds: a caller that needs a new
    token within that time fails at once with the same message (a usable cached token is still
    handed out). With ``cache=none`` nothing is remembered.

    The record's ``api_url`` is always the one of ``settings``: a cached record minted for another
    host, client or token API is a miss.
    """
    if settings.cache == 'none' and cache is None:
        if check_mode and settings.token_api == 'v1':
            return Outcome(None, False)
        record = _mint(settings, None, now, sleep)
        record['minted_by'] = renew_for
        return Outcome(_for(record, settings), True)
    with _store(settings, cache).entry(settings.cache_key) as entry:
        moment = now()
        record = _matches(entry.read(moment), settings)
        stale = renew_for is not None and (record is None or record.get('minted_by') != renew_for)
        if _usable(record, settings, moment) and not stale:
            return Outcome(_for(record, settings), False)
        if check_mode and settings.token_api == 'v1':
            return Outcome(None, False)
        window = failure_window(settings)
        remembered = entry.read_failure(moment, window)
        if remembered is not None:
            message, failed_at = remembered
            raise OneLoginError(
                '%s (Remembered: a token request with these credentials failed this way %d s ago, in this or '
                'another worker or run; it is not repeated within %d s of a failure, so that the workers waiting '
                'for it do not each retry. A later task tries again after that.)',
                message, int(max(0, moment - failed_at)), window)
        # Retries (and the waits below) happen under the lock: the others wait for this one token.
        try:
            record = _mint(settings, None if renew_for is not None else record, now, sleep)
        except OneLoginError as exc:
            # Its message, scrubbed of the secret, for the workers waiting for the lock.
            entry.write_failure(str(exc.hide(settings.secrets)), now())
            raise
        record['minted_by'] = renew_for
        entry.write(record)
        entry.clear_failure()
        return Outcome(_for(record, settings), True)


def _for(record, settings):
    """The record as handed out: its API URL is the validated one of the settings, never a file's."""
    return dict(record, api_url=settings.base_url)


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
        'out. Lower min_ttl (%s), and check that the controller\'s clock is right.',
        int(max(0, left)), settings.min_ttl, settings.where('min_ttl'))


def revoke(settings, access_token=None, check_mode=False, cache=None, now=time.time, sleep=time.sleep,
           warnings=None):
    """Revoke the cached token of these settings (or ``access_token``) and drop it from every cache.

    Return the revoked token, or None when there was nothing to revoke. In check mode nothing is
    sent or dropped; the return value says what would have been revoked.

    Without ``cache``, the token is dropped from every cache these settings can reach: the run
    cache, the persistent folder of ``settings.cache_dir`` (configured or default, whatever the
    cache mode) and the default persistent folder. A folder that is missing is not created; one
    that fails the safety checks is not touched, and its message is appended to ``warnings`` (a
    list) when one is given.
    """
    primary = _store(settings, cache)
    with primary.entry(settings.cache_key) as entry:
        record = _matches(entry.read(now()), settings)
        token = access_token or (record or {}).get('access_token')
        if not token or check_mode:
            return token or None
        from ansible_collections.sso.onelogin.plugins.plugin_utils import _client  # imports requests
        _client.revoke(settings, token, now=now, sleep=sleep)
        if record is not None and record.get('access_token') == token:
            entry.remove()
    if cache is None:
        for store in _other_stores(settings, primary):
            try:
                with store.entry(settings.cache_key) as entry:
                    if entry is None:  # the folder does not exist: nothing to drop
                        continue
                    record = entry.read(now())
                    if record is not None and record.get('access_token') == token:
                        entry.remove()
            except OneLoginError as exc:  # an unsafe folder is not touched
                if warnings is not None:
                    warnings.append(str(exc.hide(settings.secrets + (token,))))
    return token


def _other_stores(settings, primary):
    """The caches besides ``primary`` that may hold these settings' token, none of them created here."""
    seen = {primary.directory}
    stores = []
    for store in [TokenCache(create=False)] + [_persistent_store(settings, directory, create=False)
                                               for directory in (settings.cache_dir, default_persistent_directory())
                                               if directory]:
        if store.directory not in seen:
            seen.add(store.directory)
            stores.append(store)
    return stores


def as_fact(record, now=time.time, settings=None):
    """The public shape of a token (fact of the module, ``output=record`` of the lookup).

    ``record``: as :func:`obtain` returns it (its ``api_url`` is already the settings' one). With
    ``settings``, ``api_url`` is taken from them in any case.
    """
    return {
        'access_token': record['access_token'],
        'token_type': record['token_type'],
        'expires_in': max(0, int(record['expires_at'] - now())),
        'expires_at': iso8601(record['expires_at']),
        'created_at': record['created_at'],
        'account_id': record['account_id'],
        'api_url': settings.base_url if settings is not None else record['api_url'],
    }
