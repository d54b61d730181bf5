# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""An emulator of OneLogin's token API, for offline tests, demos and trying playbooks.

It follows OneLogin's documented behaviour (see docs/docsite/rst/guide_emulator.rst):

* ``POST /auth/oauth2/token`` (v1): a new token invalidates every older token of the credentials;
  the answer is wrapped in ``status`` + ``data[0]``.
* ``POST /auth/oauth2/v2/token`` (v2): the same token comes back until it expires or is revoked;
  flat answer. HTTP Basic, the ``client_id:..., client_secret:...`` header and a form body are accepted.
* ``POST /auth/oauth2/revoke``, ``GET /auth/rate_limit`` and ``GET /api/2/users`` (401 for an
  unknown, expired, invalidated or revoked token).
* The documented error bodies: 400 (content type, authorization, grant_type), 401, 404.

Counters for tests: ``GET /__emulator__/stats``; ``POST /__emulator__/reset`` clears tokens, counters and faults.

Fault injection: ``POST /__emulator__/faults`` with ``{"faults": [spec, ...]}`` queues faults; each POST to a token
endpoint takes the first one and serves it (an error status, a 429, a connection reset, a slow answer, an answer
trickled a byte at a time, an HTML page, an error inside a 200). ``GET /__emulator__/faults`` lists the queue;
``--fault SPEC`` queues faults at startup.

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
from urllib.parse import parse_qs, urlsplit

DEFAULT_LIFETIME = 36000
RATE_LIMIT = 5000

V1_TOKEN = '/auth/oauth2/token'
V2_TOKEN = '/auth/oauth2/v2/token'
REVOKE = '/auth/oauth2/revoke'
RATE = '/auth/rate_limit'
USERS = '/api/2/users'
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

USERS_PAGE = [
    {'id': 1001, 'email': 'ada@example.com', 'firstname': 'Ada', 'lastname': 'Lovelace'},
    {'id': 1002, 'email': 'alan@example.com', 'firstname': 'Alan', 'lastname': 'Turing'},
    {'id': 1003, 'email': 'grace@example.com', 'firstname': 'Grace', 'lastname': 'Hopper'},
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


class State:
    """Credentials, tokens, counters and queued faults. Every method holds the lock."""

    def __init__(self, clients, lifetime=DEFAULT_LIFETIME, clock=time.time):
        self.clients = dict(clients)
        self.lifetime = lifetime
        self.clock = clock
        self.lock = threading.Lock()
        self.account_id = 555555
        self.reset()

    def reset(self):
        self.tokens = {}  # token -> {client_id, created, expires, valid, calls}
        self.faults = collections.deque()  # validated fault specs, served first in, first out
        self.counters = {
            'exchanges': 0, 'exchanges_v1': 0, 'exchanges_v2': 0, 'exchanges_ok': 0, 'exchanges_failed': 0,
            'tokens_minted': 0, 'revokes': 0, 'rate_limit_calls': 0,
            'api_200': 0, 'api_401': 0, 'faults_served': 0,
        }

    def stats(self):
        with self.lock:
            data = dict(self.counters)
            now = self.clock()
            data['valid_tokens'] = sum(1 for t in self.tokens.values() if t['valid'] and t['expires'] > now)
            data['token_lifetime'] = self.lifetime
            data['faults_queued'] = len(self.faults)
            return data

    def add_faults(self, specs):
        """Validate every spec, then queue them all (or none: ValueError); return the queue length."""
        checked = [validate_fault(spec) for spec in specs]
        with self.lock:
            self.faults.extend(checked)
            return len(self.faults)

    def queued_faults(self):
        with self.lock:
            return [dict(spec) for spec in self.faults]

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

    def _route(self, method):
        path = urlsplit(self.path).path.rstrip('/') or '/'
        if method == 'POST' and path in (V1_TOKEN, V2_TOKEN):
            fault = self.state.take_fault('v1' if path == V1_TOKEN else 'v2')
            if fault is not None:
                self.log_message('serving fault %s on %s', fault['fault'], path)
                if fault['fault'] not in LATE_FAULTS:
                    return self._serve_fault(fault)
                # Slow to answer, not to act: the request is handled now (a token is minted as usual),
                # its answer is held back or trickled. As with a real server, a client that gave up may
                # hold an older token than the server last issued.
                if fault['fault'] == 'slow':
                    self._hold = fault['delay']
                else:
                    self._trickle = fault['interval']
        routes = {
            ('POST', V1_TOKEN): self.token_v1, ('POST', V2_TOKEN): self.token_v2, ('POST', REVOKE): self.revoke,
            ('GET', RATE): self.rate_limit, ('GET', USERS): self.users,
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
        reset = 3600 - int(self.state.clock()) % 3600
        return self._send(200, dict(status_body(200, 'success', 'Success', error=False), data={
            'X-RateLimit-Limit': RATE_LIMIT, 'X-RateLimit-Remaining': max(0, RATE_LIMIT - info['calls']),
            'X-RateLimit-Reset': reset}))

    def users(self):
        token = _bearer(self.headers.get('Authorization'))
        info = self.state.use(token) if token else None
        if info is None:
            self.state.count('api_401')
            return self._send(401, {'message': 'Unauthorized', 'statusCode': 401, 'name': 'UnauthorizedError'})
        self.state.count('api_200')
        return self._send(200, USERS_PAGE, headers={
            'X-RateLimit-Limit': str(RATE_LIMIT), 'X-RateLimit-Remaining': str(max(0, RATE_LIMIT - info['calls']))})

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
        return self._send(200, {'queued': self.state.queued_faults()})

    def add_faults(self):
        raw = self._body()
        try:
            body = json.loads(raw.decode('utf-8') or 'null')
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict) or not isinstance(body.get('faults'), list):
            return self._send(400, {'error': True, 'message': 'the body must be {"faults": [spec, ...]}'})
        try:
            queued = self.state.add_faults(body['faults'])
        except ValueError as exc:
            return self._send(400, {'error': True, 'message': str(exc)})
        return self._send(200, {'queued': queued})


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


def start_in_thread(clients, lifetime=DEFAULT_LIFETIME, clock=time.time):
    """Start an emulator in a daemon thread of this process (for unit tests); return the server."""
    server = EmulatorServer(State(clients, lifetime=lifetime, clock=clock))
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


def parse_args(argv):
    parser = argparse.ArgumentParser(description='Emulator of the OneLogin token API, on 127.0.0.1.')
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
    state = State(clients, lifetime=args.token_lifetime)
    state.add_faults(args.faults)
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
