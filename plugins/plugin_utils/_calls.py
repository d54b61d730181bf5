# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""One call to OneLogin, with retries, and what its failures mean.

Connection errors, timeouts and HTTP 429/500/502/503/504 (also inside an HTTP 200 error envelope)
are tried again after an exponential, jittered wait, within ``retry_timeout``; anything else
fails at once with a message that says what happened and what to check, in OneLogin's own words
where it gave some, scrubbed of every secret the request carried.
"""

from __future__ import annotations

# OneLoginError(fixed_text, *values) formats the values itself, after scrubbing them (see _errors):
# pylint: disable=raising-format-tuple

import contextlib
import datetime
import email.utils
import random

from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError
from ansible_collections.sso.onelogin.plugins.plugin_utils._transport import Passing, clip, send

# Passing failures and the waits between tries.
RETRY_STATUSES = frozenset((429, 500, 502, 503, 504))
FIRST_DELAY = 0.5
MAX_DELAY = 8.0
# Never wait less than this after a 429, whatever its Retry-After says ("0", a date in the past).
MIN_RETRY_AFTER = 1.0
# A longer Retry-After is taken as this (it fails at once anyway: no retry_timeout is that long).
MAX_RETRY_AFTER = 10 ** 7


@contextlib.contextmanager
def scrubbed(secrets):
    try:
        yield
    except OneLoginError as exc:
        raise exc.hide(secrets) from None


def call(settings, method, path, what, now, sleep, secrets, advice_401=None, **kwargs):
    """Send one request, retrying passing failures; return ``(requested_at, response, body)``.

    Connection errors, timeouts, HTTP 429/500/502/503/504 (also inside an HTTP 200 error envelope)
    are tried again after an exponential, jittered wait (after a 429 with ``Retry-After``, the
    longest of that, the backoff and MIN_RETRY_AFTER) until the next try could not start within
    ``retry_timeout`` seconds of the first. Anything else fails at once. ``what`` is fixed text.
    """
    url = settings.base_url + path
    started = now()
    deadline = started + settings.retry_timeout
    attempt = 0
    while True:
        attempt += 1
        requested_at = now()
        try:
            response, body = send(settings, method, url, what, secrets, kwargs)
            code = failure_code(response.status_code, body)
            if code is None:
                return requested_at, response, body
            error = _refusal(code, response.status_code, _error_text(body), url, settings, what, secrets,
                             advice_401)
            if code not in RETRY_STATUSES:
                raise error
            raise Passing(error, retry_after(response) if code == 429 else None)
        except Passing as failure:
            error = failure.error
            if settings.retry_timeout <= 0:
                raise error.extended(' Retries are off (%s is 0).', settings.where('retry_timeout')) from None
            delay = backoff(attempt)
            if failure.retry_after is not None:
                # Whatever the header says ("0", a date in the past), no tight loop: D5.
                delay = max(delay, failure.retry_after, MIN_RETRY_AFTER)
            if now() + delay > deadline:
                if failure.retry_after is not None and attempt == 1 and failure.retry_after >= delay:
                    error = error.extended(' OneLogin asked to wait %d s before trying again (Retry-After), longer '
                                           'than retry_timeout (%d s) allows.', failure.retry_after,
                                           settings.retry_timeout)
                elif attempt == 1:
                    error = error.extended(' Gave up after 1 try in %.1f s: retry_timeout is %d s.',
                                           now() - started, settings.retry_timeout)
                else:
                    error = error.extended(' Gave up after %d tries in %.1f s: retry_timeout is %d s.',
                                           attempt, now() - started, settings.retry_timeout)
                raise error.extended(' Raise it with %s if OneLogin needs longer to recover.',
                                     settings.where('retry_timeout')) from None
            sleep(delay)


def backoff(attempt):
    """Exponential backoff with jitter: about 0.5, 1, 2, 4, 8, 8... seconds, each drawn from its upper half."""
    ceiling = min(MAX_DELAY, FIRST_DELAY * 2 ** min(attempt - 1, 32))
    return random.uniform(ceiling / 2, ceiling)


def retry_after(response):
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), or None; at most MAX_RETRY_AFTER."""
    value = (response.headers.get('Retry-After') or '').strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return float(MAX_RETRY_AFTER) if len(value) > 9 else float(min(int(value), MAX_RETRY_AFTER))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    seconds = (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    return min(max(0.0, seconds), float(MAX_RETRY_AFTER))


def failure_code(http_status, body):
    """None for a success, else the status to explain: an error envelope inside an HTTP 200 counts.

    OneLogin's v2 endpoint has answered errors with HTTP 200 and ``status.error: true``; the code in
    the envelope says what went wrong. 0 means "an error, with no usable code" (also a code that is
    no HTTP status at all).
    """
    if isinstance(body, dict):
        status = body.get('status')
        if isinstance(status, dict) and status.get('error') in (True, 'true'):
            try:
                code = int(status.get('code') or 0)
            except (TypeError, ValueError, OverflowError):
                code = 0
            return code if 400 <= code <= 599 else (http_status if http_status >= 400 else 0)
        status_code = body.get('statusCode')
        if http_status < 300 and isinstance(status_code, int) and not isinstance(status_code, bool) \
                and 400 <= status_code <= 599:
            return status_code
    return http_status if http_status >= 400 else None


def _error_text(body):
    """Pull OneLogin's own words out of any of its error shapes."""
    if not isinstance(body, dict):
        return None
    status = body.get('status')
    if isinstance(status, dict):
        return status.get('message') or status.get('type')
    for key in ('message', 'error_description', 'description', 'error', 'name'):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _refusal(code, http_status, detail, url, settings, what, secrets, advice_401=None):
    """The error for a failed call: what happened, then what to check. ``what``, ``advice_401``: fixed text."""
    where = settings.where
    error = OneLoginError('OneLogin refused the ').extended(what).extended(' (HTTP %d from %s', code or http_status,
                                                                           url)
    if code and code != http_status:
        error = error.extended(', in the body of an HTTP %d answer', http_status)
    error = error.extended(').')
    if detail:
        error = error.extended(' OneLogin said: "%s".', clip(str(detail), 300, secrets))
    if code == 401 and advice_401:
        return error.extended(advice_401)
    if code == 400:
        return error.extended(' The request was refused as malformed. Check that %s points at OneLogin and that '
                              'token_api (%s) matches the endpoint the tenant offers.', url, where('token_api'))
    if code == 401:
        return error.extended(' The credentials were rejected. Check client_id and client_secret (%s; %s) and that '
                              'they belong to the tenant at %s.', where('client_id'), where('client_secret'),
                              settings.base_url)
    if code == 403:
        return error.extended(' The credentials may not do this here. Check the scope of the API credential in the '
                              'OneLogin admin portal.')
    if code == 404:
        return error.extended(' There is no such endpoint at %s. Check the host (%s; %s; %s) and token_api (%s).',
                              url, where('api_url'), where('subdomain'), where('region'), where('token_api'))
    if code == 429:
        return error.extended(' OneLogin is rate limiting these credentials. Wait and run again; avoid making token '
                              'exchanges per host.')
    if code == 500:
        return error.extended(' OneLogin had an internal error. It also answers 500 when the user who created the API '
                              'credential has been deleted; if it persists, create a new credential.')
    if code >= 500:
        return error.extended(' OneLogin is unavailable or overloaded. Try again later.')
    return error.extended(' Check the host (%s) and the credentials.', where('api_url'))


def what_came(error, response, body, secrets, wanted):
    """``error`` extended with what the answer held instead of ``wanted`` (fixed text)."""
    if body is not None:
        return error.extended('JSON without ').extended(wanted)
    content_type = response.headers.get('Content-Type')
    if not content_type:
        return error.extended('a body that is not JSON (no content type)')
    return error.extended('a body that is not JSON (%s)', clip(content_type, 100, secrets))
