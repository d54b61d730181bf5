"""Unit tests of the HTTP client (``_client.exchange`` and ``_client.make_record``).

Successful exchanges run against the real OneLogin emulator serving in a thread. Everything the
emulator cannot be made to do (odd error shapes, redirects, slow answers, TLS) is played by a
small canned-answer HTTP server started on 127.0.0.1 by the ``stub`` fixture below, which also
records every request it receives so that the tests can check what went over the wire.
"""

from __future__ import annotations

import base64
import calendar
import datetime
import json
import secrets
import socket
import sys
import threading
import time
from urllib.parse import quote, quote_plus

import pytest
import requests

from ansible_collections.sso.onelogin.plugins.plugin_utils import _calls, _client, _scrub, _transport
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError
from ansible_collections.sso.onelogin.tests.unit.clock import FakeClock
from ansible_collections.sso.onelogin.tests.unit.plugins.plugin_utils.http_stubs import QuietHandler

V2_PATH = '/auth/oauth2/v2/token'
V1_PATH = '/auth/oauth2/token'
# The account id the emulator hands out with every token (tests/emulator/onelogin_emulator.py).
EMULATOR_ACCOUNT_ID = 555555
# A fixed controller time of a token request: 2024-05-01 12:00:00 UTC.
REQUESTED_AT = calendar.timegm((2024, 5, 1, 12, 0, 0, 0, 0, 0))


# -- small HTTP servers on 127.0.0.1: a canned-answer one, and others with a handler of their own ---------------

class _StubHandler(QuietHandler):
    def _answer(self):
        stub = self.server.stub
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        stub.requests.append({'method': self.command, 'path': self.path, 'headers': self.headers, 'body': body})
        if stub.hold:
            # A slow server: hold the answer back (cut short when the fixture ends).
            stub.release.wait(stub.hold)
        self.send_response(stub.status)
        for name, value in stub.headers.items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(stub.body)))
        self.end_headers()
        self.wfile.write(stub.body)


class StubServer:
    """Answers every request with one canned status, body and headers; records the requests."""

    def __init__(self, server):
        server.stub = self
        self.url = server.url
        self.requests = server.requests
        self.release = server.release
        self.status = 200
        self.body = b''
        self.headers = {}
        self.hold = 0

    def answer(self, status, body=b'', headers=None):
        """Set the canned answer. A dict or list body is sent as JSON."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode('utf-8')
            headers = {'Content-Type': 'application/json'} if headers is None else headers
        elif isinstance(body, str):
            body = body.encode('utf-8')
        self.status = status
        self.body = body
        self.headers = headers or {}


@pytest.fixture
def stub(serve):
    return StubServer(serve(_StubHandler))


@pytest.fixture
def tls_stub(serve, tls_context):
    """The stub behind TLS with a freshly made self-signed certificate for 127.0.0.1."""
    return StubServer(serve(_StubHandler, tls_context()))


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """Loopback requests must not be sent to a proxy of the developer's environment."""
    for name in ('HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('NO_PROXY', '127.0.0.1,localhost')
    monkeypatch.setenv('no_proxy', '127.0.0.1,localhost')


@pytest.fixture
def client_creds():
    """Fresh credentials and a token value that must never show up in a message."""
    return {'client_id': 'client-' + secrets.token_hex(6), 'client_secret': 'secret-' + secrets.token_hex(20),
            'token': 'tok' + secrets.token_hex(30)}


@pytest.fixture
def stub_settings(settings_for, stub, client_creds):
    def build(**values):
        values.setdefault('api_url', stub.url)
        return settings_for(**_login(client_creds), **values)
    return build


def _login(client_creds):
    """The client id and secret of ``client_creds``, as options."""
    return {'client_id': client_creds['client_id'], 'client_secret': client_creds['client_secret']}


def _fixed(moment):
    return lambda: moment


def _exchange_error(stub_settings, **values):
    """The message of the OneLoginError that a token exchange with ``stub_settings(**values)`` must raise."""
    with pytest.raises(OneLoginError) as excinfo:
        _client.exchange(stub_settings(**values))
    return str(excinfo.value)


def _assert_clean(message, client_creds):
    assert client_creds['client_secret'] not in message
    assert client_creds['token'] not in message


def _use_token(base_url, token):
    return requests.get(base_url + '/api/2/users', headers={'Authorization': 'Bearer %s' % token}, timeout=10)


# -- success against the real emulator ----------------------------------------------------------

@pytest.mark.parametrize('token_api', ['v2', 'v1'])
def test_exchange_against_emulator(emulator, settings_for, token_api):
    settings = settings_for(emulator, token_api=token_api)
    before = time.time()
    record = _client.exchange(settings, now=_fixed(before))
    after = time.time()

    assert set(record) == {'access_token', 'token_type', 'created_at', 'expires_at', 'account_id', 'api_url',
                           'token_api', 'client_id'}
    assert isinstance(record['access_token'], str) and record['access_token']
    assert record['token_type'] == 'bearer'
    assert record['account_id'] == EMULATOR_ACCOUNT_ID
    assert record['api_url'] == emulator.url
    assert record['token_api'] == token_api
    assert record['client_id'] == emulator.client_id
    # The emulator's tokens live 36000 s (OneLogin's documented lifetime) from their creation, which
    # lies between before and after (its created_at is rounded down to the millisecond).
    assert before - 1 + 36000 <= record['expires_at'] <= before + 36000
    created = calendar.timegm(time.strptime(record['created_at'], '%Y-%m-%dT%H:%M:%SZ'))
    assert int(before) - 1 <= created <= after

    stats = emulator.stats()
    assert stats['exchanges'] == 1
    assert stats['exchanges_ok'] == 1
    assert stats['exchanges_' + token_api] == 1
    assert stats['tokens_minted'] == 1
    # The token is the one the emulator knows: it works for an API call.
    assert _use_token(emulator.url, record['access_token']).status_code == 200


def test_exchange_v1_twice_gives_a_new_token_and_kills_the_old(emulator, settings_for):
    settings = settings_for(emulator, token_api='v1')
    first = _client.exchange(settings)
    second = _client.exchange(settings)
    assert first['access_token'] != second['access_token']
    assert _use_token(emulator.url, first['access_token']).status_code == 401
    assert _use_token(emulator.url, second['access_token']).status_code == 200
    assert emulator.stats()['exchanges_v1'] == 2


def test_exchange_wrong_secret_against_emulator(emulator, settings_for):
    wrong = 'wrong-' + secrets.token_hex(16)
    settings = settings_for(api_url=emulator.url, client_id=emulator.client_id, client_secret=wrong)
    with pytest.raises(OneLoginError) as excinfo:
        _client.exchange(settings)
    message = str(excinfo.value)
    assert 'HTTP 401 from %s%s' % (emulator.url, V2_PATH) in message
    assert '"Authentication Failure"' in message
    assert wrong not in message
    assert emulator.stats()['exchanges_failed'] == 1


# -- what goes over the wire ----------------------------------------------------------------------

def test_v2_request_uses_http_basic(stub, stub_settings, client_creds):
    stub.answer(200, {'access_token': client_creds['token'], 'expires_in': 36000, 'token_type': 'bearer'})
    _client.exchange(stub_settings(token_api='v2'))

    assert len(stub.requests) == 1
    sent = stub.requests[0]
    assert sent['method'] == 'POST'
    assert sent['path'] == V2_PATH
    pair = '%s:%s' % (client_creds['client_id'], client_creds['client_secret'])
    expected = base64.b64encode(pair.encode('ascii')).decode('ascii')
    assert sent['headers']['Authorization'] == 'Basic ' + expected
    assert sent['headers']['Content-Type'] == 'application/json'
    assert json.loads(sent['body'].decode('utf-8')) == {'grant_type': 'client_credentials'}


def test_v1_request_uses_the_client_id_header(stub, stub_settings, client_creds):
    stub.answer(200, {'status': {'error': False, 'code': 200, 'type': 'success', 'message': 'Success'},
                      'data': [{'access_token': client_creds['token'], 'expires_in': 36000, 'token_type': 'bearer'}]})
    _client.exchange(stub_settings(token_api='v1'))

    assert len(stub.requests) == 1
    sent = stub.requests[0]
    assert sent['method'] == 'POST'
    assert sent['path'] == V1_PATH
    assert sent['headers']['Authorization'] == 'client_id:%s, client_secret:%s' % (client_creds['client_id'],
                                                                                   client_creds['client_secret'])
    assert len(sent['headers'].get_all('Authorization')) == 1
    assert sent['headers']['Content-Type'] == 'application/json'
    assert json.loads(sent['body'].decode('utf-8')) == {'grant_type': 'client_credentials'}


@pytest.mark.parametrize('token_api, wrap', [('v2', False), ('v1', True)])
def test_exchange_parses_flat_and_wrapped_answers(stub, stub_settings, client_creds, token_api, wrap):
    payload = {'access_token': client_creds['token'], 'created_at': '2024-05-01T11:30:00.250Z', 'expires_in': 36000,
               'refresh_token': 'refresh-' + secrets.token_hex(8), 'token_type': 'bearer', 'account_id': 4242}
    body = {'status': {'error': False, 'code': 200, 'type': 'success', 'message': 'Success'}, 'data': [payload]} \
        if wrap else payload
    stub.answer(200, body)
    record = _client.exchange(stub_settings(token_api=token_api), now=_fixed(REQUESTED_AT))
    assert record == {
        'access_token': client_creds['token'],
        'token_type': 'bearer',
        'created_at': '2024-05-01T11:30:00Z',
        'expires_at': REQUESTED_AT - 1800 + 0.25 + 36000,
        'account_id': 4242,
        'api_url': stub.url,
        'token_api': token_api,
        'client_id': client_creds['client_id'],
    }


# -- OneLogin's error shapes ----------------------------------------------------------------------

def _status_error(code, kind, message, token=None):
    body = {'status': {'error': True, 'code': code, 'type': kind, 'message': message}}
    if token:
        body['data'] = [{'access_token': token, 'expires_in': 36000}]
    return body


CREDENTIAL_HINTS = ('client_id', 'client_secret', 'ONELOGIN_CLIENT_ID', 'ONELOGIN_CLIENT_SECRET')
HOST_HINTS = ('ONELOGIN_API_URL', 'ONELOGIN_SUBDOMAIN', 'ONELOGIN_REGION', 'ONELOGIN_TOKEN_API')

ERROR_CASES = [
    # id, HTTP status, body (callable of the token), expected code, OneLogin's words, hints
    ('v1-status-401', 401, lambda t: _status_error(401, 'Unauthorized', 'Authentication Failure'),
     401, 'Authentication Failure', CREDENTIAL_HINTS),
    ('status-error-in-http-200', 200, lambda t: _status_error(401, 'Unauthorized', 'Authentication Failure', t),
     401, 'Authentication Failure', CREDENTIAL_HINTS),
    ('status-error-code-as-string-in-http-200', 200,
     lambda t: {'status': {'error': 'true', 'code': '403', 'type': 'Forbidden', 'message': 'Not allowed'}},
     403, 'Not allowed', ('admin portal',)),
    ('unauthorized-error', 401, lambda t: {'message': 'Unauthorized', 'statusCode': 401, 'name': 'UnauthorizedError'},
     401, 'Unauthorized', CREDENTIAL_HINTS),
    ('unauthorized-error-in-http-200', 200,
     lambda t: {'message': 'Unauthorized', 'statusCode': 401, 'name': 'UnauthorizedError'},
     401, 'Unauthorized', CREDENTIAL_HINTS),
    ('bad-request-error', 400,
     lambda t: {'status': 400, 'error': 'BadRequestError', 'description': 'grant_type is incorrect/absent'},
     400, 'grant_type is incorrect/absent', ('malformed', 'token_api', 'ONELOGIN_TOKEN_API')),
    ('oauth-error', 401, lambda t: {'error': 'invalid_client', 'error_description': 'Client authentication failed'},
     401, 'Client authentication failed', CREDENTIAL_HINTS),
    ('oauth-error-without-description', 400, lambda t: {'error': 'invalid_request'},
     400, 'invalid_request', ('token_api',)),
    ('not-found', 404, lambda t: _status_error(404, 'not found', 'No Route Exists'),
     404, 'No Route Exists', HOST_HINTS),
    ('rate-limited', 429, lambda t: {'message': 'Too Many Requests', 'statusCode': 429, 'name': 'TooManyRequests'},
     429, 'Too Many Requests', ('rate limiting', 'Wait')),
    ('internal-error', 500, lambda t: _status_error(500, 'Internal Server Error', 'Something went wrong'),
     500, 'Something went wrong', ('internal error', 'create a new credential')),
    ('unavailable-html', 503, lambda t: '<html><body>Service Unavailable</body></html>',
     503, None, ('unavailable', 'Try again later')),
    ('teapot-empty', 418, lambda t: b'', 418, None, ('ONELOGIN_API_URL',)),
]


@pytest.mark.parametrize('http_status, make_body, code, said, hints',
                         [case[1:] for case in ERROR_CASES], ids=[case[0] for case in ERROR_CASES])
def test_error_shapes(stub, stub_settings, client_creds, http_status, make_body, code, said, hints):
    body = make_body(client_creds['token'])
    stub.answer(http_status, body, headers=None if isinstance(body, dict) else {'Content-Type': 'text/html'})
    message = _exchange_error(stub_settings, retry_timeout=0)
    if code in (429, 500, 502, 503, 504):
        assert 'Retries are off' in message and 'ONELOGIN_RETRY_TIMEOUT' in message
    else:
        assert 'Retries are off' not in message

    assert 'HTTP %d from %s%s' % (code, stub.url, V2_PATH) in message
    if said is None:
        assert 'OneLogin said' not in message
    else:
        assert 'OneLogin said: "%s"' % said in message
    for hint in hints:
        assert hint in message
    _assert_clean(message, client_creds)
    assert len(stub.requests) == 1


def test_401_hint_names_the_tenant(stub, stub_settings):
    stub.answer(401, _status_error(401, 'Unauthorized', 'Authentication Failure'))
    with pytest.raises(OneLoginError) as excinfo:
        _client.exchange(stub_settings())
    assert 'belong to the tenant at %s.' % stub.url in str(excinfo.value)


def test_error_on_v1_names_the_v1_url(stub, stub_settings, client_creds):
    stub.answer(200, _status_error(401, 'Unauthorized', 'Authentication Failure', client_creds['token']))
    message = _exchange_error(stub_settings, token_api='v1')
    assert 'HTTP 401 from %s%s' % (stub.url, V1_PATH) in message
    _assert_clean(message, client_creds)


def test_secret_echoed_by_the_server_is_scrubbed(stub, stub_settings, client_creds):
    stub.answer(401, {'message': 'Unknown client secret %s' % client_creds['client_secret'], 'statusCode': 401})
    message = _exchange_error(stub_settings)
    assert 'Unknown client secret ********' in message
    _assert_clean(message, client_creds)


@pytest.mark.parametrize('http_status', [301, 302, 307, 308])
def test_redirect_is_refused_and_not_followed(stub, stub_settings, client_creds, http_status):
    target = stub.url + '/elsewhere'
    stub.answer(http_status, b'', headers={'Location': target})
    message = _exchange_error(stub_settings)
    assert 'redirect (HTTP %d to %s)' % (http_status, target) in message
    assert 'ONELOGIN_API_URL' in message
    _assert_clean(message, client_creds)
    # Not followed: the stub saw the token request and nothing else.
    assert [(r['method'], r['path']) for r in stub.requests] == [('POST', V2_PATH)]


def test_non_json_200_body(stub, stub_settings, client_creds):
    stub.answer(200, '<html>login page %s %s</html>' % (client_creds['client_secret'], client_creds['token']),
                headers={'Content-Type': 'text/html; charset=utf-8'})
    message = _exchange_error(stub_settings)
    assert 'answered HTTP 200 with a body that is not JSON (text/html; charset=utf-8)' in message
    assert 'ONELOGIN_TOKEN_API' in message
    _assert_clean(message, client_creds)


@pytest.mark.parametrize('body', [{'status': {'error': False, 'code': 200}, 'data': []}, {'token': 'x'}, []],
                         ids=['empty-data', 'other-keys', 'list'])
def test_json_200_without_access_token(stub, stub_settings, client_creds, body):
    stub.answer(200, body)
    message = _exchange_error(stub_settings)
    assert 'answered HTTP 200 with JSON without an access_token' in message
    assert 'ONELOGIN_API_URL' in message
    _assert_clean(message, client_creds)


@pytest.mark.parametrize('body, words', [
    ({'access_token': '', 'expires_in': 36000}, 'without an access token'),
    ({'access_token': None, 'expires_in': 36000}, 'without an access token'),
    ({'access_token': 'TOKEN', 'expires_in': 'soon'}, 'without a valid expires_in'),
    ({'access_token': 'TOKEN'}, 'without a valid expires_in'),
], ids=['empty-token', 'null-token', 'garbage-expires-in', 'no-expires-in'])
def test_incomplete_token_answer(stub, stub_settings, client_creds, body, words):
    if body.get('access_token') == 'TOKEN':
        body = dict(body, access_token=client_creds['token'])
    stub.answer(200, body)
    message = _exchange_error(stub_settings)
    assert words in message
    _assert_clean(message, client_creds)


# -- transport failures ---------------------------------------------------------------------------

def test_a_refused_connection_was_not_sent_and_a_lost_answer_may_have_been(stub, settings_for, client_creds):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    url = 'http://127.0.0.1:%d' % sock.getsockname()[1]
    sock.close()
    with pytest.raises(_transport.Passing) as refused:
        _transport.send(settings_for(api_url=url, **_login(client_creds)), 'POST', url + '/api/2/users', 'API request',
                        (), {})
    assert refused.value.sent is False  # safe to send again, even a POST
    stub.hold = 5
    with pytest.raises(_transport.Passing) as lost:
        _transport.send(settings_for(api_url=stub.url, timeout=1, **_login(client_creds)), 'POST',
                        stub.url + '/api/2/users', 'API request', (), {})
    assert lost.value.sent is True and len(stub.requests) == 1  # it arrived: a POST must not be repeated


def test_connection_refused(settings_for, client_creds):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    url = 'http://127.0.0.1:%d' % port
    settings = settings_for(api_url=url, **_login(client_creds),
                            token_api='v1', retry_timeout=0)
    with pytest.raises(OneLoginError) as excinfo:
        _client.exchange(settings)
    message = str(excinfo.value)
    assert message.startswith('Could not reach OneLogin at %s%s (ConnectionError: ' % (url, V1_PATH))
    assert 'connection refused' in message.lower()
    assert 'ONELOGIN_API_URL' in message
    _assert_clean(message, client_creds)
    assert excinfo.value.__cause__ is None and excinfo.value.__suppress_context__


def test_read_timeout(stub, stub_settings, client_creds):
    # Were the timeout option ignored, this valid answer would arrive (after 5 s) and no error be raised.
    stub.answer(200, {'access_token': client_creds['token'], 'expires_in': 36000})
    stub.hold = 5
    with pytest.raises(OneLoginError) as excinfo:
        _client.exchange(stub_settings(timeout=1, retry_timeout=0))
    message = str(excinfo.value)
    assert message.startswith('OneLogin did not answer the token request to %s%s within 1 s.' % (stub.url, V2_PATH))
    assert 'ONELOGIN_TIMEOUT' in message
    _assert_clean(message, client_creds)
    assert excinfo.value.__cause__ is None and excinfo.value.__suppress_context__
    assert len(stub.requests) == 1


def test_tls_certificate_not_trusted(tls_stub, settings_for, client_creds):
    tls_stub.answer(200, {'access_token': client_creds['token'], 'expires_in': 36000})
    settings = settings_for(api_url=tls_stub.url, **_login(client_creds))
    with pytest.raises(OneLoginError) as excinfo:
        _client.exchange(settings)
    message = str(excinfo.value)
    assert message.startswith('The TLS connection to %s failed' % tls_stub.url)
    assert 'ONELOGIN_VALIDATE_CERTS' in message
    _assert_clean(message, client_creds)
    assert excinfo.value.__cause__ is None and excinfo.value.__suppress_context__
    # Refused during the handshake: no request (and so no credential) reached the server.
    assert tls_stub.requests == []


@pytest.mark.filterwarnings('ignore:Unverified HTTPS request')
def test_tls_validate_certs_off(tls_stub, settings_for, client_creds):
    tls_stub.answer(200, {'access_token': client_creds['token'], 'expires_in': 36000})
    settings = settings_for(api_url=tls_stub.url, **_login(client_creds),
                            validate_certs=False)
    record = _client.exchange(settings)
    assert record['access_token'] == client_creds['token']
    assert [r['path'] for r in tls_stub.requests] == [V2_PATH]


def test_requests_missing(monkeypatch, stub, stub_settings):
    monkeypatch.setattr(_transport, 'HAS_REQUESTS', False)
    monkeypatch.setattr(_transport, 'REQUESTS_IMPORT_ERROR', ImportError("No module named 'requests'"))
    monkeypatch.setattr(_transport, 'requests', None)
    message = _exchange_error(stub_settings)
    assert 'python -m pip install requests' in message
    assert "No module named 'requests'" in message
    assert stub.requests == []


# -- expiry arithmetic ----------------------------------------------------------------------------

@pytest.fixture
def plain_settings(settings_for):
    return settings_for(api_url='https://acme.onelogin.com', client_id='cid', client_secret='not-used-here')


@pytest.mark.parametrize('created_at, expires_at, shown', [
    # Created ten minutes before the request (v2 hands back an older token): expiry from creation.
    ('2024-05-01T11:50:00.000Z', REQUESTED_AT - 600 + 36000, '2024-05-01T11:50:00Z'),
    ('2024-05-01T13:50:00+02:00', REQUESTED_AT - 600 + 36000, '2024-05-01T11:50:00Z'),
    # Created "in the future" (controller clock behind OneLogin's): capped at a lifetime after the request.
    ('2024-05-01T12:05:00.000Z', REQUESTED_AT + 36000, '2024-05-01T12:05:00Z'),
    # No usable created_at: a lifetime after the request.
    (None, REQUESTED_AT + 36000, '2024-05-01T12:00:00Z'),
    ('yesterday', REQUESTED_AT + 36000, '2024-05-01T12:00:00Z'),
    (1714564800, REQUESTED_AT + 36000, '2024-05-01T12:00:00Z'),
], ids=['created-earlier', 'created-earlier-offset', 'created-in-future', 'missing', 'garbage', 'not-a-string'])
def test_make_record_expiry(plain_settings, created_at, expires_at, shown):
    payload = {'access_token': 'abc', 'expires_in': 36000}
    if created_at is not None:
        payload['created_at'] = created_at
    record = _client.make_record(payload, plain_settings, REQUESTED_AT)
    assert record['expires_at'] == expires_at
    assert isinstance(record['expires_at'], float)
    assert record['created_at'] == shown


def test_make_record_defaults(plain_settings):
    record = _client.make_record({'access_token': 'abc', 'expires_in': '600', 'account_id': '42'}, plain_settings,
                                 REQUESTED_AT)
    assert record == {
        'access_token': 'abc',
        'token_type': 'bearer',
        'created_at': '2024-05-01T12:00:00Z',
        'expires_at': float(REQUESTED_AT + 600),
        'account_id': None,
        'api_url': 'https://acme.onelogin.com',
        'token_api': 'v2',
        'client_id': 'cid',
    }


# -- hardening found by review -------------------------------------------------------------------

@pytest.mark.parametrize('where', ['location', 'content-type'])
def test_secret_in_answer_headers_is_scrubbed(stub, stub_settings, client_creds, where):
    if where == 'location':
        stub.answer(302, b'', headers={'Location': 'https://x.example/?s=%s' % client_creds['client_secret']})
    else:
        stub.answer(200, b'<html>', headers={'Content-Type': 'text/html; %s' % client_creds['client_secret']})
    with pytest.raises(OneLoginError) as excinfo:
        _client.exchange(stub_settings())
    assert '********' in str(excinfo.value)
    _assert_clean(str(excinfo.value), client_creds)


@pytest.mark.parametrize('code', [200, 0, None])
def test_error_envelope_with_a_success_code_is_still_an_error(stub, stub_settings, client_creds, code):
    stub.answer(200, {'status': {'error': True, 'code': code, 'message': 'Nope'},
                      'data': [{'access_token': client_creds['token'], 'expires_in': 36000}]})
    with pytest.raises(OneLoginError) as excinfo:
        _client.exchange(stub_settings())
    assert 'OneLogin said: "Nope"' in str(excinfo.value)
    _assert_clean(str(excinfo.value), client_creds)


def test_deeply_nested_json_is_a_clear_error_not_a_crash(stub, stub_settings, client_creds):
    stub.answer(200, b'[' * 100000 + b']' * 100000, headers={'Content-Type': 'application/json'})
    with pytest.raises(OneLoginError) as excinfo:
        _client.exchange(stub_settings())
    assert 'not JSON' in str(excinfo.value)


@pytest.mark.parametrize('expires_in', [-5, 0, True, 'soon', None])
def test_a_lifetime_that_is_not_a_positive_number_is_refused(stub, stub_settings, client_creds, expires_in):
    stub.answer(200, {'access_token': client_creds['token'], 'expires_in': expires_in})
    with pytest.raises(OneLoginError) as excinfo:
        _client.exchange(stub_settings())
    assert 'expires_in' in str(excinfo.value)
    _assert_clean(str(excinfo.value), client_creds)


class _StallingHandler(QuietHandler):
    """Sends the headers of a JSON answer, then holds the body back until released."""

    def _answer(self):
        self.rfile.read(int(self.headers.get('Content-Length') or 0))
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', '100')
        self.end_headers()
        self.wfile.flush()
        self.server.release.wait(10)


def test_a_body_that_stalls_after_the_headers_is_reported_as_a_timeout(serve, settings_for, client_creds):
    settings = settings_for(api_url=serve(_StallingHandler).url, timeout=1, retry_timeout=0, **_login(client_creds))
    with pytest.raises(OneLoginError) as excinfo:
        _client.exchange(settings)
    assert 'did not answer the token request' in str(excinfo.value)
    assert 'ONELOGIN_TIMEOUT' in str(excinfo.value)


# -- bounded retries, against the emulator's fault injection ---------------------------------------------------------

# The retry tests run the controller on tests/unit/clock.py's FakeClock started at the real time (the emulator
# stamps its answers with the real clock): its sleep advances it instead of waiting, and a retry loop that
# does not end fails the test after 200 waits.

def _ceilings(count):
    # The documented schedule, written out: half a second, doubling, up to 8 s.
    return [min(8, 0.5 * 2 ** n) for n in range(count)]


def _assert_backoff(sleeps):
    for slept, ceiling in zip(sleeps, _ceilings(len(sleeps))):
        assert ceiling / 2 <= slept <= ceiling


PASSING_FAULTS = [
    ({'fault': 'status', 'code': 500}, 'HTTP 500'),
    ({'fault': 'status', 'code': 502}, 'HTTP 502'),
    ({'fault': 'status', 'code': 503}, 'HTTP 503'),
    ({'fault': 'status', 'code': 504}, 'HTTP 504'),
    ({'fault': 'rate_limited'}, 'HTTP 429'),
    ({'fault': 'error_200', 'code': 503}, 'in the body of an HTTP 200 answer'),
    ({'fault': 'reset'}, 'Could not reach OneLogin'),
    ({'fault': 'slow', 'delay': 3}, 'did not answer the token request'),
]
PASSING_IDS = [fault['fault'] + str(fault.get('code', '')) for fault, cause in PASSING_FAULTS]


@pytest.mark.parametrize('token_api', ['v2', 'v1'])
@pytest.mark.parametrize('fault, cause', PASSING_FAULTS, ids=PASSING_IDS)
def test_a_passing_failure_is_retried_after_a_backoff(emulator, settings_for, fault, cause, token_api):
    clock = FakeClock(time.time())
    emulator.inject(fault)
    record = _client.exchange(settings_for(emulator, token_api=token_api, timeout=1), now=clock, sleep=clock.sleep)
    stats = emulator.stats()
    assert stats['faults_served'] == 1 and stats['faults_queued'] == 0
    assert stats['exchanges'] == 2
    if not (fault['fault'] == 'slow' and token_api == 'v1'):
        # (A slow v1 answer was still a mint: the retry's token is the newer one and works.)
        assert _use_token(emulator.url, record['access_token']).status_code == 200
    assert len(clock.sleeps) == 1
    _assert_backoff(clock.sleeps)


@pytest.mark.parametrize('fault, cause', PASSING_FAULTS, ids=PASSING_IDS)
def test_when_retries_run_out_the_error_names_the_last_cause_and_the_tries(emulator, settings_for, fault, cause):
    clock = FakeClock(time.time())
    emulator.inject(*[fault] * 12)
    settings = settings_for(emulator, timeout=1, retry_timeout=5)
    with pytest.raises(OneLoginError) as excinfo:
        _client.exchange(settings, now=clock, sleep=clock.sleep)
    message = str(excinfo.value)
    tries = len(clock.sleeps) + 1
    assert cause in message
    assert 'Gave up after %d tries' % tries in message
    assert 'retry_timeout is 5 s' in message and 'ONELOGIN_RETRY_TIMEOUT' in message
    assert emulator.client_secret not in message
    # Waits of 0.25-0.5, 0.5-1, 1-2 and 2-4 s: three always fit in 5 s, five never do.
    assert sum(clock.sleeps) <= 5
    assert 4 <= tries <= 5
    _assert_backoff(clock.sleeps)
    assert emulator.stats()['exchanges'] == tries
    assert emulator.stats()['faults_queued'] == 12 - tries


def test_the_waits_grow_exponentially_up_to_a_ceiling(emulator, settings_for):
    clock = FakeClock(time.time())
    emulator.inject(*[{'fault': 'status', 'code': 503}] * 9)
    record = _client.exchange(settings_for(emulator, retry_timeout=60), now=clock, sleep=clock.sleep)
    assert record['access_token']
    assert len(clock.sleeps) == 9
    _assert_backoff(clock.sleeps)
    # The documented ceiling of 8 s (docs of retry_timeout), as a literal: no wait is ever longer.
    assert max(clock.sleeps) <= 8
    assert clock.sleeps[-1] >= 4


def test_the_waits_are_jittered(emulator, settings_for):
    emulator.inject(*[{'fault': 'status', 'code': 502}] * 6)
    first, second = FakeClock(time.time()), FakeClock(time.time())
    _client.exchange(settings_for(emulator), now=first, sleep=first.sleep)
    emulator.inject(*[{'fault': 'status', 'code': 502}] * 6)
    _client.exchange(settings_for(emulator), now=second, sleep=second.sleep)
    # Six uniform draws each agreeing to the microsecond would mean there is no jitter.
    assert [round(s, 6) for s in first.sleeps] != [round(s, 6) for s in second.sleeps]


def test_retry_after_is_honoured(emulator, settings_for):
    clock = FakeClock(time.time())
    emulator.inject({'fault': 'rate_limited', 'retry_after': 7})
    record = _client.exchange(settings_for(emulator), now=clock, sleep=clock.sleep)
    assert record['access_token']
    assert clock.sleeps == [7.0]


def test_a_retry_after_beyond_the_budget_fails_at_once(emulator, settings_for):
    clock = FakeClock(time.time())
    emulator.inject({'fault': 'rate_limited', 'retry_after': 120})
    with pytest.raises(OneLoginError) as excinfo:
        _client.exchange(settings_for(emulator, retry_timeout=30), now=clock, sleep=clock.sleep)
    message = str(excinfo.value)
    assert 'HTTP 429' in message
    assert 'asked to wait 120 s before trying again (Retry-After)' in message
    assert 'ONELOGIN_RETRY_TIMEOUT' in message
    assert clock.sleeps == []
    assert emulator.stats()['exchanges'] == 1


@pytest.mark.parametrize('fault, code', [
    ({'fault': 'status', 'code': 400}, 400),
    ({'fault': 'status', 'code': 401}, 401),
    ({'fault': 'status', 'code': 403}, 403),
    ({'fault': 'status', 'code': 404}, 404),
    ({'fault': 'error_200', 'code': 401}, 401),
])
def test_refusals_are_never_retried(emulator, settings_for, fault, code):
    clock = FakeClock(time.time())
    emulator.inject(fault)
    with pytest.raises(OneLoginError) as excinfo:
        _client.exchange(settings_for(emulator), now=clock, sleep=clock.sleep)
    assert 'HTTP %d from' % code in str(excinfo.value)
    assert 'Gave up' not in str(excinfo.value)
    assert clock.sleeps == []
    assert emulator.stats()['exchanges'] == 1


def test_wrong_credentials_are_not_retried(emulator, settings_for):
    clock = FakeClock(time.time())
    settings = settings_for(api_url=emulator.url, client_id=emulator.client_id, client_secret='wrong-secret-value')
    with pytest.raises(OneLoginError):
        _client.exchange(settings, now=clock, sleep=clock.sleep)
    assert clock.sleeps == []
    assert emulator.stats()['exchanges'] == 1


def test_a_non_json_answer_is_an_error_without_retries(emulator, settings_for):
    clock = FakeClock(time.time())
    emulator.inject({'fault': 'not_json'})
    with pytest.raises(OneLoginError) as excinfo:
        _client.exchange(settings_for(emulator), now=clock, sleep=clock.sleep)
    assert 'answered HTTP 200 with a body that is not JSON (text/html' in str(excinfo.value)
    assert clock.sleeps == []
    assert emulator.stats()['exchanges'] == 1


def test_retry_timeout_zero_makes_one_try(emulator, settings_for):
    clock = FakeClock(time.time())
    emulator.inject({'fault': 'status', 'code': 503})
    with pytest.raises(OneLoginError) as excinfo:
        _client.exchange(settings_for(emulator, retry_timeout=0), now=clock, sleep=clock.sleep)
    assert 'Retries are off' in str(excinfo.value)
    assert clock.sleeps == []
    assert emulator.stats()['exchanges'] == 1


@pytest.mark.parametrize('header, expected', [('12', 12.0), ('0', 0.0), ('', None), ('soon', None)])
def test_retry_after_values(header, expected):
    response = requests.Response()
    response.headers['Retry-After'] = header
    assert _calls.retry_after(response) == expected


def test_retry_after_as_an_http_date():
    response = requests.Response()
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=90)
    response.headers['Retry-After'] = when.strftime('%a, %d %b %Y %H:%M:%S GMT')
    assert 80 <= _calls.retry_after(response) <= 90


# -- revoke and rate limit -------------------------------------------------------------------------------------------

def test_revoke_makes_the_token_stop_working(emulator, settings_for):
    settings = settings_for(emulator)
    token = _client.exchange(settings)['access_token']
    assert _use_token(emulator.url, token).status_code == 200
    _client.revoke(settings, token)
    assert _use_token(emulator.url, token).status_code == 401
    assert emulator.stats()['revokes'] == 1


def test_revoke_sends_the_documented_request(stub, stub_settings, client_creds):
    stub.answer(200, {'status': {'error': False, 'code': 200, 'type': 'success', 'message': 'Success'}})
    _client.revoke(stub_settings(), client_creds['token'])
    [request] = stub.requests
    assert (request['method'], request['path']) == ('POST', '/auth/oauth2/revoke')
    assert request['headers']['Authorization'] == 'client_id:%s, client_secret:%s' % (client_creds['client_id'],
                                                                                      client_creds['client_secret'])
    assert request['headers']['Content-Type'] == 'application/json'
    assert json.loads(request['body']) == {'access_token': client_creds['token']}


def test_a_refused_revoke_names_the_credentials_and_hides_the_token(stub, stub_settings, client_creds):
    stub.answer(401, {'status': {'error': True, 'code': 401, 'type': 'Unauthorized',
                                 'message': 'Authentication Failure for %s' % client_creds['token']}})
    with pytest.raises(OneLoginError) as excinfo:
        _client.revoke(stub_settings(), client_creds['token'])
    message = str(excinfo.value)
    assert message.startswith('OneLogin refused the revoke request (HTTP 401 from %s/auth/oauth2/revoke)' % stub.url)
    assert 'ONELOGIN_CLIENT_SECRET' in message
    _assert_clean(message, client_creds)


def test_rate_limit_against_the_emulator(emulator, settings_for):
    settings = settings_for(emulator)
    token = _client.exchange(settings)['access_token']
    for unused in range(3):
        assert _use_token(emulator.url, token).status_code == 200
    limit = _client.rate_limit(settings, token)
    emulator_module = sys.modules['onelogin_emulator']
    assert limit['limit'] == emulator_module.RATE_LIMIT
    # The three calls above; asking the rate limit does not take from the account's bucket.
    assert limit['remaining'] == emulator_module.RATE_LIMIT - 3
    assert 0 < limit['reset'] <= 3600
    assert emulator.stats()['exchanges'] == 1


def test_rate_limit_sends_the_documented_header(stub, stub_settings, client_creds):
    stub.answer(200, {'status': {'error': False, 'code': 200}, 'data': {
        'X-RateLimit-Limit': 5000, 'X-RateLimit-Remaining': '4988', 'X-RateLimit-Reset': 832}})
    answer = _client.rate_limit(stub_settings(), client_creds['token'])
    assert answer == {'limit': 5000, 'remaining': 4988, 'reset': 832}
    [request] = stub.requests
    assert (request['method'], request['path']) == ('GET', '/auth/rate_limit')
    assert request['headers']['Authorization'] == 'bearer:%s' % client_creds['token']


def test_rate_limit_with_a_dead_token_explains_why(emulator, settings_for):
    settings = settings_for(emulator, token_api='v1')
    old = _client.exchange(settings)['access_token']
    _client.exchange(settings)  # a newer v1 token invalidates the old one
    with pytest.raises(OneLoginError) as excinfo:
        _client.rate_limit(settings, old)
    message = str(excinfo.value)
    assert 'HTTP 401' in message and 'invalidated by a newer token' in message and 'force: true' in message
    assert old not in message


@pytest.mark.parametrize('body', [{'status': {'error': False, 'code': 200}}, {'data': {'X-RateLimit-Limit': 1}},
                                  '<html>maintenance</html>'], ids=['no-data', 'partial-data', 'html'])
def test_an_odd_rate_limit_answer_is_a_clear_error(stub, stub_settings, client_creds, body):
    stub.answer(200, body, headers=None if isinstance(body, dict) else {'Content-Type': 'text/html'})
    with pytest.raises(OneLoginError) as excinfo:
        _client.rate_limit(stub_settings(), client_creds['token'])
    message = str(excinfo.value)
    assert message.startswith('The rate limit endpoint %s/auth/rate_limit answered HTTP 200 with ' % stub.url)
    _assert_clean(message, client_creds)


# -- D5: a Retry-After of 0 (or in the past) is no licence for a tight loop ------------------------------------------

def test_a_retry_after_of_zero_still_waits_at_least_a_second(emulator, settings_for):
    clock = FakeClock(time.time())
    emulator.inject(*[{'fault': 'rate_limited', 'retry_after': 0}] * 40)
    with pytest.raises(OneLoginError) as excinfo:
        _client.exchange(settings_for(emulator, retry_timeout=10), now=clock, sleep=clock.sleep)
    assert 'HTTP 429' in str(excinfo.value) and 'Gave up after' in str(excinfo.value)
    assert clock.sleeps and min(clock.sleeps) >= 1
    # Never sooner than the backoff schedule either: 1, 1, 1-2, 2-4, 4-8 s.
    for slept, ceiling in zip(clock.sleeps, _ceilings(len(clock.sleeps))):
        assert slept >= ceiling / 2
    # At least a second between tries within 10 s: at most 11 requests (in fact 5 or 6).
    assert emulator.stats()['exchanges'] == len(clock.sleeps) + 1 <= 11


def test_a_retry_after_date_in_the_past_still_waits_at_least_a_second(stub, stub_settings):
    stub.answer(429, {'message': 'Too Many Requests', 'statusCode': 429},
                headers={'Content-Type': 'application/json', 'Retry-After': 'Wed, 21 Oct 2015 07:28:00 GMT'})
    clock = FakeClock(time.time())
    with pytest.raises(OneLoginError) as excinfo:
        _client.exchange(stub_settings(retry_timeout=10), now=clock, sleep=clock.sleep)
    assert 'Gave up after' in str(excinfo.value)
    assert clock.sleeps and min(clock.sleeps) >= 1
    assert len(stub.requests) == len(clock.sleeps) + 1 <= 11


@pytest.mark.parametrize('header', ['9' * 400, 'Fri, 31 Dec 9999 23:59:59 GMT'], ids=['digits', 'year-9999'])
def test_a_huge_retry_after_fails_at_once_without_overflow(stub, stub_settings, header):
    stub.answer(429, {'message': 'Too Many Requests'}, headers={'Content-Type': 'application/json',
                                                                'Retry-After': header})
    clock = FakeClock(time.time())
    with pytest.raises(OneLoginError) as excinfo:
        _client.exchange(stub_settings(retry_timeout=30), now=clock, sleep=clock.sleep)
    assert 'before trying again (Retry-After), longer than retry_timeout (30 s) allows' in str(excinfo.value)
    assert clock.sleeps == [] and len(stub.requests) == 1


@pytest.mark.parametrize('header, expected', [('\u00b2', None), ('1' * 30, 1e7), ('-3', None), (' 5 ', 5.0)])
def test_odd_retry_after_values(header, expected):
    response = requests.Response()
    response.headers['Retry-After'] = header
    assert _calls.retry_after(response) == expected


# -- D6: every form in which a secret went over the wire is scrubbed -------------------------------------------------

class _EchoHandler(QuietHandler):
    """Refuses every request, echoing what it was sent: the Authorization header, the body, escaped secrets."""

    def _answer(self):
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0)).decode('utf-8')
        echoed = self.server.echoed
        words = 'zebra: you sent [%s] with [%s]; also %s | %s | %s | %s; quagga' % (
            self.headers.get('Authorization'), body, quote(echoed, safe=''), quote_plus(echoed), repr(echoed),
            json.dumps(echoed))
        payload = json.dumps({'message': words, 'statusCode': 401}).encode('utf-8')
        self.send_response(401)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def echo_server(serve):
    return serve(_EchoHandler)


# Printable ASCII that URL encoding, repr and JSON all change: each derived form differs from the secret.
ODD_SECRET = 'se/cr+et=\\\'"&' + secrets.token_hex(12)


def _secret_forms(secret):
    return {secret, quote(secret, safe=''), quote_plus(secret), repr(secret)[1:-1], json.dumps(secret)[1:-1]}


@pytest.mark.parametrize('call, token_api', [('exchange', 'v2'), ('exchange', 'v1'), ('revoke', 'v2'),
                                             ('rate_limit', 'v2')])
def test_what_the_client_sent_is_scrubbed_when_a_server_echoes_it(echo_server, settings_for, client_creds, call,
                                                                  token_api):
    client_id = client_creds['client_id']
    secret = ODD_SECRET
    settings = settings_for(api_url=echo_server.url, client_id=client_id, client_secret=secret, token_api=token_api)
    echo_server.echoed = client_creds['token'] if call != 'exchange' else secret
    with pytest.raises(OneLoginError) as excinfo:
        if call == 'exchange':
            _client.exchange(settings)
        else:
            getattr(_client, call)(settings, client_creds['token'])
    message = str(excinfo.value)
    basic = base64.b64encode(('%s:%s' % (client_id, secret)).encode('utf-8')).decode('ascii')
    for form in _secret_forms(secret) | _secret_forms(client_creds['token']) | _secret_forms(basic):
        assert form not in message, form
    # The server's own words are still there: only the secrets went.
    assert 'zebra: you sent [' in message and '********' in message
    if call != 'rate_limit':
        assert client_id in message or call == 'exchange' and token_api == 'v2'


def test_a_secret_at_the_cut_of_a_long_server_message_does_not_show_in_part(stub, stub_settings, client_creds):
    stub.answer(401, {'message': 'x' * 290 + client_creds['client_secret'], 'statusCode': 401})
    message = _exchange_error(stub_settings)
    assert client_creds['client_secret'][:10] not in message
    assert 'x' * 290 + '********' in message


# -- D8: bounds on a token's lifetime and creation time ----------------------------------------------------------------

@pytest.mark.parametrize('expires_in', [300000000000, '300000000000', 10 ** 40, 360001])
def test_an_absurd_lifetime_is_refused(stub, stub_settings, client_creds, expires_in):
    stub.answer(200, {'access_token': client_creds['token'], 'expires_in': expires_in})
    message = _exchange_error(stub_settings)
    assert 'expires_in' in message and 'more than the 360000' in message
    assert 'ONELOGIN_API_URL' in message
    _assert_clean(message, client_creds)


def test_the_longest_accepted_lifetime(plain_settings):
    record = _client.make_record({'access_token': 'abcd', 'expires_in': 360000}, plain_settings, REQUESTED_AT)
    assert record['expires_at'] == REQUESTED_AT + 360000


@pytest.mark.parametrize('created_at', ['9999-12-31T23:59:59Z', '0001-01-01T00:00:00Z', '0001-01-01T00:00:00+01:00',
                                        '9999-12-31T23:59:59-01:00', '1970-01-01T00:00:00Z'])
def test_a_creation_time_far_from_the_request_counts_as_absent(plain_settings, created_at):
    record = _client.make_record({'access_token': 'abcd', 'expires_in': 36000, 'created_at': created_at},
                                 plain_settings, REQUESTED_AT)
    assert record['expires_at'] == REQUESTED_AT + 36000
    assert record['created_at'] == '2024-05-01T12:00:00Z'


@pytest.mark.parametrize('field, value', [('token_type', 'bearer\nX: y'), ('token_type', 'b' * 100),
                                          ('account_id', True)])
def test_odd_token_fields_are_not_carried(plain_settings, field, value):
    record = _client.make_record({'access_token': 'abcd', 'expires_in': 36000, field: value}, plain_settings,
                                 REQUESTED_AT)
    assert record['token_type'] == 'bearer' and record['account_id'] is None


# -- D9: the whole request within the timeout, whatever the server trickles -------------------------------------------

class _TrickleHandler(QuietHandler):
    """Answers a byte every 0.3 s: the body (headers at once), or from the status line on (``trickle_head``)."""

    protocol_version = 'HTTP/1.1'

    def _answer(self):
        self.rfile.read(int(self.headers.get('Content-Length') or 0))
        self.server.requests.append(self.path)
        body = json.dumps({'access_token': 'tok' + 'a' * 100, 'expires_in': 36000}).encode('ascii')
        head = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n' % len(body)
        if self.server.trickle_head:
            slow, fast = head + body, b''
        else:
            slow, fast = body, head
        self.wfile.write(fast)
        self.wfile.flush()
        for index in range(len(slow)):
            if self.server.release.wait(0.3):
                return
            self.wfile.write(slow[index:index + 1])
            self.wfile.flush()


@pytest.fixture
def trickle_server(serve):
    server = serve(_TrickleHandler)
    server.trickle_head = False
    return server


def _bounded(function, *args, **kwargs):
    """``(seconds, outcome)`` of ``function`` run in a thread that must end within 10 s."""
    outcome = []

    def run():
        try:
            outcome.append(function(*args, **kwargs))
        except Exception as exc:  # pylint: disable=broad-except
            outcome.append(exc)

    started = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), 'the call still runs after 10 s'
    return time.monotonic() - started, outcome[0]


@pytest.mark.parametrize('trickle_head', [False, True], ids=['body', 'headers'])
def test_a_trickled_answer_is_cut_at_the_timeout(trickle_server, settings_for, client_creds, trickle_head):
    trickle_server.trickle_head = trickle_head
    settings = settings_for(api_url=trickle_server.url, client_id=client_creds['client_id'],
                            client_secret=client_creds['client_secret'], timeout=1, retry_timeout=0)
    elapsed, outcome = _bounded(_client.exchange, settings)
    assert isinstance(outcome, OneLoginError), repr(outcome)
    message = str(outcome)
    assert message.startswith('OneLogin did not answer the token request to %s%s within 1 s.'
                              % (trickle_server.url, V2_PATH))
    assert 'ONELOGIN_TIMEOUT' in message and 'Retries are off' in message
    assert elapsed < 2.5
    assert trickle_server.requests == [V2_PATH]


def test_a_trickled_answer_is_retried_within_retry_timeout(trickle_server, settings_for, client_creds):
    clock = FakeClock(time.time())
    settings = settings_for(api_url=trickle_server.url, client_id=client_creds['client_id'],
                            client_secret=client_creds['client_secret'], timeout=1, retry_timeout=1)
    elapsed, outcome = _bounded(_client.exchange, settings, now=clock, sleep=clock.sleep)
    assert isinstance(outcome, OneLoginError), repr(outcome)
    assert 'within 1 s' in str(outcome) and 'Gave up after' in str(outcome)
    assert len(trickle_server.requests) == len(clock.sleeps) + 1 >= 2
    assert elapsed < 1.5 * len(trickle_server.requests) + 1


def test_a_trickled_answer_from_the_emulator_is_cut_at_the_timeout(emulator, settings_for):
    emulator.inject({'fault': 'trickle', 'interval': 0.3})
    elapsed, outcome = _bounded(_client.exchange, settings_for(emulator, timeout=1, retry_timeout=0))
    assert isinstance(outcome, OneLoginError), repr(outcome)
    assert 'did not answer the token request' in str(outcome) and 'within 1 s' in str(outcome)
    assert elapsed < 2.5


def test_an_emulator_process_trickling_its_answer_is_retried(start_emulator, settings_for):
    running = start_emulator(process=True, args=('--fault', 'trickle:0.3'))
    clock = FakeClock(time.time())
    elapsed, outcome = _bounded(_client.exchange, settings_for(running, timeout=1), now=clock, sleep=clock.sleep)
    assert isinstance(outcome, dict), repr(outcome)
    assert len(clock.sleeps) == 1 and elapsed < 5


def test_an_oversized_answer_is_refused(stub, stub_settings, client_creds):
    stub.answer(200, b'{"access_token": "' + b'a' * (_transport.MAX_BODY + 10) + b'"}',
                headers={'Content-Type': 'application/json'})
    with pytest.raises(OneLoginError) as excinfo:
        _client.exchange(stub_settings())
    assert 'with a body larger than %d bytes' % (4 * 1024 * 1024) in str(excinfo.value)
    assert 'ONELOGIN_API_URL' in str(excinfo.value)


# -- D10: a token that cannot go into a header is refused, unseen ------------------------------------------------------

MALFORMED_TOKENS = ['TOKENPART1\nTOKENPART2', 'TOKENPART1\rTOKENPART2', 'TOKENPART1 TOKENPART2',
                    'TOKENPART1\x00TOKENPART2', 'TOKENPART1\u00e9TOKENPART2', 'TOKENPART1' * 1000]


@pytest.mark.parametrize('token', MALFORMED_TOKENS)
def test_a_server_handing_a_malformed_token_is_refused(stub, stub_settings, token):
    stub.answer(200, {'access_token': token, 'expires_in': 36000})
    message = _exchange_error(stub_settings)
    assert 'malformed access token (not shown)' in message and 'ONELOGIN_API_URL' in message
    assert 'TOKENPART' not in message


@pytest.mark.parametrize('call', ['revoke', 'rate_limit'])
@pytest.mark.parametrize('token', MALFORMED_TOKENS + [''])
def test_a_malformed_token_is_never_sent(stub, stub_settings, call, token):
    stub.answer(200, {'status': {'error': False, 'code': 200}})
    with pytest.raises(OneLoginError) as excinfo:
        getattr(_client, call)(stub_settings(), token)
    message = str(excinfo.value)
    assert 'is malformed (not shown)' in message and 'nothing was sent' in message
    assert 'TOKENPART' not in message
    assert stub.requests == []


# -- D11: messages are fixed text plus values --------------------------------------------------------------------------


# -- what is sent is what is scrubbed ---------------------------------------------------------------------------------

@pytest.mark.parametrize('call, token_api', [('exchange', 'v2'), ('exchange', 'v1'), ('revoke', 'v2'),
                                             ('rate_limit', 'v2')])
def test_a_netrc_entry_never_replaces_the_credentials(stub, stub_settings, client_creds, tmp_path, monkeypatch, call,
                                                      token_api):
    netrc = tmp_path / 'netrc'
    netrc.write_text('machine 127.0.0.1 login netrc-user password netrc-password\n')
    netrc.chmod(0o600)
    monkeypatch.setenv('NETRC', str(netrc))
    stub.answer(200, {'access_token': client_creds['token'], 'expires_in': 36000,
                      'status': {'error': False, 'code': 200},
                      'data': {'X-RateLimit-Limit': 1, 'X-RateLimit-Remaining': 1, 'X-RateLimit-Reset': 1}})
    settings = stub_settings(token_api=token_api)
    if call == 'exchange':
        _client.exchange(settings)
    else:
        getattr(_client, call)(settings, client_creds['token'])
    [request] = stub.requests
    sent = request['headers']['Authorization']
    assert 'netrc' not in sent and base64.b64encode(b'netrc-user:netrc-password').decode('ascii') not in sent
    expected = {'v2': 'Basic ' + _scrub.basic_credentials(client_creds['client_id'], client_creds['client_secret']),
                'v1': 'client_id:%s, client_secret:%s' % (client_creds['client_id'], client_creds['client_secret'])}
    if call == 'exchange':
        assert sent == expected[token_api]
    elif call == 'revoke':
        assert sent == expected['v1']
    else:
        assert sent == 'bearer:%s' % client_creds['token']
