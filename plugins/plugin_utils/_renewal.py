# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""Renewal: minting a token on a miss, remembering a failed exchange, and revoking.

Imported by :mod:`_token_source` only when the cache cannot answer (a miss, a stale or forced
token) or for a revoke, so that the cached path of the lookup, which every forked worker runs
first, compiles none of this.
"""

from __future__ import annotations

# OneLoginError(fixed_text, *values) formats the values itself, after scrubbing them (see _errors):
# pylint: disable=raising-format-tuple

from ansible_collections.sso.onelogin.plugins.plugin_utils._cache import TokenCache
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError
from ansible_collections.sso.onelogin.plugins.plugin_utils._folders import default_persistent_directory
from ansible_collections.sso.onelogin.plugins.plugin_utils._token_source import (
    Outcome, failure_window, matches, persistent_store, handed_out, store)


def renew(settings, entry, record, renew_for, now, sleep, replace=False):
    """Mint the token that the locked cache ``entry`` could not hand out, or fail as a recent failure did.

    ``record``: the cached token it replaces, if any; ``replace``: that token was rejected by OneLogin, so
    its successor is minted at once (not when it runs out). A failed exchange is remembered in the entry
    for :func:`failure_window` seconds, with its message scrubbed of the secret, so that the
    workers waiting for the lock fail at once with it instead of each retrying.
    """
    moment = now()
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
        record = mint(settings, None if renew_for is not None or replace else record, now, sleep)
    except OneLoginError as exc:
        # Its message, scrubbed of the secret, for the workers waiting for the lock.
        entry.write_failure(str(exc.hide(settings.secrets)), now())
        raise
    record['minted_by'] = renew_for
    entry.write(record)
    entry.clear_failure()
    return Outcome(handed_out(record, settings), True)


# How often a v2 token that comes back at its end of life is waited out and asked for again.
V2_REASKS = 4


def mint(settings, previous, now, sleep):
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


def revoke(settings, access_token, check_mode, cache, now, sleep, warnings):
    """Revoke the cached token of these settings (or ``access_token``) and drop it from every cache.

    Return the revoked token, or None when there was nothing to revoke. In check mode nothing is
    sent or dropped; the return value says what would have been revoked.

    Without ``cache``, the token is dropped from every cache these settings can reach: the run
    cache, the persistent folder of ``settings.cache_dir`` (configured or default, whatever the
    cache mode) and the default persistent folder. A folder that is missing is not created; one
    that fails the safety checks is not touched, and its message is appended to ``warnings`` (a
    list) when one is given.
    """
    primary = store(settings, cache)
    with primary.entry(settings.cache_key) as entry:
        record = matches(entry.read(now()), settings)
        token = access_token or (record or {}).get('access_token')
        if not token or check_mode:
            return token or None
        from ansible_collections.sso.onelogin.plugins.plugin_utils import _client  # imports requests
        _client.revoke(settings, token, now=now, sleep=sleep)
        if record is not None and record.get('access_token') == token:
            entry.remove()
    if cache is None:
        for other in _other_stores(settings, primary):
            try:
                with other.entry(settings.cache_key) as entry:
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
    for candidate in [TokenCache(create=False)] + [persistent_store(settings, directory, create=False)
                                                   for directory in (settings.cache_dir, default_persistent_directory())
                                                   if directory]:
        if candidate.directory not in seen:
            seen.add(candidate.directory)
            stores.append(candidate)
    return stores
