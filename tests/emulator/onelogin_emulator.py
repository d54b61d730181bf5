# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""An emulator of OneLogin's token API and of a few resource calls, for offline tests, demos and trying playbooks.

It follows OneLogin's documented behaviour (see docs/docsite/rst/guide_emulator.rst):

* ``POST /auth/oauth2/token`` (v1): a new token invalidates every older token of the credentials;
  the answer is wrapped in ``status`` + ``data[0]``.
* ``POST /auth/oauth2/v2/token`` (v2): the same token comes back until it expires or is revoked;
  flat answer. HTTP Basic, the ``client_id:..., client_secret:...`` header and a form body are accepted.
* ``POST /auth/oauth2/revoke``; ``GET /auth/rate_limit`` reports the account's rate bucket without taking from it.
* The documented error bodies: 400 (content type, authorization, grant_type), 401, 404.
* Resource calls, each with a bearer token (else 401) and the ``X-RateLimit-*`` headers of one account bucket
  (``--rate-limit`` calls per ``--rate-window`` seconds; empty: 429 in HTML, without ``Retry-After``):
  ``GET /api/2/users`` (filters; limit/page/sort or a cursor; ``Total-Count``, ``After-Cursor``... headers),
  ``POST /api/2/users``, ``GET``/``PUT``/``DELETE /api/2/users/{id}``, ``GET /api/2/brands`` (no pagination),
  ``GET /api/1/users`` (the v1 envelope, ``after_cursor``), and ``/api/2/mfa/...``, which answers 401 to a good
  token. ``--users N`` seeded users: user i has the id 100000 + i and the email ``user%05d@example.com``.

Counters for tests: ``GET /__emulator__/stats``; ``POST /__emulator__/reset`` clears tokens, counters, faults and the
rate bucket, and seeds the users again.

Fault injection: ``POST /__emulator__/faults`` with ``{"faults": [spec, ...]}`` queues faults; each POST to a token
endpoint takes the first one and serves it (an error status, a 429, a connection reset, a slow answer, an answer
trickled a byte at a time, an HTML page, an error inside a 200). With ``"target": "api"`` they go to a second queue,
served to /api requests. ``GET /__emulator__/faults`` lists both queues; ``--fault SPEC`` and ``--api-fault SPEC``
queue faults at startup.

Run it: ``python tests/emulator/onelogin_emulator.py --client ID:SECRET [--port-file FILE]``.
It listens on 127.0.0.1 on a free port and prints ``http://127.0.0.1:<port>`` on stdout.
"""

from __future__ import annotations

import argparse
import base64
import collections
import json
import math
import os
import re
import secrets
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlencode, urlsplit

DEFAULT_LIFETIME = 36000
RATE_LIMIT = 5000  # calls per window, the default of --rate-limit
RATE_WINDOW = 3600  # seconds, the default of --rate-window
DEFAULT_USERS = 300
MAX_USERS = 100000

V1_TOKEN = '/auth/oauth2/token'
V2_TOKEN = '/auth/oauth2/v2/token'
REVOKE = '/auth/oauth2/revoke'
RATE = '/auth/rate_limit'
STATS = '/__emulator__/stats'
RESET = '/__emulator__/reset'
TOKENS = '/__emulator__/tokens'
FAULTS = '/__emulator__/faults'

MSG_CONTENT_TYPE = ('Content Type is not specified or specified incorrectly. '
                    'Content-Type header must be set to application/json')
MSG_NO_AUTH = 'The authorization information is missing'
MSG_GRANT = 'grant_type is incorrect/absent'
MSG_AUTH_FAILURE = 'Authentication Failure'
MSG_NO_ROUTE = 'No Route Exists'
MSG_TOKEN_MISSING = 'Access Token Missing'
MSG_RATE_AUTH = 'Authorization Information is incorrect'

# The fault kinds and the parameter each takes (see validate_fault).
FAULT_PARAMS = {'status': ('code',), 'rate_limited': ('retry_after',), 'reset': (), 'slow': ('delay',),
                'trickle': ('interval',), 'not_json': (), 'error_200': ('code',)}
# Faults that answer the request as usual, only late: the request counts as the one it is.
LATE_FAULTS = ('slow', 'trickle')
DEFAULT_TRICKLE_INTERVAL = 0.5
# ``type`` and ``message`` of the status envelope served for an injected error code.
FAULT_TEXT = {
    400: ('bad request', 'Bad Request'),
    401: ('Unauthorized', MSG_AUTH_FAILURE),
    403: ('Forbidden', 'Forbidden'),
    404: ('not found', MSG_NO_ROUTE),
    429: ('Too Many Requests', 'Rate limit exceeded'),
    500: ('Internal Server Error', 'Internal Server Error'),
    502: ('Bad Gateway', 'Bad Gateway'),
    503: ('Service Unavailable', 'Service Unavailable'),
    504: ('Gateway Timeout', 'Gateway Timeout'),
}
MAINTENANCE_PAGE = (b'<!DOCTYPE html>\n<html><head><title>Down for maintenance</title></head>\n'
                    b'<body><h1>Down for maintenance</h1><p>We will be back shortly.</p></body></html>\n')

# -- the resource API (/api/*) ----------------------------------------------------------------------
API_METHODS = ('GET', 'POST', 'PUT', 'PATCH', 'DELETE')
# Each route: a pattern of the path (trailing slash removed) and the handler of each method it takes.
API_ROUTES = (
    (re.compile(r'/api/2/users\Z'), {'GET': 'users_v2', 'POST': 'create_user'}),
    (re.compile(r'/api/2/users/([1-9][0-9]{0,17})\Z'),
     {'GET': 'get_user', 'PUT': 'update_user', 'DELETE': 'delete_user'}),
    (re.compile(r'/api/2/brands\Z'), {'GET': 'brands'}),
    (re.compile(r'/api/1/users\Z'), {'GET': 'users_v1'}),
    # Like OneLogin's Verify Factor: 401 about itself, while the token is good.
    (re.compile(r'/api/2/mfa(?:/.*)?\Z'), dict.fromkeys(API_METHODS, 'mfa')),
)
# The answers counted by status (``api_<code>``; any 5xx as ``api_5xx``).
API_STATUS_COUNTERS = (200, 201, 204, 400, 401, 404, 405, 422, 429)

USER_ID_BASE = 100000  # user i (1-based) of the seed has the id USER_ID_BASE + i
SEED_EPOCH = 1577836800  # 2020-01-01T00:00:00Z: user i of the seed was created i minutes later
USER_STRING_FIELDS = ('email', 'username', 'firstname', 'lastname', 'title', 'department', 'company', 'phone',
                      'comment', 'external_id')
USER_INT_FIELDS = ('state', 'status')
USER_SECRET_FIELDS = ('password', 'password_confirmation')  # accepted, never stored nor answered
USER_WRITABLE = USER_STRING_FIELDS + USER_INT_FIELDS + USER_SECRET_FIELDS
USER_FILTERS = ('email', 'username', 'firstname', 'lastname', 'id')

V1_PAGE_SIZE = 50
V2_DEFAULT_LIMIT = 50
V2_MAX_LIMIT = 1000
V2_PAGING = ('limit', 'page', 'sort', 'sort_direction')  # not allowed beside a cursor
V2_CURSOR_SHAPE = re.compile(r'limit=([0-9]{1,4})&sort=id&page=([1-9][0-9]{0,8})&sort_direction=(asc|desc)\Z')
V1_CURSOR_SHAPE = re.compile(r'(after|before):([1-9][0-9]{0,17})\Z')

# The ``name`` of a v2 error body for a status (others: the reason phrase, without spaces, + ``Error``).
V2_ERROR_NAMES = {400: 'BadRequestError', 401: 'UnauthorizedError', 403: 'ForbiddenError', 404: 'NotFoundError',
                  405: 'MethodNotAllowedError', 422: 'UnprocessableEntityError', 429: 'TooManyRequestsError',
                  500: 'InternalServerError', 502: 'BadGatewayError', 503: 'ServiceUnavailableError',
                  504: 'GatewayTimeoutError'}
V2_UNAUTHORIZED = {'statusCode': 401, 'name': 'UnauthorizedError', 'message': 'Unauthorized'}
V1_UNAUTHORIZED = {'status': {'error': True, 'code': 401, 'type': 'Unauthorized', 'message': MSG_AUTH_FAILURE}}
V2_NOT_FOUND = {'statusCode': 404, 'name': 'NotFoundError', 'message': 'Not Found'}
MSG_XOR = 'Requests can only have cursor xor pagination arguments'
MSG_BAD_CURSOR = 'Invalid pagination cursor'
# What OneLogin's front answers once the account's bucket is empty: HTML, and no Retry-After.
RATE_LIMITED_PAGE = (b'<html>\r\n<head><title>429 Too Many Requests</title></head>\r\n<body>\r\n'
                     b'<center><h1>429 Too Many Requests</h1></center>\r\n</body>\r\n</html>\r\n')

BRANDS = [
    {'id': 9001, 'name': 'Example Default', 'enabled': True, 'custom_support_enabled': False,
     'custom_color': '#1c1f2a', 'custom_accent_color': '#0e8fe3', 'custom_masking_color': '#1c1f2a',
     'custom_masking_opacity': 80, 'enable_custom_label_for_login_screen': False,
     'custom_label_text_for_login_screen': None, 'login_instruction_title': None, 'login_instruction': None,
     'hide_onelogin_footer': False, 'mfa_enrollment_message': None, 'background': None, 'logo': None},
    {'id': 9002, 'name': 'Example Partners', 'enabled': False, 'custom_support_enabled': True,
     'custom_color': '#ffffff', 'custom_accent_color': '#d9480f', 'custom_masking_color': '#000000',
     'custom_masking_opacity': 50, 'enable_custom_label_for_login_screen': True,
     'custom_label_text_for_login_screen': 'Partner sign-in', 'login_instruction_title': 'Welcome',
     'login_instruction': 'Sign in with your partner account.', 'hide_onelogin_footer': True,
     'mfa_enrollment_message': None, 'background': None, 'logo': None},
]


def _iso(epoch):
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (
        int(epoch * 1000) % 1000)


def status_body(code, kind, message, error=True):
    return {'status': {'error': error, 'code': code, 'type': kind, 'message': message}}


def fault_body(code):
    """The status envelope of an injected error ``code``."""
    if code in FAULT_TEXT:
        kind, message = FAULT_TEXT[code]
    else:
        try:
            kind = message = HTTPStatus(code).phrase
        except ValueError:
            kind = message = 'Error'
    return status_body(code, kind, message)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def validate_fault(spec):
    """A fault spec with its defaults filled in; ValueError (with a message for humans) for a bad one."""
    if not isinstance(spec, dict):
        raise ValueError('a fault is a JSON object such as {"fault": "status", "code": 503}, not %r' % (spec,))
    kind = spec.get('fault')
    if not isinstance(kind, str) or kind not in FAULT_PARAMS:
        raise ValueError('unknown fault %r; known: %s' % (kind, ', '.join(sorted(FAULT_PARAMS))))
    params = FAULT_PARAMS[kind]
    unknown = sorted(str(key) for key in spec if key != 'fault' and key not in params)
    if unknown:
        raise ValueError('fault %s takes no %s' % (kind, ', '.join(unknown)))
    result = {'fault': kind}
    if kind in ('status', 'error_200'):
        code = spec.get('code')
        if code is None and kind == 'error_200':
            code = 500
        if not (_is_int(code) and 400 <= code <= 599):
            raise ValueError('fault %s: code must be an HTTP error status (an integer from 400 to 599), not %r'
                             % (kind, code))
        result['code'] = code
    elif kind == 'rate_limited':
        retry_after = spec.get('retry_after')
        if retry_after is not None and not (_is_int(retry_after) and retry_after >= 0):
            raise ValueError('fault rate_limited: retry_after must be whole seconds (an integer >= 0) or null, '
                             'not %r' % (retry_after,))
        result['retry_after'] = retry_after
    elif kind == 'slow':
        delay = spec.get('delay')
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not math.isfinite(delay) or delay < 0:
            raise ValueError('fault slow: delay must be a number of seconds >= 0, not %r' % (delay,))
        result['delay'] = float(delay)
    elif kind == 'trickle':
        interval = spec.get('interval', DEFAULT_TRICKLE_INTERVAL)
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not math.isfinite(interval) \
                or not 0 <= interval <= 60:
            raise ValueError('fault trickle: interval must be a number of seconds from 0 to 60, not %r' % (interval,))
        result['interval'] = float(interval)
    return result


def parse_fault(text):
    """A fault spec from its command-line form: ``status:503``, ``rate_limited[:2]``, ``reset``, ``slow:2.5``,
    ``trickle[:0.3]``, ``not_json``, ``error_200[:401]``. ValueError for a bad one."""
    kind, sep, arg = text.partition(':')
    spec = {'fault': kind}
    if kind in FAULT_PARAMS and sep:
        if not FAULT_PARAMS[kind]:
            raise ValueError('fault %s takes no value' % kind)
        name = FAULT_PARAMS[kind][0]
        try:
            spec[name] = float(arg) if kind in LATE_FAULTS else int(arg)
        except ValueError:
            raise ValueError('fault %s: %r is not a valid %s' % (kind, arg, name)) from None
    return validate_fault(spec)


# -- the resource API: bodies, cursors, users ---------------------------------------------------------

def v2_error(code, message=None, name=None):
    """A v2 error body: ``{"statusCode": code, "name": ..., "message": ...}``."""
    try:
        phrase = HTTPStatus(code).phrase
    except ValueError:
        phrase = 'Error'
    if name is None:
        name = V2_ERROR_NAMES.get(code) or phrase.replace(' ', '').replace('-', '') + 'Error'
    return {'statusCode': code, 'name': name, 'message': phrase if message is None else message}


def v2_field_error(field, message):
    return {'statusCode': 422, 'name': 'UnprocessableEntityFieldError', 'field': field, 'message': message}


def v2_cursor(limit, page, direction):
    """The cursor of a v2 page, as OneLogin makes them: base64 of its pagination arguments."""
    text = 'limit=%d&sort=id&page=%d&sort_direction=%s' % (limit, page, direction)
    return base64.b64encode(text.encode('ascii')).decode('ascii')


def parse_v2_cursor(value):
    """``(limit, page, direction)`` of a cursor made by v2_cursor, or None (a percent-encoded one included)."""
    try:
        text = base64.b64decode(value.encode('ascii'), validate=True).decode('ascii')
    except ValueError:  # binascii.Error and UnicodeError are ValueErrors
        return None
    match = V2_CURSOR_SHAPE.match(text)
    if match is None:
        return None
    limit, page, direction = int(match.group(1)), int(match.group(2)), match.group(3)
    if not 1 <= limit <= V2_MAX_LIMIT or v2_cursor(limit, page, direction) != value:
        return None
    return limit, page, direction


def v1_cursor(kind, user_id):
    """An opaque v1 cursor: the users after (or before) ``user_id``, URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(('%s:%d' % (kind, user_id)).encode('ascii')).decode('ascii').rstrip('=')


def parse_v1_cursor(value):
    """``(kind, user_id)`` of a cursor made by v1_cursor, or None."""
    try:
        text = base64.b64decode((value + '=' * (-len(value) % 4)).encode('ascii'), altchars=b'-_',
                                validate=True).decode('ascii')
    except ValueError:
        return None
    match = V1_CURSOR_SHAPE.match(text)
    if match is None or v1_cursor(match.group(1), int(match.group(2))) != value:
        return None
    return match.group(1), int(match.group(2))


def seed_user(index):
    """User ``index`` (1-based) of the seed."""
    created = _iso(SEED_EPOCH + 60 * index)
    return new_user(USER_ID_BASE + index, {
        'email': 'user%05d@example.com' % index, 'username': 'user%05d' % index, 'firstname': 'First%d' % index,
        'lastname': 'Last%d' % index, 'state': 1, 'status': 1}, created)


def new_user(user_id, fields, created):
    """A user record: every field present (null when not set), no password. Records are never changed in place."""
    user = {'id': user_id}
    for name in USER_STRING_FIELDS:
        user[name] = fields.get(name)
    user['state'] = fields.get('state', 1)
    user['status'] = fields.get('status', 1)
    user['created_at'] = user['updated_at'] = created
    return user


def user_fields_error(body, creating):
    """``(code, error body)`` for user fields OneLogin would refuse, else None (the email is checked by State)."""
    if not isinstance(body, dict):
        return 400, v2_error(400, 'The body must be a JSON object of user attributes')
    unknown = sorted(str(name) for name in body if name not in USER_WRITABLE)
    if unknown:
        return 400, v2_error(400, 'unknown attribute: %s' % unknown[0])
    if 'email' in body or creating:
        if body.get('email') in (None, ''):
            return 422, v2_field_error('email', 'Validation failed: email is required')
    for name in USER_STRING_FIELDS + USER_SECRET_FIELDS:
        if body.get(name) is not None and not isinstance(body[name], str):
            return 422, v2_field_error(name, 'Validation failed: %s must be a string' % name)
    for name in USER_INT_FIELDS:
        if name in body and not _is_int(body[name]):
            return 422, v2_field_error(name, 'Validation failed: %s must be an integer' % name)
    return None


class State:
    """Credentials, tokens, users, the rate bucket, counters and queued faults. Every method holds the lock
    (but reset, which its caller runs under the lock)."""

    def __init__(self, clients, lifetime=DEFAULT_LIFETIME, clock=time.time, users=DEFAULT_USERS,
                 rate_limit=RATE_LIMIT, rate_window=RATE_WINDOW, encode_cursors=False):
        if not (_is_int(users) and 0 <= users <= MAX_USERS):
            raise ValueError('users must be an integer from 0 to %d, not %r' % (MAX_USERS, users))
        if not (_is_int(rate_limit) and rate_limit >= 0):
            raise ValueError('rate_limit must be an integer >= 0, not %r' % (rate_limit,))
        if isinstance(rate_window, bool) or not isinstance(rate_window, (int, float)) \
                or not math.isfinite(rate_window) or rate_window <= 0:
            raise ValueError('rate_window must be a number of seconds > 0, not %r' % (rate_window,))
        self.clients = dict(clients)
        self.lifetime = lifetime
        self.clock = clock
        self.seed = users
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.encode_cursors = bool(encode_cursors)
        self.lock = threading.Lock()
        self.account_id = 555555
        self.reset()

    def reset(self):
        self.tokens = {}  # token -> {client_id, created, expires, valid, calls}
        self.faults = collections.deque()  # validated fault specs, served first in, first out
        self.api_faults = collections.deque()  # the same, for /api requests
        # id -> user record, in ascending id order (new ids only grow); a record is replaced, never changed.
        self.users = {USER_ID_BASE + index: seed_user(index) for index in range(1, self.seed + 1)}
        self.next_user_id = USER_ID_BASE + self.seed + 1
        self.window_end = None  # the end of the open rate window, None when none is open
        self.window_used = 0
        self.counters = {
            'exchanges': 0, 'exchanges_v1': 0, 'exchanges_v2': 0, 'exchanges_ok': 0, 'exchanges_failed': 0,
            'tokens_minted': 0, 'revokes': 0, 'rate_limit_calls': 0,
            'api_200': 0, 'api_401': 0, 'faults_served': 0,
            'api_requests': 0, 'api_get': 0, 'api_post': 0, 'api_put': 0, 'api_patch': 0, 'api_delete': 0,
            'api_201': 0, 'api_204': 0, 'api_400': 0, 'api_401_valid_token': 0, 'api_404': 0, 'api_405': 0,
            'api_422': 0, 'api_429': 0, 'api_5xx': 0, 'api_faults_served': 0, 'users_created': 0,
            'users_deleted': 0,
        }

    def stats(self):
        with self.lock:
            data = dict(self.counters)
            now = self.clock()
            data['valid_tokens'] = sum(1 for t in self.tokens.values() if t['valid'] and t['expires'] > now)
            data['token_lifetime'] = self.lifetime
            data['faults_queued'] = len(self.faults)
            data['api_faults_queued'] = len(self.api_faults)
            data['users'] = len(self.users)
            data['rate_limit_remaining'] = self._rate_view(now)['X-RateLimit-Remaining']
            return data

    def add_faults(self, specs, target='token'):
        """Validate every spec, then queue them all (or none: ValueError) for ``target``, ``token`` or ``api``;
        return the length of that queue."""
        if target not in ('token', 'api'):
            raise ValueError('target must be "token" or "api", not %r' % (target,))
        checked = [validate_fault(spec) for spec in specs]
        with self.lock:
            queue = self.faults if target == 'token' else self.api_faults
            queue.extend(checked)
            return len(queue)

    def queued_faults(self, target='token'):
        with self.lock:
            return [dict(spec) for spec in (self.faults if target == 'token' else self.api_faults)]

    def take_api_fault(self):
        """The first queued API fault, counted as served; or None."""
        with self.lock:
            if not self.api_faults:
                return None
            self.counters['api_faults_served'] += 1
            return self.api_faults.popleft()

    def take_fault(self, api):
        """The first queued fault, counted as served, for a request to the ``api`` token endpoint; or None.

        A fault other than ``slow`` or ``trickle`` counts as a failed exchange here; those count as the
        request they are (handled at once, answered late)."""
        with self.lock:
            if not self.faults:
                return None
            spec = self.faults.popleft()
            self.counters['faults_served'] += 1
            if spec['fault'] not in LATE_FAULTS:
                for name in ('exchanges', 'exchanges_' + api, 'exchanges_failed'):
                    self.counters[name] += 1
            return spec

    def count(self, name):
        with self.lock:
            self.counters[name] += 1

    def check_client(self, client_id, client_secret):
        return client_id is not None and self.clients.get(client_id) == client_secret

    def _mint(self, client_id):
        now = self.clock()
        token = secrets.token_hex(32)
        self.tokens[token] = {'client_id': client_id, 'created': now, 'expires': now + self.lifetime,
                              'valid': True, 'calls': 0}
        self.counters['tokens_minted'] += 1
        return token

    def mint_v1(self, client_id):
        """A new token; every older token of these credentials stops working."""
        with self.lock:
            for info in self.tokens.values():
                if info['client_id'] == client_id:
                    info['valid'] = False
            return self._token_view(self._mint(client_id))

    def mint_v2(self, client_id):
        """The client's current token while it is valid, else a new one."""
        with self.lock:
            now = self.clock()
            for token, info in self.tokens.items():
                if info['client_id'] == client_id and info['valid'] and info['expires'] > now:
                    return self._token_view(token)
            return self._token_view(self._mint(client_id))

    def _token_view(self, token):
        info = self.tokens[token]
        return {'access_token': token, 'created_at': _iso(info['created']), 'expires_in': self.lifetime,
                'refresh_token': secrets.token_hex(32), 'token_type': 'bearer', 'account_id': self.account_id}

    def revoke(self, client_id, token):
        with self.lock:
            info = self.tokens.get(token)
            if info is None or info['client_id'] != client_id:
                return False
            info['valid'] = False
            self.counters['revokes'] += 1
            return True

    def use(self, token):
        """Account one resource call made with ``token``; return its info if the token is good, else None."""
        with self.lock:
            info = self.tokens.get(token)
            if info is None or not info['valid'] or info['expires'] <= self.clock():
                return None
            info['calls'] += 1
            return dict(info)

    # -- the account's rate bucket: fixed windows of rate_window seconds, opened by the first counted call --
    def _rate_view(self, now):
        if self.window_end is not None and now >= self.window_end:
            self.window_end, self.window_used = None, 0  # the window is over
        if self.window_end is None:
            reset = math.ceil(self.rate_window)  # what a call now would open
        else:
            reset = max(1, math.ceil(self.window_end - now))
        return {'X-RateLimit-Limit': self.rate_limit,
                'X-RateLimit-Remaining': max(0, self.rate_limit - self.window_used), 'X-RateLimit-Reset': reset}

    def rate(self):
        """The bucket as the X-RateLimit-* values, without taking from it."""
        with self.lock:
            return self._rate_view(self.clock())

    def consume(self):
        """Take one call from the bucket: ``(True, values after it)``, or ``(False, values)`` when it is empty."""
        with self.lock:
            now = self.clock()
            view = self._rate_view(now)
            if view['X-RateLimit-Remaining'] <= 0:
                return False, view
            if self.window_end is None:
                self.window_end = now + self.rate_window
            self.window_used += 1
            return True, self._rate_view(now)

    # -- users -------------------------------------------------------------------------------
    def find_users(self, filters):
        """The users (records, never changed) matching every ``{field: text}`` exactly, by ascending id."""
        with self.lock:
            users = list(self.users.values())
        if not filters:
            return users
        return [user for user in users
                if all(str(user['id']) == text if name == 'id' else user[name] == text
                       for name, text in filters.items())]

    def get_user(self, user_id):
        with self.lock:
            return self.users.get(user_id)

    def _email_taken(self, email, user_id=None):
        return any(user['email'] == email and user['id'] != user_id for user in self.users.values())

    def create_user(self, fields):
        """The new user, or None when its email is taken. ``fields`` passed user_fields_error."""
        with self.lock:
            if self._email_taken(fields['email']):
                return None
            user = new_user(self.next_user_id, fields, _iso(self.clock()))
            self.users[user['id']] = user
            self.next_user_id += 1
            self.counters['users_created'] += 1
            return user

    def update_user(self, user_id, fields):
        """``(user, taken)``: the updated user (None if there is none), or ``taken`` when the email is."""
        with self.lock:
            user = self.users.get(user_id)
            if user is None:
                return None, False
            if fields.get('email') is not None and self._email_taken(fields['email'], user_id):
                return None, True
            updated = dict(user, updated_at=_iso(self.clock()))
            updated.update((name, value) for name, value in fields.items() if name not in USER_SECRET_FIELDS)
            self.users[user_id] = updated
            return updated, False

    def delete_user(self, user_id):
        with self.lock:
            if self.users.pop(user_id, None) is None:
                return False
            self.counters['users_deleted'] += 1
            return True


def _bearer(header):
    """The token of ``Bearer <t>``, ``bearer <t>`` or ``bearer:<t>``."""
    if not header:
        return None
    lowered = header.lower()
    if lowered.startswith('bearer:'):
        return header[7:].strip() or None
    if lowered.startswith('bearer '):
        return header[7:].strip() or None
    return None


def _client_credentials(header):
    """``(id, secret)`` from ``client_id:<id>, client_secret:<secret>`` or HTTP Basic, else ``(None, None)``."""
    if not header:
        return None, None
    if header.lower().startswith('basic '):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode('utf-8')
        except (ValueError, UnicodeDecodeError):
            return None, None
        client_id, sep, client_secret = decoded.partition(':')
        return (client_id, client_secret) if sep else (None, None)
    parts = {}
    for piece in header.split(','):
        key, sep, value = piece.strip().partition(':')
        if sep:
            parts[key.strip().lower()] = value.strip()
    if 'client_id' in parts and 'client_secret' in parts:
        return parts['client_id'], parts['client_secret']
    return None, None


class Handler(BaseHTTPRequestHandler):
    server_version = 'OneLoginEmulator/1'
    protocol_version = 'HTTP/1.1'

    @property
    def state(self):
        return self.server.state

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if self.server.verbose:
            sys.stderr.write('emulator: %s\n' % (format % args))

    # -- plumbing ---------------------------------------------------------------------------
    def _send(self, code, body, headers=None):
        self._send_bytes(code, json.dumps(body).encode('utf-8'), 'application/json; charset=utf-8', headers)

    _hold = 0
    _trickle = None

    def _send_bytes(self, code, payload, content_type, headers=None):
        if self._hold and self.server.stopping.wait(self._hold):
            self.close_connection = True  # the server is stopping: leave the request unanswered
            return
        self.send_response(code)
        if code != 204:  # no content: neither a type nor a length
            self.send_header('Content-Type', content_type)
            self.send_header('Content-Length', str(len(payload)))
        # One request per connection: no handler thread outlives its answer (tests fork after using it).
        self.send_header('Connection', 'close')
        self.close_connection = True
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self._trickle is None:
            self.wfile.write(payload)
            return
        # The headers at once, then the body a byte at a time: every read of a client gets a byte
        # well within its read timeout, and still the whole answer takes len(body) * interval.
        self.wfile.flush()
        for index in range(len(payload)):
            if index and self.server.stopping.wait(self._trickle):
                return  # the server is stopping: leave the answer cut short
            self.wfile.write(payload[index:index + 1])
            self.wfile.flush()

    def _body(self):
        length = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(length) if length else b''

    def _answer_late(self, fault):
        """A late fault (slow, trickle): the request is handled as usual, its answer held back or trickled."""
        if fault['fault'] == 'slow':
            self._hold = fault['delay']
        else:
            self._trickle = fault['interval']

    def _route(self, method):
        path = urlsplit(self.path).path.rstrip('/') or '/'
        if path == '/api' or path.startswith('/api/'):
            return self._api(method, path)
        if method == 'POST' and path in (V1_TOKEN, V2_TOKEN):
            fault = self.state.take_fault('v1' if path == V1_TOKEN else 'v2')
            if fault is not None:
                self.log_message('serving fault %s on %s', fault['fault'], path)
                if fault['fault'] not in LATE_FAULTS:
                    return self._serve_fault(fault)
                # Slow to answer, not to act: the request is handled now (a token is minted as usual),
                # its answer is held back or trickled. As with a real server, a client that gave up may
                # hold an older token than the server last issued.
                self._answer_late(fault)
        routes = {
            ('POST', V1_TOKEN): self.token_v1, ('POST', V2_TOKEN): self.token_v2, ('POST', REVOKE): self.revoke,
            ('GET', RATE): self.rate_limit,
            ('GET', STATS): self.stats, ('POST', RESET): self.reset, ('GET', TOKENS): self.issued_tokens,
            ('GET', FAULTS): self.list_faults, ('POST', FAULTS): self.add_faults,
        }
        handler = routes.get((method, path))
        if handler is None:
            self._body()
            if path in (V1_TOKEN, V2_TOKEN):
                self.state.count('exchanges')
                self.state.count('exchanges_failed')
            return self._send(404, status_body(404, 'not found', MSG_NO_ROUTE))
        return handler()

    def do_GET(self):  # pylint: disable=invalid-name
        self._route('GET')

    def do_POST(self):  # pylint: disable=invalid-name
        self._route('POST')

    def do_PUT(self):  # pylint: disable=invalid-name
        self._route('PUT')

    def do_DELETE(self):  # pylint: disable=invalid-name
        self._route('DELETE')

    def do_PATCH(self):  # pylint: disable=invalid-name
        self._route('PATCH')

    # -- injected faults ---------------------------------------------------------------------
    def _serve_fault(self, fault):
        """Answer (or not) a token request with ``fault``, any kind but ``slow`` and ``trickle``."""
        self._body()
        kind = fault['fault']
        if kind == 'status':
            return self._send(fault['code'], fault_body(fault['code']))
        if kind == 'rate_limited':
            headers = {} if fault['retry_after'] is None else {'Retry-After': '%d' % fault['retry_after']}
            return self._send(429, fault_body(429), headers=headers)
        if kind == 'not_json':
            return self._send_bytes(200, MAINTENANCE_PAGE, 'text/html; charset=utf-8')
        if kind == 'error_200':
            return self._send(200, fault_body(fault['code']))
        return self._drop()  # reset

    def _drop(self):
        """Close the connection with a TCP reset (SO_LINGER on, 0 s) and no answer."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        self.rfile.close()  # it holds a reference to the socket: the close below must be the last one
        self.connection.close()

    # -- token endpoints ---------------------------------------------------------------------
    def _token_request(self, api):
        """Check a token request in OneLogin's order; return the client id, or None after answering."""
        state = self.state
        state.count('exchanges')
        state.count('exchanges_' + api)
        raw = self._body()
        content_type = (self.headers.get('Content-Type') or '').split(';')[0].strip().lower()
        form = api == 'v2' and content_type == 'application/x-www-form-urlencoded'
        if content_type != 'application/json' and not form:
            return self._fail(400, 'bad request', MSG_CONTENT_TYPE)
        if form:
            fields = {k: v[0] for k, v in parse_qs(raw.decode('utf-8', 'replace')).items()}
            client_id, client_secret = fields.get('client_id'), fields.get('client_secret')
            if client_id is None:
                client_id, client_secret = _client_credentials(self.headers.get('Authorization'))
        else:
            try:
                fields = json.loads(raw.decode('utf-8') or 'null')
            except ValueError:
                fields = None
            client_id, client_secret = _client_credentials(self.headers.get('Authorization'))
        if client_id is None:
            return self._fail(400, 'bad request', MSG_NO_AUTH)
        if not isinstance(fields, dict) or fields.get('grant_type') != 'client_credentials':
            return self._fail(400, 'bad request', MSG_GRANT)
        if not state.check_client(client_id, client_secret):
            return self._fail(401, 'Unauthorized', MSG_AUTH_FAILURE)
        state.count('exchanges_ok')
        return client_id

    def _fail(self, code, kind, message):
        self.state.count('exchanges_failed')
        self._send(code, status_body(code, kind, message))
        return None

    def token_v1(self):
        client_id = self._token_request('v1')
        if client_id is not None:
            view = self.state.mint_v1(client_id)
            self._send(200, dict(status_body(200, 'success', 'Success', error=False), data=[view]))

    def token_v2(self):
        client_id = self._token_request('v2')
        if client_id is not None:
            self._send(200, self.state.mint_v2(client_id))

    # -- other endpoints ---------------------------------------------------------------------
    def revoke(self):
        raw = self._body()
        if (self.headers.get('Content-Type') or '').split(';')[0].strip().lower() != 'application/json':
            return self._send(400, status_body(400, 'bad request', MSG_CONTENT_TYPE))
        client_id, client_secret = _client_credentials(self.headers.get('Authorization'))
        if client_id is None:
            return self._send(400, status_body(400, 'bad request', MSG_NO_AUTH))
        try:
            token = (json.loads(raw.decode('utf-8') or 'null') or {}).get('access_token')
        except (ValueError, AttributeError):
            token = None
        if not token:
            return self._send(400, status_body(400, 'bad request', MSG_TOKEN_MISSING))
        if not self.state.check_client(client_id, client_secret):
            return self._send(401, status_body(401, 'Unauthorized', MSG_AUTH_FAILURE))
        self.state.revoke(client_id, token)
        return self._send(200, status_body(200, 'success', 'Success', error=False))

    def rate_limit(self):
        self.state.count('rate_limit_calls')
        token = _bearer(self.headers.get('Authorization'))
        if token is None:
            return self._send(400, status_body(400, 'bad request', MSG_RATE_AUTH))
        info = self.state.use(token)
        if info is None:
            return self._send(401, status_body(401, 'Unauthorized', MSG_AUTH_FAILURE))
        # The account's bucket, as the /api answers carry it; asking does not take from it.
        return self._send(200, dict(status_body(200, 'success', 'Success', error=False), data=self.state.rate()))

    def stats(self):
        return self._send(200, self.state.stats())

    def issued_tokens(self):
        # Every access token issued since the start (or the last reset): tests look for them in output.
        with self.state.lock:
            tokens = list(self.state.tokens)
        return self._send(200, {'tokens': tokens})

    def reset(self):
        self._body()
        with self.state.lock:
            self.state.reset()
        return self._send(200, {'reset': True})

    def list_faults(self):
        return self._send(200, {'queued': self.state.queued_faults(), 'api_queued': self.state.queued_faults('api')})

    def add_faults(self):
        raw = self._body()
        try:
            body = json.loads(raw.decode('utf-8') or 'null')
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict) or not isinstance(body.get('faults'), list):
            return self._send(400, {'error': True, 'message': 'the body must be {"faults": [spec, ...]} with, '
                                                              'if any, "target": "token" or "api"'})
        try:
            queued = self.state.add_faults(body['faults'], target=body.get('target', 'token'))
        except ValueError as exc:
            return self._send(400, {'error': True, 'message': str(exc)})
        return self._send(200, {'queued': queued})

    # -- the resource API (/api/*) -------------------------------------------------------------
    _rate = None  # the X-RateLimit-* values after this request took its call from the bucket

    def _api(self, method, path):
        """Route an /api request: its route, then a queued API fault, then the token, then the bucket."""
        state = self.state
        self._raw = self._body()
        self._version = 1 if path.startswith('/api/1/') else 2
        with state.lock:
            state.counters['api_requests'] += 1
            if method in API_METHODS:
                state.counters['api_' + method.lower()] += 1
        for pattern, methods in API_ROUTES:
            match = pattern.match(path)
            if match is not None:
                break
        else:
            return self._api_json(404, V2_NOT_FOUND)
        if method not in methods:
            return self._api_json(405, v2_error(405), headers={'Allow': ', '.join(sorted(methods))})
        fault = state.take_api_fault()
        if fault is not None:
            self.log_message('serving API fault %s on %s %s', fault['fault'], method, path)
            if fault['fault'] not in LATE_FAULTS:
                return self._serve_api_fault(fault)
            # Slow to answer, not to act: the request is handled now (a POST creates its user), the answer waits.
            self._answer_late(fault)
        token = _bearer(self.headers.get('Authorization'))
        if token is None or state.use(token) is None:
            return self._api_json(401, V1_UNAUTHORIZED if self._version == 1 else V2_UNAUTHORIZED)
        allowed, self._rate = state.consume()
        if not allowed:
            return self._api_reply(429, RATE_LIMITED_PAGE, 'text/html')
        return getattr(self, 'api_' + methods[method])(*match.groups())

    def _api_reply(self, code, payload, content_type, headers=None):
        """Answer an /api request, with the bucket's X-RateLimit-* headers, counted by its status."""
        name = 'api_5xx' if 500 <= code <= 599 else 'api_%d' % code
        if name in self.state.counters:
            self.state.count(name)
        rate = self._rate or self.state.rate()
        all_headers = {name: str(value) for name, value in rate.items()}
        all_headers.update(headers or {})
        self._send_bytes(code, payload, content_type, all_headers)

    def _api_json(self, code, body, headers=None):
        self._api_reply(code, b'' if code == 204 else json.dumps(body).encode('utf-8'),
                        'application/json; charset=utf-8', headers)

    def _api_error(self, code):
        """An error of this request's API version: the v1 status envelope or the v2 body."""
        return fault_body(code) if self._version == 1 else v2_error(code)

    def _serve_api_fault(self, fault):
        """Answer (or not) an /api request with ``fault``, any kind but ``slow`` and ``trickle``."""
        kind = fault['fault']
        if kind == 'status':
            return self._api_json(fault['code'], self._api_error(fault['code']))
        if kind == 'rate_limited':
            headers = {} if fault['retry_after'] is None else {'Retry-After': '%d' % fault['retry_after']}
            return self._api_json(429, self._api_error(429), headers=headers)
        if kind == 'not_json':
            return self._api_reply(200, MAINTENANCE_PAGE, 'text/html; charset=utf-8')
        if kind == 'error_200':
            return self._api_json(200, self._api_error(fault['code']))
        return self._drop()  # reset

    def _query(self):
        """The query arguments, the first value of each, percent-decoded once."""
        pairs = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
        return {name: values[0] for name, values in pairs.items()}

    def _json_body(self):
        try:
            return json.loads(self._raw.decode('utf-8'))
        except (ValueError, UnicodeDecodeError):
            return None

    def api_users_v2(self):
        query = self._query()
        filters = {name: query[name] for name in USER_FILTERS if name in query}
        if 'cursor' in query:
            if any(name in query for name in V2_PAGING):
                return self._api_json(400, {'status': 400, 'error': 'BadRequestError', 'description': MSG_XOR})
            parsed = parse_v2_cursor(query['cursor'])
            if parsed is None:
                return self._api_json(400, {'status': 400, 'error': 'BadRequestError', 'description': MSG_BAD_CURSOR})
            limit, page, direction = parsed
        else:
            limit = query.get('limit', str(V2_DEFAULT_LIMIT))
            if not (limit.isdigit() and len(limit) <= 4 and 1 <= int(limit) <= V2_MAX_LIMIT):
                return self._api_json(400, v2_error(400, 'limit must be between 1 and %d' % V2_MAX_LIMIT))
            limit = int(limit)
            page = query.get('page', '1')
            if not (page.isdigit() and len(page) <= 9 and int(page) >= 1):
                return self._api_json(400, v2_error(400, 'page must be a positive integer'))
            page = int(page)
            sort = query.get('sort', 'id')
            if sort not in ('id', '+id', '-id'):
                return self._api_json(422, v2_field_error('sort', 'Invalid sort field: %s' % sort))
            direction = query.get('sort_direction', 'asc')
            if direction not in ('asc', 'desc'):
                return self._api_json(422, v2_field_error('sort_direction', 'Invalid sort direction: %s' % direction))
            if sort != 'id':
                direction = 'desc' if sort == '-id' else 'asc'
        users = self.state.find_users(filters)
        if direction == 'desc':
            users.reverse()
        pages = max(1, -(-len(users) // limit))
        headers = {'Total-Count': str(len(users)), 'Total-Pages': str(pages), 'Current-Page': str(page),
                   'Page-Items': str(limit)}
        if page < pages:
            headers['After-Cursor'] = self._cursor_header(limit, page + 1, direction)
        if page > 1:
            headers['Before-Cursor'] = self._cursor_header(limit, page - 1, direction)
        return self._api_json(200, users[(page - 1) * limit:page * limit], headers=headers)

    def _cursor_header(self, limit, page, direction):
        cursor = v2_cursor(limit, page, direction)
        # --encode-cursors: the cursor of every even page arrives percent-encoded, as some of OneLogin's do.
        return quote(cursor, safe='') if self.state.encode_cursors and page % 2 == 0 else cursor

    def api_users_v1(self):
        query = self._query()
        filters = {name: query[name] for name in USER_FILTERS if name in query}
        users = self.state.find_users(filters)
        after, before = query.get('after_cursor'), query.get('before_cursor')
        if after is not None and before is not None:
            return self._api_json(400, status_body(400, 'bad request', 'Invalid cursor'))
        if after is not None or before is not None:
            parsed = parse_v1_cursor(after if after is not None else before)
            if parsed is None or parsed[0] != ('after' if after is not None else 'before'):
                return self._api_json(400, status_body(400, 'bad request', 'Invalid cursor'))
            if parsed[0] == 'after':
                users = [user for user in users if user['id'] > parsed[1]]
                data = users[:V1_PAGE_SIZE]
                more_before, more_after = True, len(users) > V1_PAGE_SIZE
            else:
                users = [user for user in users if user['id'] < parsed[1]]
                data = users[-V1_PAGE_SIZE:]
                more_before, more_after = len(users) > V1_PAGE_SIZE, True
        else:
            data = users[:V1_PAGE_SIZE]
            more_before, more_after = False, len(users) > V1_PAGE_SIZE
        after_cursor = v1_cursor('after', data[-1]['id']) if data and more_after else None
        before_cursor = v1_cursor('before', data[0]['id']) if data and more_before else None
        return self._api_json(200, dict(status_body(200, 'success', 'Success', error=False), pagination={
            'before_cursor': before_cursor, 'after_cursor': after_cursor,
            'previous_link': self._v1_link(filters, 'before_cursor', before_cursor),
            'next_link': self._v1_link(filters, 'after_cursor', after_cursor)}, data=data))

    def _v1_link(self, filters, name, cursor):
        if cursor is None:
            return None
        scheme = 'https' if hasattr(self.connection, 'getpeercert') else 'http'
        host = self.headers.get('Host') or '%s:%d' % self.server.server_address[:2]
        return '%s://%s/api/1/users?%s' % (scheme, host, urlencode(dict(filters, **{name: cursor})))

    def api_brands(self):
        return self._api_json(200, BRANDS)

    def api_create_user(self):
        body = self._json_body()
        error = user_fields_error(body, creating=True)
        if error is not None:
            return self._api_json(*error)
        user = self.state.create_user(body)
        if user is None:
            return self._api_json(422, v2_error(422, 'Validation failed: Email must be unique'))
        return self._api_json(201, user)

    def api_get_user(self, user_id):
        user = self.state.get_user(int(user_id))
        return self._api_json(200, user) if user is not None else self._api_json(404, V2_NOT_FOUND)

    def api_update_user(self, user_id):
        if self.state.get_user(int(user_id)) is None:
            return self._api_json(404, V2_NOT_FOUND)
        body = self._json_body()
        error = user_fields_error(body, creating=False)
        if error is not None:
            return self._api_json(*error)
        user, taken = self.state.update_user(int(user_id), body)
        if taken:
            return self._api_json(422, v2_error(422, 'Validation failed: Email must be unique'))
        return self._api_json(200, user) if user is not None else self._api_json(404, V2_NOT_FOUND)

    def api_delete_user(self, user_id):
        if not self.state.delete_user(int(user_id)):
            return self._api_json(404, V2_NOT_FOUND)
        return self._api_json(204, None)

    def api_mfa(self):
        # The token is good, and still: 401, as OneLogin's Verify Factor answers about a factor.
        self.state.count('api_401_valid_token')
        return self._api_json(401, V2_UNAUTHORIZED)


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, state, host='127.0.0.1', port=0, verbose=False):
        self.state = state
        self.verbose = verbose
        self.stopping = threading.Event()  # set on shutdown: ends the wait of a ``slow`` or ``trickle`` fault
        super().__init__((host, port), Handler)

    @property
    def url(self):
        host, port = self.server_address[:2]
        return 'http://%s:%d' % (host, port)

    def shutdown(self):
        self.stopping.set()
        super().shutdown()

    def server_close(self):
        self.stopping.set()
        super().server_close()

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the client went away (say it timed out on a slow fault): nothing worth a traceback
        super().handle_error(request, client_address)


def start_in_thread(clients, lifetime=DEFAULT_LIFETIME, clock=time.time, users=DEFAULT_USERS, rate_limit=RATE_LIMIT,
                    rate_window=RATE_WINDOW, encode_cursors=False):
    """Start an emulator in a daemon thread of this process (for unit tests); return the server."""
    server = EmulatorServer(State(clients, lifetime=lifetime, clock=clock, users=users, rate_limit=rate_limit,
                                  rate_window=rate_window, encode_cursors=encode_cursors))
    thread = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.05}, name='onelogin-emulator',
                              daemon=True)
    thread.start()
    return server


def _write_atomically(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.port-')
    with os.fdopen(fd, 'w') as handle:
        handle.write(text)
    os.replace(tmp, path)


def _fault_arg(text):
    try:
        return parse_fault(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _users_arg(text):
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_USERS:
        raise argparse.ArgumentTypeError('a number of users from 0 to %d, not %r' % (MAX_USERS, text))
    return value


def _rate_limit_arg(text):
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError('a number of calls >= 0, not %r' % (text,))
    return value


def _rate_window_arg(text):
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError('a number of seconds > 0, not %r' % (text,))
    return int(value) if value.is_integer() else value


def parse_args(argv):
    parser = argparse.ArgumentParser(description='Emulator of the OneLogin token API and of a few resource calls, '
                                                 'on 127.0.0.1.')
    parser.add_argument('--client', action='append', default=[], metavar='ID:SECRET',
                        help='an API credential to accept (repeatable); default: $ONELOGIN_CLIENT_ID and '
                             '$ONELOGIN_CLIENT_SECRET')
    parser.add_argument('--port', type=int, default=0, help='port to listen on (default: a free one)')
    parser.add_argument('--port-file', help='write the port to this file once listening')
    parser.add_argument('--token-lifetime', type=int, default=DEFAULT_LIFETIME,
                        help='token lifetime in seconds (default: %(default)s, as OneLogin)')
    parser.add_argument('--max-runtime', type=float, default=0,
                        help='stop by itself after this many seconds (default: run until stopped)')
    parser.add_argument('--verbose', action='store_true', help='log requests (never bodies) to stderr')
    parser.add_argument('--fault', action='append', default=[], dest='faults', type=_fault_arg, metavar='SPEC',
                        help='queue a fault for the next token request (repeatable, served in order): status:CODE, '
                             'rate_limited[:SECONDS], reset, slow:SECONDS, trickle[:SECONDS], not_json, '
                             'error_200[:CODE]')
    parser.add_argument('--api-fault', action='append', default=[], dest='api_faults', type=_fault_arg,
                        metavar='SPEC', help='queue a fault for the next /api request (repeatable, served in order); '
                                             'the same forms as --fault')
    parser.add_argument('--users', type=_users_arg, default=DEFAULT_USERS, metavar='N',
                        help='seed N users, ids %d + 1 to %d + N (default: %%(default)s; 0 to %d)'
                             % (USER_ID_BASE, USER_ID_BASE, MAX_USERS))
    parser.add_argument('--rate-limit', type=_rate_limit_arg, default=RATE_LIMIT, metavar='N',
                        help='calls of the account per rate window, over all /api requests (default: %(default)s)')
    parser.add_argument('--rate-window', type=_rate_window_arg, default=RATE_WINDOW, metavar='S',
                        help='length of a rate window in seconds, from its first call (default: %(default)s)')
    parser.add_argument('--encode-cursors', action='store_true',
                        help='percent-encode the v2 cursor headers that point to an even page, as OneLogin does '
                             'at times')
    args = parser.parse_args(argv)
    clients = {}
    for entry in args.client:
        client_id, sep, client_secret = entry.partition(':')
        if not sep or not client_id or not client_secret:
            parser.error('--client takes ID:SECRET')
        clients[client_id] = client_secret
    if not clients and os.environ.get('ONELOGIN_CLIENT_ID') and os.environ.get('ONELOGIN_CLIENT_SECRET'):
        clients[os.environ['ONELOGIN_CLIENT_ID']] = os.environ['ONELOGIN_CLIENT_SECRET']
    if not clients:
        parser.error('give at least one --client ID:SECRET (or set ONELOGIN_CLIENT_ID and ONELOGIN_CLIENT_SECRET)')
    return args, clients


def main(argv=None):
    args, clients = parse_args(sys.argv[1:] if argv is None else argv)
    state = State(clients, lifetime=args.token_lifetime, users=args.users, rate_limit=args.rate_limit,
                  rate_window=args.rate_window, encode_cursors=args.encode_cursors)
    state.add_faults(args.faults)
    state.add_faults(args.api_faults, target='api')
    server = EmulatorServer(state, port=args.port, verbose=args.verbose)
    stop = threading.Event()

    def _stop(*_ignored):
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    if args.port_file:
        _write_atomically(args.port_file, '%d\n' % server.server_address[1])
    sys.stdout.write(server.url + '\n')
    sys.stdout.flush()
    stop.wait(args.max_runtime or None)
    server.shutdown()
    server.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
