# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""The one place that talks HTTP to OneLogin: token exchange, revoke and rate limit, with bounded retries.

Imported only when a token has to be minted, so that the cached path of the lookup never
pays for importing ``requests``.
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import random
import time

try:
    import requests
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised through a stub in the unit tests
    requests = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError
from ansible_collections.sso.onelogin.plugins.plugin_utils._timeutil import iso8601, parse_timestamp

TOKEN_PATHS = {'v2': '/auth/oauth2/v2/token', 'v1': '/auth/oauth2/token'}
REVOKE_PATH = '/auth/oauth2/revoke'
RATE_LIMIT_PATH = '/auth/rate_limit'
USER_AGENT = 'sso.onelogin-ansible-collection'


def _require_requests():
    if not HAS_REQUESTS:
        raise OneLoginError(
            'The Python library "requests" is needed on the Ansible controller to obtain a OneLogin token, and the '
            'Python running ansible-core cannot import it (%s). Install it into that environment, for example with '
            '"python -m pip install requests" using the same Python as ansible-core (ansible --version shows '
            'which one), or add "requests" to your execution environment.' % (REQUESTS_IMPORT_ERROR,))


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


def _failure_code(http_status, body):
    """None for a success, else the status to explain: an error envelope inside an HTTP 200 counts.

    OneLogin's v2 endpoint has answered errors with HTTP 200 and ``status.error: true``; the code in
    the envelope says what went wrong. 0 means "an error, with no usable code".
    """
    if isinstance(body, dict):
        status = body.get('status')
        if isinstance(status, dict) and status.get('error') in (True, 'true'):
            try:
                code = int(status.get('code') or 0)
            except (TypeError, ValueError):
                code = 0
            return code if code >= 400 else (http_status if http_status >= 400 else 0)
        status_code = body.get('statusCode')
        if http_status < 300 and isinstance(status_code, int) and not isinstance(status_code, bool) and status_code >= 400:
            return status_code
    return http_status if http_status >= 400 else None


def describe_failure(code, http_status, detail, url, settings, what='token request', advice_401=None):
    """A message for a failed call: what happened, then what to check."""
    said = ' OneLogin said: "%s".' % str(detail)[:300] if detail else ''
    where = settings.where
    if code == 400:
        advice = ('The request was refused as malformed. Check that %s points at OneLogin and that token_api '
                  '(%s) matches the endpoint the tenant offers.' % (url, where('token_api')))
    elif code == 401:
        advice = advice_401 or (
            'The credentials were rejected. Check client_id and client_secret (%s; %s) and that they belong to the '
            'tenant at %s.' % (where('client_id'), where('client_secret'), settings.base_url))
    elif code == 403:
        advice = ('The credentials may not do this here. Check the scope of the API credential in the OneLogin '
                  'admin portal.')
    elif code == 404:
        advice = ('There is no such endpoint at %s. Check the host (%s; %s; %s) and token_api (%s).'
                  % (url, where('api_url'), where('subdomain'), where('region'), where('token_api')))
    elif code == 429:
        advice = ('OneLogin is rate limiting these credentials. Wait and run again; avoid making token exchanges '
                  'per host.')
    elif code == 500:
        advice = ('OneLogin had an internal error. It also answers 500 when the user who created the API '
                  'credential has been deleted; if it persists, create a new credential.')
    elif code >= 500:
        advice = 'OneLogin is unavailable or overloaded. Try again later.'
    else:
        advice = 'Check the host (%s) and the credentials.' % where('api_url')
    shown = 'HTTP %d from %s' % (code or http_status, url)
    if code and code != http_status:
        shown += ', in the body of an HTTP %d answer' % http_status
    return 'OneLogin refused the %s (%s).%s %s' % (what, shown, said, advice)


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


def exchange(settings, now=time.time, sleep=time.sleep):
    """Exchange the client credentials for a token; return the token record (a dict).

    The record: ``access_token``, ``token_type``, ``created_at`` (ISO 8601 as OneLogin gave it, or
    the local time of the request), ``expires_at`` (epoch seconds), ``account_id``, ``api_url``,
    ``token_api``, ``client_id``. Passing failures are retried within ``retry_timeout``. Every
    message of a failure is scrubbed of the secret, whatever the server put in its answer.
    """
    _require_requests()
    headers, auth = _client_auth(settings)
    path = TOKEN_PATHS[settings.token_api]
    with _scrubbed(settings.secrets):
        requested_at, response, body = _call(settings, 'POST', path, 'token request', now, sleep, headers=headers,
                                             auth=auth, json={'grant_type': 'client_credentials'})
        payload = _token_payload(body)
        if payload is None:
            kind = _kind(response, body, 'an access_token')
            raise OneLoginError(
                'The token endpoint %s answered HTTP %d with %s. Check that the host (%s) is OneLogin\'s API and '
                'that token_api (%s) is right.' % (settings.base_url + path, response.status_code, kind,
                                                   settings.where('api_url'), settings.where('token_api')))
        return make_record(payload, settings, requested_at)


def revoke(settings, access_token, now=time.time, sleep=time.sleep):
    """Revoke ``access_token`` (``POST /auth/oauth2/revoke``, as the credentials that minted it)."""
    _require_requests()
    headers = dict(_HEADERS, Authorization=_custom_auth(settings))  # the form OneLogin documents for revoke
    with _scrubbed(settings.secrets + (access_token,)):
        _call(settings, 'POST', REVOKE_PATH, 'revoke request', now, sleep, headers=headers,
              json={'access_token': access_token})


def rate_limit(settings, access_token, now=time.time, sleep=time.sleep):
    """``{limit, remaining, reset}`` from ``GET /auth/rate_limit``, asked with ``access_token``."""
    _require_requests()
    headers = dict(_HEADERS, Authorization='bearer:%s' % access_token)  # the documented form
    advice_401 = (
        'The run\'s token was refused: it expired, was revoked, or (with token_api v1) was invalidated by a newer '
        'token minted elsewhere for these credentials. Obtain a new one with sso.onelogin.onelogin_token and '
        'force: true, then ask again.')
    with _scrubbed(settings.secrets + (access_token,)):
        _requested_at, response, body = _call(settings, 'GET', RATE_LIMIT_PATH, 'rate limit request', now, sleep,
                                              headers=headers, advice_401=advice_401)
        data = body.get('data') if isinstance(body, dict) else None
        values = {}
        for name, key in (('limit', 'X-RateLimit-Limit'), ('remaining', 'X-RateLimit-Remaining'),
                          ('reset', 'X-RateLimit-Reset')):
            value = data.get(key) if isinstance(data, dict) else None
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value)
            if not isinstance(value, int) or isinstance(value, bool):
                raise OneLoginError(
                    'The rate limit endpoint %s answered HTTP %d with %s. Check that the host (%s) is OneLogin\'s API.'
                    % (settings.base_url + RATE_LIMIT_PATH, response.status_code,
                       _kind(response, body, 'data') if data is None else 'data without %s' % key, settings.where('api_url')))
            values[name] = value
        return values


_HEADERS = {'Content-Type': 'application/json', 'Accept': 'application/json', 'User-Agent': USER_AGENT}


def _custom_auth(settings):
    return 'client_id:%s, client_secret:%s' % (settings.client_id, settings.client_secret)


def _client_auth(settings):
    """Headers and ``requests`` auth for a token request: v2 HTTP Basic, as the official SDKs send it."""
    if settings.token_api == 'v1':
        return dict(_HEADERS, Authorization=_custom_auth(settings)), None
    return dict(_HEADERS), (settings.client_id, settings.client_secret)


@contextlib.contextmanager
def _scrubbed(secrets):
    try:
        yield
    except OneLoginError as exc:
        raise exc.hide(secrets) from None


def _kind(response, body, wanted):
    if body is not None:
        return 'JSON without %s' % wanted
    return 'a body that is not JSON (%s)' % ((response.headers.get('Content-Type') or 'no content type')[:100])


class _Passing(Exception):
    """A failure worth another try; ``str()`` is the message for the user if it is the last one."""

    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after


def _call(settings, method, path, what, now, sleep, advice_401=None, **kwargs):
    """Send one request, retrying passing failures; return ``(requested_at, response, body)``.

    Connection errors, timeouts, HTTP 429/500/502/503/504 (also inside an HTTP 200 error envelope)
    are tried again after an exponential, jittered wait (or the ``Retry-After`` of a 429) until the
    next try could not start within ``retry_timeout`` seconds of the first. Anything else fails at once.
    """
    url = settings.base_url + path
    started = now()
    deadline = started + settings.retry_timeout
    attempt = 0
    while True:
        attempt += 1
        requested_at = now()
        try:
            response, body = _send(settings, method, url, what, kwargs)
            code = _failure_code(response.status_code, body)
            if code is None:
                return requested_at, response, body
            message = describe_failure(code, response.status_code, _error_text(body), url, settings, what=what,
                                       advice_401=advice_401)
            if code not in RETRY_STATUSES:
                raise OneLoginError(message)
            raise _Passing(message, _retry_after(response) if code == 429 else None)
        except _Passing as failure:
            delay = failure.retry_after
            if delay is None:
                delay = _backoff(attempt)
            if settings.retry_timeout <= 0:
                raise OneLoginError('%s Retries are off (%s is 0).' % (failure, settings.where('retry_timeout'))) \
                    from None
            if now() + delay > deadline:
                if failure.retry_after is not None and attempt == 1:
                    tail = ('OneLogin asked to wait %d s before trying again (Retry-After), longer than retry_timeout '
                            '(%d s) allows.' % (failure.retry_after, settings.retry_timeout))
                else:
                    tail = ('Gave up after %d %s in %.1f s: retry_timeout is %d s.'
                            % (attempt, 'try' if attempt == 1 else 'tries', now() - started, settings.retry_timeout))
                raise OneLoginError('%s %s Raise it with %s if OneLogin needs longer to recover.'
                                    % (failure, tail, settings.where('retry_timeout'))) from None
            sleep(delay)


RETRY_STATUSES = frozenset((429, 500, 502, 503, 504))
FIRST_DELAY = 0.5
MAX_DELAY = 8.0


def _backoff(attempt):
    """Exponential backoff with jitter: about 0.5, 1, 2, 4, 8, 8... seconds, each drawn from its upper half."""
    ceiling = min(MAX_DELAY, FIRST_DELAY * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)


def _retry_after(response):
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), or None."""
    value = (response.headers.get('Retry-After') or '').strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return max(0.0, (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds())


def _send(settings, method, url, what, kwargs):
    """One HTTP request; ``(response, body or None)``. Raises _Passing or OneLoginError."""
    try:
        response = requests.request(method, url, timeout=(settings.timeout, settings.timeout),
                                    verify=settings.validate_certs, allow_redirects=False, **kwargs)
        body = _json_or_none(response)
    except requests.exceptions.SSLError as exc:
        raise OneLoginError(
            'The TLS connection to %s failed: the certificate could not be verified, or the host does not speak TLS '
            'on that port (%s). Check the host (%s). Only for a test host with a self-signed certificate, turn off %s.'
            % (settings.base_url, _reason(exc), settings.where('api_url'), settings.where('validate_certs'))) from None
    except requests.exceptions.RequestException as exc:
        reason = _reason(exc)
        if isinstance(exc, requests.exceptions.Timeout) or 'timed out' in reason.lower():  # also a stalled body
            raise _Passing('OneLogin did not answer the %s to %s within %d s. Check the network and the host (%s), '
                           'or raise %s.' % (what, url, settings.timeout, settings.where('api_url'),
                                             settings.where('timeout'))) from None
        if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            raise _Passing('Could not reach OneLogin at %s (%s: %s). Check the host (%s) and the network from the '
                           'controller.' % (url, type(exc).__name__, reason, settings.where('api_url'))) from None
        raise OneLoginError('The %s to %s failed (%s: %s). Check the host (%s).'
                            % (what, url, type(exc).__name__, reason, settings.where('api_url'))) from None
    if 300 <= response.status_code < 400:
        raise OneLoginError(
            'OneLogin answered the %s to %s with a redirect (HTTP %d to %s); credentials are not sent on. Set the '
            'final host with %s.' % (what, url, response.status_code, response.headers.get('Location', '?')[:200],
                                     settings.where('api_url')))
    return response, body


def _json_or_none(response):
    try:
        return response.json()
    except (ValueError, RecursionError):
        return None


def _reason(exc):
    # requests wraps urllib3 errors several levels deep; the innermost says the most.
    inner = exc
    while getattr(inner, 'args', None) and isinstance(inner.args[0], Exception):
        inner = inner.args[0]
    reason = getattr(inner, 'reason', None) or inner
    return str(reason)[:300]


def make_record(payload, settings, requested_at):
    token = payload.get('access_token')
    if not isinstance(token, str) or not token:
        raise OneLoginError('OneLogin answered without an access token. Check the host (%s).'
                            % settings.where('api_url'))
    lifetime = payload.get('expires_in')
    if isinstance(lifetime, str) and lifetime.strip().isdigit():
        lifetime = int(lifetime)
    if not isinstance(lifetime, int) or isinstance(lifetime, bool) or lifetime <= 0:
        raise OneLoginError('OneLogin answered without a valid expires_in (a positive number of seconds). Check the '
                            'host (%s).' % settings.where('api_url'))
    created = parse_timestamp(payload.get('created_at'))
    # Expiry counts from when OneLogin created the token (v2 may hand back an older one), but never
    # later than a full lifetime after this request: a controller clock behind the server's must
    # not make a token look longer-lived than it is.
    expires_at = requested_at + lifetime
    if created is not None:
        expires_at = min(created + lifetime, expires_at)
    account_id = payload.get('account_id')
    return {
        'access_token': token,
        'token_type': str(payload.get('token_type') or 'bearer'),
        'created_at': iso8601(created if created is not None else requested_at),
        'expires_at': float(expires_at),
        'account_id': account_id if isinstance(account_id, int) else None,
        'api_url': settings.base_url,
        'token_api': settings.token_api,
        'client_id': settings.client_id,
    }
