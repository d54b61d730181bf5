# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""The one place that talks HTTP to OneLogin: token exchange, revoke and rate limit, with bounded retries.

Imported only when a token has to be minted, so that the cached path of the lookup never
pays for importing ``requests``.

Every number and text taken from a server is bounded: a lifetime, a ``Retry-After``, a body's
size, the time a whole request may take. Every message is a fixed text of this module with the
outside words (a server's, an exception's, a URL) as values, scrubbed of every form in which a
secret went over the wire: the client secret, the HTTP Basic value, the access tokens.
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import json
import random
import re
import socket
import threading
import time

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised through a stub in the unit tests
    requests = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError, basic_credentials, scrub
from ansible_collections.sso.onelogin.plugins.plugin_utils._timeutil import iso8601, parse_timestamp

TOKEN_PATHS = {'v2': '/auth/oauth2/v2/token', 'v1': '/auth/oauth2/token'}
REVOKE_PATH = '/auth/oauth2/revoke'
RATE_LIMIT_PATH = '/auth/rate_limit'
USER_AGENT = 'sso.onelogin-ansible-collection'
_HEADERS = {'Content-Type': 'application/json', 'Accept': 'application/json', 'User-Agent': USER_AGENT}
# Fixed text: what a 401 to the rate limit call means (the credentials are not in that request).
_ADVICE_401_RATE_LIMIT = (
    ' The run\'s token was refused: it expired, was revoked, or (with token_api v1) was invalidated by a newer token '
    'minted elsewhere for these credentials. Obtain a new one with sso.onelogin.onelogin_token and force: true, then '
    'ask again.')

# Passing failures and the waits between tries.
RETRY_STATUSES = frozenset((429, 500, 502, 503, 504))
FIRST_DELAY = 0.5
MAX_DELAY = 8.0
# Never wait less than this after a 429, whatever its Retry-After says ("0", a date in the past).
MIN_RETRY_AFTER = 1.0
# A longer Retry-After is taken as this (it fails at once anyway: no retry_timeout is that long).
MAX_RETRY_AFTER = 10 ** 7

# Bounds on what a server hands back.
DOCUMENTED_LIFETIME = 36000
MAX_LIFETIME = 10 * DOCUMENTED_LIFETIME  # an expires_in above this is refused
MAX_BODY = 4 * 1024 * 1024  # bytes of an answer, after decompression
MAX_TOKEN = 8192  # characters of an access token
_TOKEN = re.compile(r'[\x21-\x7e]+')  # printable ASCII, no spaces: safe in a header and a message
_DIGITS = re.compile(r'[0-9]{1,15}')  # ASCII digits only (str.isdigit takes '²')


def _require_requests():
    if not HAS_REQUESTS:
        raise OneLoginError(
            'The Python library "requests" is needed on the Ansible controller to obtain a OneLogin token, and the '
            'Python running ansible-core cannot import it (%s). Install it into that environment, for example with '
            '"python -m pip install requests" using the same Python as ansible-core (ansible --version shows '
            'which one), or add "requests" to your execution environment.', REQUESTS_IMPORT_ERROR)


# -- the three calls ---------------------------------------------------------------------------------------------------

def exchange(settings, now=time.time, sleep=time.sleep):
    """Exchange the client credentials for a token; return the token record (a dict).

    The record: ``access_token``, ``token_type``, ``created_at`` (ISO 8601 as OneLogin gave it, or
    the local time of the request), ``expires_at`` (epoch seconds), ``account_id``, ``api_url``,
    ``token_api``, ``client_id``. Passing failures are retried within ``retry_timeout``. Every
    message of a failure is scrubbed of the secrets, whatever the server put in its answer.
    """
    _require_requests()
    headers = _client_auth(settings)
    path = TOKEN_PATHS[settings.token_api]
    hidden = _secrets(settings)
    with _scrubbed(hidden):
        requested_at, response, body = _call(settings, 'POST', path, 'token request', now, sleep, hidden,
                                             headers=headers, json={'grant_type': 'client_credentials'})
        payload = _token_payload(body)
        if payload is None:
            error = OneLoginError('The token endpoint %s answered HTTP %d with ', settings.base_url + path,
                                  response.status_code)
            error = _what_came(error, response, body, hidden, 'an access_token')
            raise error.extended('. Check that the host (%s) is OneLogin\'s API and that token_api (%s) is right.',
                                 settings.where('api_url'), settings.where('token_api'))
        return make_record(payload, settings, requested_at)


def revoke(settings, access_token, now=time.time, sleep=time.sleep):
    """Revoke ``access_token`` (``POST /auth/oauth2/revoke``, as the credentials that minted it)."""
    _require_requests()
    hidden = _secrets(settings, access_token)
    with _scrubbed(hidden):
        _check_token(access_token, settings, 'revoke')
        headers = dict(_HEADERS, Authorization=_custom_auth(settings))  # the form OneLogin documents for revoke
        _call(settings, 'POST', REVOKE_PATH, 'revoke request', now, sleep, hidden, headers=headers,
              json={'access_token': access_token})


def rate_limit(settings, access_token, now=time.time, sleep=time.sleep):
    """``{limit, remaining, reset}`` from ``GET /auth/rate_limit``, asked with ``access_token``."""
    _require_requests()
    hidden = _secrets(settings, access_token)
    with _scrubbed(hidden):
        _check_token(access_token, settings, 'rate limit')
        headers = dict(_HEADERS, Authorization='bearer:%s' % access_token)  # the documented form
        _requested_at, response, body = _call(settings, 'GET', RATE_LIMIT_PATH, 'rate limit request', now, sleep,
                                              hidden, headers=headers, advice_401=_ADVICE_401_RATE_LIMIT)
        data = body.get('data') if isinstance(body, dict) else None
        values = {}
        for name, key in (('limit', 'X-RateLimit-Limit'), ('remaining', 'X-RateLimit-Remaining'),
                          ('reset', 'X-RateLimit-Reset')):
            value = data.get(key) if isinstance(data, dict) else None
            if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
                value = int(value)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2 ** 31:
                error = OneLoginError('The rate limit endpoint %s answered HTTP %d with ',
                                      settings.base_url + RATE_LIMIT_PATH, response.status_code)
                if data is None:
                    error = _what_came(error, response, body, hidden, 'data')
                else:
                    error = error.extended('data without a valid ').extended(key)
                raise error.extended('. Check that the host (%s) is OneLogin\'s API.', settings.where('api_url'))
            values[name] = value
        return values


def make_record(payload, settings, requested_at):
    """The token record of a token answer's ``payload`` (see :func:`exchange`); OneLoginError if it is unusable."""
    token = payload.get('access_token')
    if not isinstance(token, str) or not token:
        raise OneLoginError('OneLogin answered without an access token. Check the host (%s).',
                            settings.where('api_url'))
    if len(token) > MAX_TOKEN or not _TOKEN.fullmatch(token):
        raise OneLoginError(
            'OneLogin answered with a malformed access token (not shown): it is longer than %d characters or holds '
            'characters other than printable ASCII without spaces, such as a line break. Check the host (%s).',
            MAX_TOKEN, settings.where('api_url'))
    lifetime = payload.get('expires_in')
    if isinstance(lifetime, str) and _DIGITS.fullmatch(lifetime.strip()):
        lifetime = int(lifetime)
    if not isinstance(lifetime, int) or isinstance(lifetime, bool) or lifetime <= 0:
        raise OneLoginError('OneLogin answered without a valid expires_in (a positive number of seconds). Check the '
                            'host (%s).', settings.where('api_url'))
    if lifetime > MAX_LIFETIME:
        raise OneLoginError(
            'OneLogin answered with an expires_in of %d seconds, more than the %d (ten times the documented token '
            'lifetime of %d s) this collection accepts; the token was not used. Check the host (%s).',
            min(lifetime, 10 ** 30), MAX_LIFETIME, DOCUMENTED_LIFETIME, settings.where('api_url'))
    created = parse_timestamp(payload.get('created_at'))
    if created is not None and abs(created - requested_at) > MAX_LIFETIME:
        created = None  # absurdly far from the request (a year 1 or 9999): as if absent
    # Expiry counts from when OneLogin created the token (v2 may hand back an older one), but never
    # later than a full lifetime after this request: a controller clock behind the server's must
    # not make a token look longer-lived than it is.
    expires_at = requested_at + lifetime
    if created is not None:
        expires_at = min(created + lifetime, expires_at)
    account_id = payload.get('account_id')
    token_type = payload.get('token_type')
    if not (isinstance(token_type, str) and len(token_type) <= 64 and _TOKEN.fullmatch(token_type)):
        token_type = 'bearer'
    return {
        'access_token': token,
        'token_type': token_type,
        'created_at': iso8601(created if created is not None else requested_at),
        'expires_at': float(expires_at),
        'account_id': account_id if isinstance(account_id, int) and not isinstance(account_id, bool) else None,
        'api_url': settings.base_url,
        'token_api': settings.token_api,
        'client_id': settings.client_id,
    }


# -- credentials and secrets -------------------------------------------------------------------------------------------

def _custom_auth(settings):
    return 'client_id:%s, client_secret:%s' % (settings.client_id, settings.client_secret)


def _client_auth(settings):
    """Headers of a token request: v2 HTTP Basic, as the official SDKs send it; v1 OneLogin's own header.

    The Basic value is built here, as ``_errors.basic_credentials`` (UTF-8), not by ``requests``
    (latin-1): what is sent is exactly what is scrubbed, and what the emulator decodes.
    """
    if settings.token_api == 'v1':
        return dict(_HEADERS, Authorization=_custom_auth(settings))
    return dict(_HEADERS, Authorization='Basic ' + basic_credentials(settings.client_id, settings.client_secret))


def _secrets(settings, *tokens):
    """Every secret a request may carry: the settings' secrets, the HTTP Basic value of the credentials, tokens.

    A header holding a secret as is (``client_id:…, client_secret:…``, ``bearer:…``) is covered
    by the secret itself; ``scrub`` also replaces the URL-encoded and escaped forms.
    """
    return tuple(settings.secrets) + (basic_credentials(settings.client_id, settings.client_secret),) + tokens


def _check_token(token, settings, what):
    """Refuse a token that cannot go into a header as is; the message shows none of it."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN or not _TOKEN.fullmatch(token):
        raise OneLoginError('The access token for the ').extended(what).extended(
            ' request is malformed (not shown): it is empty, longer than %d characters or holds characters other '
            'than printable ASCII without spaces, such as a line break; nothing was sent. Obtain a new token with '
            'sso.onelogin.onelogin_token and force: true (host: %s).', MAX_TOKEN, settings.where('api_url'))


@contextlib.contextmanager
def _scrubbed(secrets):
    try:
        yield
    except OneLoginError as exc:
        raise exc.hide(secrets) from None


def _clip(text, limit, secrets):
    """``text`` from outside, scrubbed, then cut to ``limit`` characters (cut first, a secret across the cut showed
    in part)."""
    return scrub(text, secrets)[:limit]


# -- one call, with retries --------------------------------------------------------------------------------------------

class _Passing(Exception):
    """A failure worth another try; ``error`` (a OneLoginError) is the message if it is the last one."""

    def __init__(self, error, retry_after=None):
        super().__init__(error)
        self.error = error
        self.retry_after = retry_after


def _call(settings, method, path, what, now, sleep, secrets, advice_401=None, **kwargs):
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
            response, body = _send(settings, method, url, what, secrets, kwargs)
            code = _failure_code(response.status_code, body)
            if code is None:
                return requested_at, response, body
            error = _refusal(code, response.status_code, _error_text(body), url, settings, what, secrets,
                             advice_401)
            if code not in RETRY_STATUSES:
                raise error
            raise _Passing(error, _retry_after(response) if code == 429 else None)
        except _Passing as failure:
            error = failure.error
            if settings.retry_timeout <= 0:
                raise error.extended(' Retries are off (%s is 0).', settings.where('retry_timeout')) from None
            delay = _backoff(attempt)
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


def _backoff(attempt):
    """Exponential backoff with jitter: about 0.5, 1, 2, 4, 8, 8... seconds, each drawn from its upper half."""
    ceiling = min(MAX_DELAY, FIRST_DELAY * 2 ** min(attempt - 1, 32))
    return random.uniform(ceiling / 2, ceiling)


def _retry_after(response):
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


# -- what a failure means ----------------------------------------------------------------------------------------------

def _failure_code(http_status, body):
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
        error = error.extended(' OneLogin said: "%s".', _clip(str(detail), 300, secrets))
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


def _token_payload(body):
    """The token object of a v2 (flat) or v1 (``data[0]``) answer, or None."""
    if not isinstance(body, dict):
        return None
    if 'access_token' in body:
        return body
    data = body.get('data')
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return data[0]
    if isinstance(data, dict) and 'access_token' in data:
        return data
    return None


def _what_came(error, response, body, secrets, wanted):
    """``error`` extended with what the answer held instead of ``wanted`` (fixed text)."""
    if body is not None:
        return error.extended('JSON without ').extended(wanted)
    content_type = response.headers.get('Content-Type')
    if not content_type:
        return error.extended('a body that is not JSON (no content type)')
    return error.extended('a body that is not JSON (%s)', _clip(content_type, 100, secrets))


def _reason(exc):
    # requests wraps urllib3 errors several levels deep; the innermost says the most.
    inner = exc
    while getattr(inner, 'args', None) and isinstance(inner.args[0], Exception):
        inner = inner.args[0]
    reason = getattr(inner, 'reason', None) or inner
    return str(reason)


# -- one HTTP request, bounded in time and size ------------------------------------------------------------------------

def _send(settings, method, url, what, secrets, kwargs):
    """One HTTP request; ``(response, body or None)``. Raises _Passing or OneLoginError.

    The whole request (connecting, sending, the answer's headers and its whole body) must
    complete within ``settings.timeout`` seconds: a watchdog shuts the connection down at that
    deadline, so a server that trickles its answer a byte at a time cannot hold the run (and the
    cache lock) for longer. Each connect and read is also bounded by the same timeout.
    """
    watchdog = _Watchdog(settings.timeout)
    session = requests.Session()
    adapter = _WatchedAdapter(watchdog)
    session.mount('http://', adapter)
    session.mount('https://', adapter)
    try:
        watchdog.start()
        try:
            response = session.request(method, url, timeout=(settings.timeout, settings.timeout),
                                       verify=settings.validate_certs, allow_redirects=False, stream=True,
                                       auth=_as_given, **kwargs)
            try:
                if 300 <= response.status_code < 400:
                    raise OneLoginError('OneLogin answered the ').extended(what).extended(
                        ' to %s with a redirect (HTTP %d to %s); credentials are not sent on. Set the final host with '
                        '%s.', url, response.status_code, _clip(response.headers.get('Location', '?'), 200, secrets),
                        settings.where('api_url'))
                content = _read_bounded(response, settings, url, what)
            finally:
                response.close()
        except OSError as exc:  # requests' exceptions are OSErrors too
            raise _transport_failure(exc, watchdog, settings, url, what, secrets) from None
        if watchdog.expired:
            raise _timed_out(settings, url, what)  # the answer came, but cut short at the deadline
    finally:
        watchdog.cancel()
        session.close()
    return response, _json_or_none(content)


def _as_given(request):
    """``requests`` auth that keeps the request's own Authorization header: never one from ~/.netrc."""
    return request


def _read_bounded(response, settings, url, what):
    """The body, read to its end; OneLoginError beyond MAX_BODY bytes (decompressed)."""
    chunks, size = [], 0
    for chunk in response.iter_content(65536):
        size += len(chunk)
        if size > MAX_BODY:
            raise OneLoginError('OneLogin answered the ').extended(what).extended(
                ' to %s with a body larger than %d bytes; it was not read further. Check the host (%s).', url,
                MAX_BODY, settings.where('api_url'))
        chunks.append(chunk)
    return b''.join(chunks)


def _json_or_none(content):
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None


def _timed_out(settings, url, what):
    return _Passing(OneLoginError('OneLogin did not answer the ').extended(what).extended(
        ' to %s within %d s. The whole request, from connecting to the last byte of the answer, must complete '
        'within the timeout. Check the network and the host (%s), or raise %s.', url, settings.timeout,
        settings.where('api_url'), settings.where('timeout')))


def _transport_failure(exc, watchdog, settings, url, what, secrets):
    """The _Passing or OneLoginError for an exception of ``requests`` (or of the socket under it)."""
    reason = _reason(exc)
    if watchdog.expired or isinstance(exc, requests.exceptions.Timeout) or 'timed out' in reason.lower():
        return _timed_out(settings, url, what)  # also a stalled body, and anything the watchdog cut short
    passing = (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)
    if not isinstance(exc, requests.exceptions.RequestException):
        passing = OSError  # the socket under requests, unwrapped
    if isinstance(exc, requests.exceptions.SSLError):
        return OneLoginError(
            'The TLS connection to %s failed: the certificate could not be verified, or the host does not speak TLS '
            'on that port (%s). Check the host (%s). Only for a test host with a self-signed certificate, turn off %s.',
            settings.base_url, _clip(reason, 300, secrets), settings.where('api_url'), settings.where('validate_certs'))
    if isinstance(exc, passing):
        return _Passing(OneLoginError(
            'Could not reach OneLogin at %s (%s: %s). Check the host (%s) and the network from the controller.',
            url, type(exc).__name__, _clip(reason, 300, secrets), settings.where('api_url')))
    return OneLoginError('The ').extended(what).extended(' to %s failed (%s: %s). Check the host (%s).', url,
                                                         type(exc).__name__, _clip(reason, 300, secrets),
                                                         settings.where('api_url'))


class _Watchdog:
    """Shuts down the sockets of one request once ``seconds`` have passed since :meth:`start`.

    The sockets are those the request's connections open (:class:`_WatchedAdapter`). A socket
    opened after the deadline is shut down at once. Only the OS-level shutdown is used (not
    ``close``, not TLS's own), so that the thread reading it just sees the connection end.
    """

    def __init__(self, seconds):
        self.seconds = seconds
        self.expired = False
        self._sockets = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def start(self):
        self._timer.start()

    def cancel(self):
        self._timer.cancel()

    def watch(self, sock):
        with self._lock:
            self._sockets.append(sock)
            if not self.expired:
                return
        _shut(sock)

    def _expire(self):
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock):
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except (OSError, TypeError):
        pass  # already closed, or not a socket: nothing left to cut


if HAS_REQUESTS:
    class _WatchedHTTPConnection(HTTPConnection):
        watchdog = None

        def _new_conn(self):
            sock = super()._new_conn()
            if self.watchdog is not None:
                self.watchdog.watch(sock)
            return sock

    class _WatchedHTTPSConnection(HTTPSConnection):
        watchdog = None

        def _new_conn(self):
            sock = super()._new_conn()
            if self.watchdog is not None:
                self.watchdog.watch(sock)
            return sock

    class _WatchedAdapter(HTTPAdapter):
        """An adapter whose connections hand their sockets to a watchdog (proxies through HTTP CONNECT too)."""

        def __init__(self, watchdog):
            self._pool_classes = {'http': _pool_class(HTTPConnectionPool, _WatchedHTTPConnection, watchdog),
                                  'https': _pool_class(HTTPSConnectionPool, _WatchedHTTPSConnection, watchdog)}
            super().__init__(max_retries=0)

        def init_poolmanager(self, *args, **kwargs):
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = self._pool_classes

        def proxy_manager_for(self, *args, **kwargs):
            manager = super().proxy_manager_for(*args, **kwargs)
            if hasattr(manager, 'pool_classes_by_scheme') and 'socks' not in type(manager).__name__.lower():
                manager.pool_classes_by_scheme = self._pool_classes
            return manager

    def _pool_class(base, connection_class, watchdog):
        connection = type(connection_class.__name__, (connection_class,), {'watchdog': watchdog})
        return type(base.__name__, (base,), {'ConnectionCls': connection})
