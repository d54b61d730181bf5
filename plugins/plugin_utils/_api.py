# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""Calls to OneLogin's resource API with the run's token: the engine of ``sso.onelogin.onelogin_api``.

One :func:`call` sends a checked request (:mod:`_api_request`) and, for a GET, follows the pages
to the end (:mod:`_api_answers`), all or nothing:

- **The token** comes from the one token source before every request, so a token with less than
  ``min_ttl`` left is replaced between two pages as the lookup would. A token OneLogin rejects (401)
  is first checked with ``GET /auth/rate_limit``: an endpoint may refuse a request about itself (a
  failed MFA verification) while the token is fine, and then nothing is minted. A token that is really
  bad is replaced once for the whole run (``obtain(rejected=...)``: under the cache lock, and only if it
  is still the cached one), and the request is sent again with the new one. A second 401 fails.
- **Retries** within ``retry_timeout``: 429 for every method, waiting for ``Retry-After``, else
  ``X-RateLimit-Reset``, else a backoff, never less than a second; 500, 502, 503, 504 and lost
  connections for GET, PUT and DELETE only. A POST or PATCH is sent again only when no connection could be made: one
  whose answer was lost may have been carried out.
- **The rate limit is shared**: the last ``X-RateLimit-Remaining``/``Reset`` seen goes into the cache
  entry of the credentials, and every request takes one call from it before it is sent. A worker that
  finds no call left waits for the reset instead of spending requests on 429s (or fails at once,
  naming the reset time, when that is later than ``retry_timeout`` allows). With ``cache=none``
  nothing is shared.
"""

from __future__ import annotations

# OneLoginError(fixed_text, *values) formats the values itself, after scrubbing them (see _errors):
# pylint: disable=raising-format-tuple

import time
from urllib.parse import urlencode

from ansible_collections.sso.onelogin.plugins.plugin_utils import _api_budget, _token_source
from ansible_collections.sso.onelogin.plugins.plugin_utils._api_answers import (
    BadCursor, error_of, rate_limit, read_page, refusal)
from ansible_collections.sso.onelogin.plugins.plugin_utils._calls import (
    MIN_RETRY_AFTER, RETRY_STATUSES, failure_code, backoff, retry_after)
from ansible_collections.sso.onelogin.plugins.plugin_utils._client import RATE_LIMIT_PATH, USER_AGENT
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError
from ansible_collections.sso.onelogin.plugins.plugin_utils._transport import Passing, clip, require_requests, send

# Methods that may be sent again after a lost answer or a server error: repeating them changes nothing more.
IDEMPOTENT = ('GET', 'PUT', 'DELETE')
_HEADERS = {'Accept': 'application/json', 'User-Agent': USER_AGENT}
WHAT = 'API request'


class ApiFailure(OneLoginError):
    """A failed API call: the message, with ``status`` (-1 without an answer), OneLogin's ``error``, the ``url``
    and ``counters`` (``requests``, ``retries``, ``token_renewed``) of the call."""

    status = -1
    error = None
    url = None
    counters = None


def _failure(error, status=-1, fields=None, url=None):
    failure = ApiFailure(error.fixed_text, *error.values).hide(error.secrets)
    failure.status, failure.error, failure.url = status, fields, url
    return failure


def call(settings, request, check_mode=False, now=None, sleep=None):
    """Send ``request`` (an :class:`_api_request.Request`); return the task's result, or raise ApiFailure.

    Check mode: a GET is sent; a write is not, and reports ``changed``.
    """
    caller = _Caller(settings, request, check_mode, _token_source.CLOCK if now is None else now,
                     _token_source.SLEEP if sleep is None else sleep)
    base = {'requests': 0, 'retries': 0, 'token_renewed': False, 'url': caller.url(request.query)}
    if check_mode and request.method != 'GET':
        return dict(base, changed=True, msg='Check mode: the %s request was not sent.' % request.method)
    require_requests()
    try:
        if caller.token() is None:
            return dict(base, changed=False, msg='Check mode: no v1 token is cached and none is minted in check mode '
                                                 '(a new v1 token invalidates the ones other clients hold), so the '
                                                 'request was not sent.')
        value, pagination, status = caller.walk()
    except OneLoginError as exc:
        failure = exc if isinstance(exc, ApiFailure) else _failure(exc, url=caller.last_url)
        failure.counters = {'requests': caller.requests, 'retries': caller.retries, 'token_renewed': caller.renewed}
        raise failure.hide(caller.secrets()) from None
    response = caller.response
    return {
        'changed': request.method != 'GET', 'status': status, 'url': caller.last_url,
        'headers': {name.lower(): value for name, value in response.headers.items()},
        'json': value, 'pagination': pagination, 'rate_limit': caller.rate, 'requests': caller.requests,
        'retries': caller.retries, 'token_renewed': caller.renewed,
    }


class _Caller:
    """The state of one call: the tokens used (all scrubbed from messages), counters, the last answer."""

    def __init__(self, settings, request, check_mode, now, sleep):
        self.settings, self.request, self.now, self.sleep = settings, request, now, sleep
        self.check_mode = check_mode
        self.requests = self.retries = 0
        self.renewed = False
        self.tokens = []
        self.response = None
        self.rate = {}
        self.last_url = self.url(request.query)

    def secrets(self):
        return tuple(self.settings.secrets) + tuple(self.tokens)

    def url(self, query):
        url = self.settings.base_url + self.request.path
        return url + '?' + urlencode(query, doseq=True) if query else url

    def token(self):
        """The run's token; None only in check mode with v1 when none is cached (none is minted then)."""
        record = _token_source.obtain(self.settings, check_mode=self.check_mode, now=self.now, sleep=self.sleep).record
        if record is None:
            return None
        if record['access_token'] not in self.tokens:
            self.tokens.append(record['access_token'])
        return record['access_token']

    # -- pages ---------------------------------------------------------------------------------------------------------

    def walk(self):
        """``(json, pagination, status)``: one answer, or every item of every page of a GET list."""
        request = self.request
        query = dict(request.query)
        if request.page_size is not None:
            query['limit'] = request.page_size  # on the first request only: the cursor carries it on
        data, status = self.send(query)
        if request.method != 'GET' or not request.paginate:
            return data, {'pages': 1}, status
        items, pages, seen, total = [], 1, set(), None
        while True:
            try:
                page = read_page(self.response.headers, data, query)
            except BadCursor:
                raise self._no_list('OneLogin sent a pagination cursor that cannot be sent back (empty, too long or '
                                    'not printable ASCII) with page %d', pages) from None
            if page is None:
                if pages == 1:
                    return data, {'pages': 1}, status  # not a list: the answer as it is
                raise self._no_list('Page %d was not a list like the pages before it', pages)
            items.extend(page.items)
            total = page.total_count if page.total_count is not None else total
            if page.next_query is None:
                break
            if page.cursor in seen:
                raise self._no_list('OneLogin sent the same cursor twice (after page %d): following it would loop',
                                    pages)
            if pages >= request.max_pages:
                raise self._no_list('The list has more than max_pages (%d) pages', request.max_pages).extended(
                    ' Raise max_pages, or narrow the list with query filters.')
            seen.add(page.cursor)
            query = page.next_query
            data, status = self.send(query)
            pages += 1
        pagination = {'pages': pages}
        if total is not None:
            pagination['total_count'] = total
        return items, pagination, status

    def _no_list(self, fixed_text, *values):
        error = OneLoginError(fixed_text, *values).extended(' (GET %s); no partial list is returned.', self.last_url)
        return _failure(error, self.response.status_code, None, self.last_url)

    # -- one request ---------------------------------------------------------------------------------------------------

    def send(self, query):
        """Send the request with ``query`` until it succeeds or may not be tried again; ``(body, status)``."""
        settings, request = self.settings, self.request
        url = settings.base_url + request.path
        self.last_url = self.url(query)
        started = self.now()
        deadline = started + settings.retry_timeout
        attempt = 0
        while True:
            self._wait_for_budget(deadline)
            token = self.token()
            if token is None:  # check mode, v1: the cached token ran down to min_ttl mid-walk and none is minted
                raise _failure(OneLoginError(
                    'Check mode: the v1 token ran down to min_ttl during the list and no new one is minted in check '
                    'mode (it would invalidate the tokens other clients hold); %s was not sent, no partial list is '
                    'returned.', self.last_url), url=self.last_url)
            scheme = 'bearer:' if request.path.startswith('/api/1/') else 'Bearer '  # the forms OneLogin documents
            kwargs = {'params': query, 'headers': dict(_HEADERS, Authorization=scheme + token)}
            if request.body is not None:
                kwargs['json'] = request.body
            attempt += 1
            self.requests += 1
            try:
                response, data = send(settings, request.method, url, WHAT, self.secrets(), kwargs)
            except Passing as failure:
                error = _failure(failure.error, url=self.last_url)
                if failure.sent and request.method not in IDEMPOTENT:
                    raise _failure(failure.error.extended(
                        ' The %s was not sent again: it may have been carried out although its answer was lost. '
                        'Check in OneLogin before running the task again.', request.method), url=self.last_url) from None
                self._again(error, backoff(attempt), deadline, started, attempt)
                continue
            self.response = response
            code = failure_code(response.status_code, data)
            status = response.status_code if code is None else (code or response.status_code)
            self._note_rate(response)
            if status in request.status_code:
                return data, status
            if status == 401 and not self.renewed:
                self._renew(token, data)
                continue
            error = self._refusal(status, response, data)
            if status == 429:
                wait = retry_after(response)
                if wait is None:
                    wait = self.rate.get('reset')  # seconds until the account's budget is refilled
                wait = max(backoff(attempt) if wait is None else wait, MIN_RETRY_AFTER)
                self._share_spent(wait)
                self._again(error, wait, deadline, started, attempt, reset=True)
                continue
            if status in RETRY_STATUSES and request.method in IDEMPOTENT:
                self._again(error, backoff(attempt), deadline, started, attempt)
                continue
            raise error

    def _again(self, error, delay, deadline, started, attempt, reset=False):
        """Wait ``delay`` before the next try, or raise ``error`` when retries are off or the deadline is too near."""
        where = self.settings.where
        if self.settings.retry_timeout <= 0:
            raise _failure(error.extended(' Retries are off (%s is 0).', where('retry_timeout')), error.status,
                           error.error, error.url)
        if self.now() + delay > deadline:
            if reset:
                told = error.extended(' It asked to wait %d s (until %s UTC), longer than retry_timeout (%d s) '
                                      'allows.', delay, _clock_time(self.now() + delay), self.settings.retry_timeout)
            else:
                told = error.extended(' Gave up after %d tries in %.1f s: retry_timeout is %d s.', attempt,
                                      self.now() - started, self.settings.retry_timeout)
            raise _failure(told.extended(' Raise it with %s if OneLogin needs longer.', where('retry_timeout')),
                           error.status, error.error, error.url)
        self.retries += 1
        self.sleep(delay)

    def _refusal(self, status, response, data):
        fields = error_of(data, lambda text, limit: clip(text, limit, self.secrets()))
        error = refusal(status, response.status_code, self.request.method, self.last_url, fields,
                        self.request.method in IDEMPOTENT, self.settings.where)
        return _failure(error, status, fields, self.last_url)

    # -- a rejected token ----------------------------------------------------------------------------------------------

    def _renew(self, token, data):
        """After a 401: replace the token if OneLogin confirms it is bad; fail without minting if it is fine."""
        self.renewed = True
        if not self._token_is_rejected(token):
            fields = error_of(data, lambda text, limit: clip(text, limit, self.secrets()))
            raise _failure(OneLoginError(
                'OneLogin answered HTTP 401 to %s %s although the token is valid (GET %s accepted it): the endpoint '
                'refused this request itself, for example a failed MFA verification, or the API credential may not '
                'call it. No new token was minted.', self.request.method, self.last_url, RATE_LIMIT_PATH),
                401, fields, self.last_url)
        outcome = _token_source.obtain(self.settings, rejected=token, check_mode=self.check_mode, now=self.now,
                                       sleep=self.sleep)
        if outcome.record is None:
            raise _failure(OneLoginError(
                'Check mode: OneLogin rejected the v1 token (HTTP 401 to %s %s, confirmed by %s), and no new one is '
                'minted in check mode: it would invalidate the tokens other clients hold.', self.request.method,
                self.last_url, RATE_LIMIT_PATH), 401, None, self.last_url)

    def _token_is_rejected(self, token):
        url = self.settings.base_url + RATE_LIMIT_PATH
        self.requests += 1
        try:
            response, data = send(self.settings, 'GET', url, 'token check', self.secrets(),
                                  {'headers': dict(_HEADERS, Authorization='bearer:' + token)})
        except Passing as failure:
            raise _failure(failure.error.extended(' OneLogin had answered HTTP 401 and the token could not be checked, '
                                                  'so no new token was minted.'), url=self.last_url) from None
        code = failure_code(response.status_code, data)
        if code is None:
            return False
        if code == 401 or response.status_code == 401:
            return True
        raise _failure(OneLoginError('OneLogin answered HTTP 401 to %s %s, and HTTP %d to the check of the token at %s, '
                                     'so no new token was minted. Try again later.', self.request.method,
                                     self.last_url, code or response.status_code, url), 401, None, self.last_url)

    # -- the rate limit, shared through the cache entry (_api_budget) -------------------------------------------------

    def _wait_for_budget(self, deadline):
        """Take a call from the budget the run's workers share; wait for the reset when none is left."""
        while True:
            wait = _api_budget.take(self.settings, self.now())
            if wait <= 0:
                return
            if self.now() + wait > deadline:
                raise _failure(OneLoginError(
                    'The rate limit of the OneLogin account is spent until %s UTC (as requests of this run found), '
                    'later than retry_timeout (%d s) allows; %s %s was not sent. Raise retry_timeout (%s) or run '
                    'later.', _clock_time(self.now() + wait), self.settings.retry_timeout, self.request.method,
                    self.last_url, self.settings.where('retry_timeout')), 429, None, self.last_url)
            self.sleep(wait)

    def _note_rate(self, response):
        self.rate = rate_limit(response.headers)
        if 'remaining' in self.rate and 'reset' in self.rate:
            _api_budget.share(self.settings, self.rate.get('limit'), self.rate['remaining'], self.rate['reset'],
                              self.now())

    def _share_spent(self, wait):
        if not ('remaining' in self.rate and 'reset' in self.rate):  # a 429 without the headers: what it asked
            _api_budget.share(self.settings, self.rate.get('limit'), 0, wait, self.now())


def _clock_time(epoch):
    return time.strftime('%H:%M:%S', time.gmtime(epoch))
