"""Tests of the OneLogin emulator itself (tests/emulator/onelogin_emulator.py), over real HTTP.

The other tests trust the emulator to behave like OneLogin; these check that it does what its
documentation says. To stay fast, each module-scoped server serves every test and is reset (through
its own reset endpoint) before each one; the token lifetime tests use a fake clock, not sleeps.
"""

from __future__ import annotations

import base64
import calendar
import errno
import http.client
import json
import secrets
import socket
import threading
import time
import urllib.error
import urllib.parse

import pytest
import requests

from ansible_collections.sso.onelogin.tests.unit.clock import FakeClock


V1 = '/auth/oauth2/token'
V2 = '/auth/oauth2/v2/token'
REVOKE = '/auth/oauth2/revoke'
RATE = '/auth/rate_limit'
USERS = '/api/2/users'
STATS = '/__emulator__/stats'
RESET = '/__emulator__/reset'
FAULTS = '/__emulator__/faults'

UNAUTHORIZED_API_BODY = {'message': 'Unauthorized', 'statusCode': 401, 'name': 'UnauthorizedError'}
# The counters of the resource API, besides api_200 and api_401 (written out here, not read from the emulator).
API_COUNTERS = ('api_requests', 'api_get', 'api_post', 'api_put', 'api_patch', 'api_delete', 'api_201', 'api_204',
                'api_400', 'api_401_valid_token', 'api_404', 'api_405', 'api_422', 'api_429', 'api_5xx',
                'api_faults_served', 'api_faults_queued', 'users_created', 'users_deleted', 'users',
                'rate_limit_remaining')
DOCUMENTED_LIFETIME = 36000


class Emulator:
    """Requests to a RunningEmulator (tests/conftest.py) in a thread, through ``requests``, answers unchecked."""

    def __init__(self, running, clock=None):
        assert isinstance(running.url, str) and running.url.startswith('http://127.0.0.1:')
        self.running = running
        self.server = running.server
        self.url = running.url
        self.client_id = running.client_id
        self.client_secret = running.client_secret
        self.clock = clock

    def stop(self):
        self.running.stop()

    # -- raw calls -------------------------------------------------------------------------
    def request(self, method, path, **kwargs):
        # A fresh connection per call (a kept-alive one meets delayed ACKs and costs 40 ms a call),
        # and never through a proxy of the environment.
        with requests.Session() as session:
            session.trust_env = False
            return session.request(method, self.url + path, timeout=10, **kwargs)

    def post(self, path, **kwargs):
        return self.request('POST', path, **kwargs)

    def get(self, path, **kwargs):
        return self.request('GET', path, **kwargs)

    def stats(self):
        return self.get(STATS).json()

    # -- the usual requests ----------------------------------------------------------------
    def mint(self, api, secret=None):
        """A well-formed token request: v1 with OneLogin's header, v2 with HTTP Basic."""
        secret = self.client_secret if secret is None else secret
        if api == 'v1':
            headers = {'Authorization': 'client_id:%s, client_secret:%s' % (self.client_id, secret)}
            return self.post(V1, json={'grant_type': 'client_credentials'}, headers=headers)
        return self.post(V2, json={'grant_type': 'client_credentials'}, auth=(self.client_id, secret))

    def token(self, api):
        response = self.mint(api)
        assert response.status_code == 200, response.text
        body = response.json()
        return body['data'][0] if api == 'v1' else body

    def users(self, token):
        return self.get(USERS, headers={'Authorization': 'Bearer %s' % token})

    def inject(self, *specs):
        return self.post(FAULTS, json={'faults': list(specs)})

    def queued(self):
        response = self.get(FAULTS)
        assert response.status_code == 200
        return response.json()['queued']


@pytest.fixture(scope='module')
def shared_emulator(start_shared_emulator):
    return Emulator(start_shared_emulator())


@pytest.fixture
def emu(shared_emulator):
    """The module's emulator with no tokens and all counters at zero."""
    response = shared_emulator.post(RESET)
    assert response.status_code == 200 and response.json() == {'reset': True}
    return shared_emulator


# 2024-01-02 03:04:05 UTC: 245 seconds into its hour.
CLOCK_START = calendar.timegm((2024, 1, 2, 3, 4, 5, 0, 0, 0))
SHORT_LIFETIME = 600


@pytest.fixture(scope='module')
def shared_clocked_emulator(start_shared_emulator):
    clock = FakeClock(CLOCK_START)
    return Emulator(start_shared_emulator(clock=clock, lifetime=SHORT_LIFETIME), clock=clock)


@pytest.fixture
def clocked(shared_clocked_emulator):
    """An emulator whose tokens live 600 s on a fake clock set to CLOCK_START, freshly reset."""
    shared_clocked_emulator.clock.now = CLOCK_START
    assert shared_clocked_emulator.post(RESET).status_code == 200
    return shared_clocked_emulator


def _status(response):
    return response.json()['status']


# -- minting ------------------------------------------------------------------------------------

def test_v1_mint_invalidates_the_previous_token(emu):
    first = emu.token('v1')['access_token']
    assert emu.users(first).status_code == 200
    second = emu.token('v1')['access_token']
    assert second != first

    old = emu.users(first)
    assert old.status_code == 401
    assert old.json() == UNAUTHORIZED_API_BODY
    new = emu.users(second)
    assert new.status_code == 200
    assert [user['email'] for user in new.json()[:2]] == ['user00001@example.com', 'user00002@example.com']

    stats = emu.stats()
    assert (stats['exchanges_v1'], stats['tokens_minted'], stats['api_200'], stats['api_401']) == (2, 2, 2, 1)
    assert stats['valid_tokens'] == 1


def test_v1_answer_is_wrapped(emu):
    response = emu.mint('v1')
    assert response.status_code == 200
    body = response.json()
    assert body['status'] == {'error': False, 'code': 200, 'type': 'success', 'message': 'Success'}
    assert len(body['data']) == 1
    token = body['data'][0]
    assert token['token_type'] == 'bearer'
    assert token['expires_in'] == DOCUMENTED_LIFETIME
    assert isinstance(token['account_id'], int)
    assert token['access_token'] and token['refresh_token'] and token['access_token'] != token['refresh_token']


def test_v2_returns_the_same_token_again(emu):
    first = emu.mint('v2')
    second = emu.mint('v2')
    assert first.status_code == second.status_code == 200
    assert 'status' not in first.json()  # flat answer
    assert first.json()['access_token'] == second.json()['access_token']
    assert first.json()['created_at'] == second.json()['created_at']
    assert first.json()['expires_in'] == DOCUMENTED_LIFETIME
    assert emu.users(first.json()['access_token']).status_code == 200
    stats = emu.stats()
    assert (stats['exchanges'], stats['exchanges_v2'], stats['exchanges_ok'], stats['tokens_minted']) == (2, 2, 2, 1)


def test_v2_after_v1_hands_back_the_v1_token(emu):
    v1_token = emu.token('v1')['access_token']
    assert emu.token('v2')['access_token'] == v1_token


def test_v2_accepts_the_v1_header_and_a_form_body(emu):
    header = emu.post(V2, json={'grant_type': 'client_credentials'},
                      headers={'Authorization': 'client_id:%s, client_secret:%s' % (emu.client_id, emu.client_secret)})
    form = emu.post(V2, data={'grant_type': 'client_credentials', 'client_id': emu.client_id,
                              'client_secret': emu.client_secret})
    assert header.status_code == form.status_code == 200
    assert header.json()['access_token'] == form.json()['access_token']


def test_basic_credentials_are_decoded_as_utf8(start_emulator):
    # What the client sends (_scrub.basic_credentials): base64 of the UTF-8 of id:secret.
    client_id, client_secret = 'client-\u00e9t\u00e9', 'secret-\u00fcber-' + secrets.token_hex(8)
    server = start_emulator({client_id: client_secret})
    basic = base64.b64encode(('%s:%s' % (client_id, client_secret)).encode('utf-8')).decode('ascii')
    with requests.Session() as session:
        session.trust_env = False
        response = session.post(server.url + V2, json={'grant_type': 'client_credentials'}, timeout=10,
                                headers={'Authorization': 'Basic ' + basic})
    assert response.status_code == 200, response.text
    latin1 = base64.b64encode(('%s:%s' % (client_id, client_secret)).encode('latin-1')).decode('ascii')
    with requests.Session() as session:
        session.trust_env = False
        refused = session.post(server.url + V2, json={'grant_type': 'client_credentials'}, timeout=10,
                               headers={'Authorization': 'Basic ' + latin1})
    assert refused.status_code == 400  # not UTF-8: no credentials at all


def test_v1_refuses_a_form_body(emu):
    response = emu.post(V1, data={'grant_type': 'client_credentials', 'client_id': emu.client_id,
                                  'client_secret': emu.client_secret})
    assert response.status_code == 400
    assert 'Content Type' in _status(response)['message']


# -- the documented errors ------------------------------------------------------------------------

def _basic(client_id, secret):
    return 'Basic ' + base64.b64encode(('%s:%s' % (client_id, secret)).encode('ascii')).decode('ascii')


@pytest.mark.parametrize('path', [V1, V2])
def test_wrong_content_type(emu, path):
    response = emu.post(path, data='{"grant_type": "client_credentials"}',
                        headers={'Content-Type': 'text/plain', 'Authorization': _basic(emu.client_id, emu.client_secret)})
    assert response.status_code == 400
    status = _status(response)
    assert status['error'] is True and status['code'] == 400
    assert status['message'].startswith('Content Type is not specified or specified incorrectly')
    assert 'application/json' in status['message']


@pytest.mark.parametrize('path', [V1, V2])
def test_missing_authorization(emu, path):
    response = emu.post(path, json={'grant_type': 'client_credentials'})
    assert response.status_code == 400
    assert _status(response)['message'] == 'The authorization information is missing'


@pytest.mark.parametrize('path', [V1, V2])
@pytest.mark.parametrize('body', ['{"grant_type": "password"}', '{}', '', 'not json'],
                         ids=['wrong', 'absent', 'no-body', 'not-json'])
def test_wrong_grant_type(emu, path, body):
    response = emu.post(path, data=body, headers={'Content-Type': 'application/json',
                                                  'Authorization': _basic(emu.client_id, emu.client_secret)})
    assert response.status_code == 400
    assert _status(response)['message'] == 'grant_type is incorrect/absent'


@pytest.mark.parametrize('api', ['v1', 'v2'])
def test_wrong_secret(emu, api):
    response = emu.mint(api, secret='wrong-' + secrets.token_hex(8))
    assert response.status_code == 401
    assert _status(response) == {'error': True, 'code': 401, 'type': 'Unauthorized', 'message': 'Authentication Failure'}
    stats = emu.stats()
    assert (stats['exchanges'], stats['exchanges_failed'], stats['exchanges_ok'], stats['tokens_minted']) == (1, 1, 0, 0)


def test_unknown_client(emu):
    response = emu.post(V2, json={'grant_type': 'client_credentials'}, auth=('nobody', emu.client_secret))
    assert response.status_code == 401
    assert _status(response)['message'] == 'Authentication Failure'


@pytest.mark.parametrize('path', [V1, V2])
def test_get_on_the_token_url_is_404(emu, path):
    response = emu.get(path)
    assert response.status_code == 404
    assert _status(response)['message'] == 'No Route Exists'
    stats = emu.stats()
    assert (stats['exchanges'], stats['exchanges_failed']) == (1, 1)


def test_unknown_path_is_404_and_no_exchange(emu):
    response = emu.get('/api/2/nothing-here')
    assert response.status_code == 404
    assert response.json() == {'statusCode': 404, 'name': 'NotFoundError', 'message': 'Not Found'}
    elsewhere = emu.get('/auth/nothing-here')
    assert elsewhere.status_code == 404
    assert _status(elsewhere)['message'] == 'No Route Exists'
    stats = emu.stats()
    assert (stats['exchanges'], stats['api_404'], stats['api_requests']) == (0, 1, 1)


@pytest.mark.parametrize('authorization', [None, 'Bearer ', 'Basic abc', 'Bearer not-a-token'])
def test_api_call_without_a_good_token(emu, authorization):
    headers = {'Authorization': authorization} if authorization else {}
    response = emu.get(USERS, headers=headers)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED_API_BODY
    assert emu.stats()['api_401'] == 1


# -- revoke and rate limit ----------------------------------------------------------------------

def test_revoke(emu):
    token = emu.token('v2')['access_token']
    response = emu.post(REVOKE, json={'access_token': token}, auth=(emu.client_id, emu.client_secret))
    assert response.status_code == 200
    assert _status(response)['error'] is False

    after = emu.users(token)
    assert after.status_code == 401
    assert after.json() == UNAUTHORIZED_API_BODY
    rate = emu.get(RATE, headers={'Authorization': 'bearer:%s' % token})
    assert rate.status_code == 401
    # v2 then hands out a new token.
    fresh = emu.token('v2')['access_token']
    assert fresh != token
    assert emu.users(fresh).status_code == 200
    assert emu.stats()['revokes'] == 1


def test_revoke_needs_the_right_credentials(emu):
    token = emu.token('v2')['access_token']
    wrong = emu.post(REVOKE, json={'access_token': token}, auth=(emu.client_id, 'wrong-secret'))
    assert wrong.status_code == 401
    missing = emu.post(REVOKE, json={}, auth=(emu.client_id, emu.client_secret))
    assert missing.status_code == 400
    assert _status(missing)['message'] == 'Access Token Missing'
    assert emu.users(token).status_code == 200
    assert emu.stats()['revokes'] == 0


def test_rate_limit(clocked):
    token = clocked.token('v2')['access_token']
    first = clocked.get(RATE, headers={'Authorization': 'bearer:%s' % token})
    second = clocked.get(RATE, headers={'Authorization': 'Bearer %s' % token})
    assert first.status_code == second.status_code == 200
    data = first.json()['data']
    assert data == {'X-RateLimit-Limit': 5000, 'X-RateLimit-Remaining': 5000, 'X-RateLimit-Reset': 3600}
    # Asking does not take from the bucket; the API calls do, and the window runs from the first of them.
    assert second.json()['data'] == data
    assert clocked.users(token).status_code == 200
    clocked.clock.advance(245)
    assert clocked.users(token).status_code == 200
    third = clocked.get(RATE, headers={'Authorization': 'bearer:%s' % token})
    assert third.json()['data'] == {'X-RateLimit-Limit': 5000, 'X-RateLimit-Remaining': 4998,
                                    'X-RateLimit-Reset': 3355}
    assert clocked.stats()['rate_limit_calls'] == 3


def test_rate_limit_without_a_token(emu):
    response = emu.get(RATE)
    assert response.status_code == 400
    assert _status(response)['message'] == 'Authorization Information is incorrect'
    unknown = emu.get(RATE, headers={'Authorization': 'bearer:unknown'})
    assert unknown.status_code == 401


# -- counters and reset -------------------------------------------------------------------------

def test_counters_and_reset(emu):
    token = emu.token('v2')['access_token']
    assert emu.mint('v1', secret='wrong').status_code == 401
    assert emu.users(token).status_code == 200
    assert emu.users('not-a-token').status_code == 401

    stats = emu.stats()
    assert stats == dict(
        {name: 0 for name in API_COUNTERS},
        exchanges=2, exchanges_v1=1, exchanges_v2=1, exchanges_ok=1, exchanges_failed=1,
        tokens_minted=1, revokes=0, rate_limit_calls=0, api_200=1, api_401=1,
        valid_tokens=1, token_lifetime=DOCUMENTED_LIFETIME, faults_served=0, faults_queued=0,
        api_requests=2, api_get=2, users=300, rate_limit_remaining=4999,
    )

    reset = emu.post(RESET)
    assert reset.status_code == 200 and reset.json() == {'reset': True}
    cleared = emu.stats()
    assert cleared['users'] == 300 and cleared['rate_limit_remaining'] == 5000
    assert all(cleared[name] == 0 for name in cleared
               if name not in ('token_lifetime', 'users', 'rate_limit_remaining'))
    # Reset forgets the tokens too.
    assert emu.users(token).status_code == 401
    assert emu.stats()['api_401'] == 1


def _v2_token_or_none(emu):
    response = emu.mint('v2')
    return response.json().get('access_token') if response.status_code == 200 else None


def test_concurrent_v2_requests_share_one_token(emu):
    results = []
    threads = [threading.Thread(target=lambda: results.append(_v2_token_or_none(emu))) for dummy in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 8
    assert None not in results
    assert len(set(results)) == 1
    assert emu.stats()['tokens_minted'] == 1


# -- token lifetime, on a fake clock ----------------------------------------------------------------

def test_created_at_and_lifetime_follow_the_clock(clocked):
    token = clocked.token('v2')
    assert token['created_at'] == '2024-01-02T03:04:05.000Z'
    assert token['expires_in'] == SHORT_LIFETIME
    assert clocked.stats()['token_lifetime'] == SHORT_LIFETIME


def test_v2_token_expires_and_is_replaced(clocked):
    token = clocked.token('v2')['access_token']

    clocked.clock.advance(SHORT_LIFETIME - 1)
    assert clocked.users(token).status_code == 200
    assert clocked.token('v2')['access_token'] == token  # still the same while valid

    clocked.clock.advance(1)  # exactly the lifetime: expired
    expired = clocked.users(token)
    assert expired.status_code == 401
    assert expired.json() == UNAUTHORIZED_API_BODY
    assert clocked.stats()['valid_tokens'] == 0

    fresh = clocked.token('v2')
    assert fresh['access_token'] != token
    assert fresh['created_at'] == '2024-01-02T03:14:05.000Z'
    assert clocked.users(fresh['access_token']).status_code == 200
    assert clocked.users(token).status_code == 401
    assert clocked.stats()['tokens_minted'] == 2


def test_v1_token_expires(clocked):
    token = clocked.token('v1')['access_token']
    clocked.clock.advance(SHORT_LIFETIME - 1)
    assert clocked.users(token).status_code == 200
    clocked.clock.advance(1)
    assert clocked.users(token).status_code == 401


# -- fault injection --------------------------------------------------------------------------------

# The status envelope each injected error code should carry, written out here (not read from the emulator).
FAULT_TEXT = {
    401: ('Unauthorized', 'Authentication Failure'),
    500: ('Internal Server Error', 'Internal Server Error'),
    502: ('Bad Gateway', 'Bad Gateway'),
    503: ('Service Unavailable', 'Service Unavailable'),
    504: ('Gateway Timeout', 'Gateway Timeout'),
}
COUNTED = ('exchanges', 'exchanges_v1', 'exchanges_v2', 'exchanges_ok', 'exchanges_failed', 'tokens_minted',
           'faults_served', 'faults_queued')


def _counts(emu, **expected):
    """The counters named in COUNTED; those not in ``expected`` must be 0."""
    stats = emu.stats()
    assert {name: stats[name] for name in COUNTED} == dict({name: 0 for name in COUNTED}, **expected)


def _normal_token(emu, api):
    """A request without a fault left gets a working token, as usual."""
    response = emu.mint(api)
    assert response.status_code == 200, response.text
    body = response.json()
    token = body['data'][0] if api == 'v1' else body
    assert len(token['access_token']) == 64 and token['token_type'] == 'bearer'
    assert emu.users(token['access_token']).status_code == 200
    return token


def _is_reset(exc):
    """A TCP reset, not http.client's RemoteDisconnected (a ConnectionResetError subclass for a plain close)."""
    return isinstance(exc, ConnectionResetError) and exc.errno == errno.ECONNRESET


def _caused_by_reset(exc):
    """Whether a TCP reset is anywhere in the arguments or the chain of ``exc``."""
    stack, seen = [exc], set()
    while stack:
        item = stack.pop()
        if _is_reset(item):
            return True
        if isinstance(item, BaseException) and id(item) not in seen:
            seen.add(id(item))
            stack.extend(list(item.args) + [item.__cause__, item.__context__])
    return False


def _mint_with_timeout(emu, read_timeout):
    with requests.Session() as session:
        session.trust_env = False
        return session.post(emu.url + V2, json={'grant_type': 'client_credentials'},
                            auth=(emu.client_id, emu.client_secret), timeout=(10, read_timeout))


@pytest.mark.parametrize('api', ['v1', 'v2'])
@pytest.mark.parametrize('code', [500, 502, 503, 504])
def test_fault_status(emu, api, code):
    answer = emu.inject({'fault': 'status', 'code': code})
    assert answer.status_code == 200 and answer.json() == {'queued': 1}

    response = emu.mint(api)
    assert response.status_code == code
    assert response.headers['Content-Type'].split(';')[0] == 'application/json'
    kind, message = FAULT_TEXT[code]
    assert response.json() == {'status': {'error': True, 'code': code, 'type': kind, 'message': message}}
    _counts(emu, exchanges=1, exchanges_failed=1, faults_served=1, **{'exchanges_' + api: 1})

    _normal_token(emu, api)
    _counts(emu, exchanges=2, exchanges_ok=1, exchanges_failed=1, tokens_minted=1, faults_served=1,
            **{'exchanges_' + api: 2})


@pytest.mark.parametrize('code', [400, 404, 429, 599])
def test_fault_status_takes_any_error_code(emu, code):
    emu.inject({'fault': 'status', 'code': code})
    response = emu.mint('v2')
    assert response.status_code == code
    status = _status(response)
    assert status['error'] is True and status['code'] == code
    assert isinstance(status['type'], str) and status['type']
    assert isinstance(status['message'], str) and status['message']
    _normal_token(emu, 'v2')


@pytest.mark.parametrize('spec, header', [
    ({'fault': 'rate_limited', 'retry_after': 2}, '2'),
    ({'fault': 'rate_limited', 'retry_after': 0}, '0'),
    ({'fault': 'rate_limited'}, None),
    ({'fault': 'rate_limited', 'retry_after': None}, None),
], ids=['2s', '0s', 'absent', 'null'])
def test_fault_rate_limited(emu, spec, header):
    emu.inject(spec)
    response = emu.mint('v2')
    assert response.status_code == 429
    assert response.headers.get('Retry-After') == header
    status = _status(response)
    assert status['error'] is True and status['code'] == 429
    _counts(emu, exchanges=1, exchanges_v2=1, exchanges_failed=1, faults_served=1)
    _normal_token(emu, 'v2')


@pytest.mark.parametrize('api', ['v1', 'v2'])
def test_fault_reset(emu, api):
    emu.inject({'fault': 'reset'})
    with pytest.raises(requests.exceptions.ConnectionError) as caught:
        emu.mint(api)
    assert _caused_by_reset(caught.value), repr(caught.value)
    _counts(emu, exchanges=1, exchanges_failed=1, faults_served=1, **{'exchanges_' + api: 1})
    _normal_token(emu, api)


def test_fault_reset_sends_no_answer_at_all(emu):
    emu.inject({'fault': 'reset'})
    connection = http.client.HTTPConnection(emu.url[len('http://'):], timeout=10)
    try:
        connection.request('POST', V1, body=b'{"grant_type": "client_credentials"}',
                           headers={'Content-Type': 'application/json',
                                    'Authorization': _basic(emu.client_id, emu.client_secret)})
        with pytest.raises(ConnectionResetError) as caught:
            connection.getresponse()
        assert _is_reset(caught.value), repr(caught.value)
    finally:
        connection.close()
    _normal_token(emu, 'v1')


def test_fault_slow_makes_a_client_time_out(start_emulator):
    # A server of its own: the slow request may still be waiting when the test ends.
    emu = Emulator(start_emulator())
    emu.inject({'fault': 'slow', 'delay': 1.0})
    with pytest.raises(requests.exceptions.ReadTimeout):
        _mint_with_timeout(emu, 0.3)
    stats = emu.stats()
    assert (stats['faults_served'], stats['faults_queued']) == (1, 0)
    # It holds up only its own request.
    _normal_token(emu, 'v2')


@pytest.mark.parametrize('api', ['v1', 'v2'])
def test_fault_slow_then_answers_normally(emu, api):
    emu.inject({'fault': 'slow', 'delay': 0.05})
    started = time.monotonic()
    response = emu.mint(api)
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    body = response.json()
    token = body['data'][0]['access_token'] if api == 'v1' else body['access_token']
    assert emu.users(token).status_code == 200
    assert elapsed >= 0.045  # it did wait (a lower bound only: nothing waits on this)
    # A slow request counts as the normal request it becomes.
    _counts(emu, exchanges=1, exchanges_ok=1, tokens_minted=1, faults_served=1, **{'exchanges_' + api: 1})


class _WatchedEvent(threading.Event):
    """An Event that tells when somebody starts to wait on it."""

    def __init__(self):
        super().__init__()
        self.waited_on = threading.Event()

    def wait(self, timeout=None):
        self.waited_on.set()
        return super().wait(timeout)


def test_fault_slow_ends_when_the_server_stops(start_emulator):
    emu = Emulator(start_emulator())
    stopping = emu.server.stopping = _WatchedEvent()
    outcome = []

    def call():
        try:
            outcome.append(emu.mint('v2'))  # with a 10 s read timeout
        except requests.exceptions.RequestException as exc:
            outcome.append(exc)

    client = threading.Thread(target=call, daemon=True)
    try:
        emu.inject({'fault': 'slow', 'delay': 120})
        client.start()
        assert stopping.waited_on.wait(10)  # the request is in its slow wait
    finally:
        emu.stop()
    client.join(timeout=30)
    assert not client.is_alive()
    # The server dropped the request as it stopped: no 120 s wait, and no 10 s client timeout either.
    assert len(outcome) == 1
    assert isinstance(outcome[0], requests.exceptions.ConnectionError), repr(outcome[0])
    assert not isinstance(outcome[0], requests.exceptions.Timeout)


def test_faults_leave_no_traceback(start_emulator, capsys):
    emu = Emulator(start_emulator())
    emu.server.daemon_threads = False  # server_close then waits for every request thread
    try:
        emu.inject({'fault': 'reset'}, {'fault': 'slow', 'delay': 30})
        with pytest.raises(requests.exceptions.ConnectionError):
            emu.mint('v2')
        with pytest.raises(requests.exceptions.ReadTimeout):
            _mint_with_timeout(emu, 0.2)
    finally:
        emu.stop()
    assert capsys.readouterr().err == ''


def _raw_token_request(emu):
    """A socket that has sent a well-formed v2 token request."""
    host, port = emu.url[len('http://'):].split(':')
    sock = socket.create_connection((host, int(port)), timeout=10)
    body = b'{"grant_type": "client_credentials"}'
    head = (b'POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: %s\r\n'
            b'Content-Length: %d\r\n\r\n')
    sock.sendall(head % (V2.encode(), _basic(emu.client_id, emu.client_secret).encode(), len(body)) + body)
    return sock


def test_fault_trickle_sends_the_body_a_byte_at_a_time(emu):
    emu.inject({'fault': 'trickle', 'interval': 0.002})
    sock = _raw_token_request(emu)
    pieces = []
    try:
        while True:
            piece = sock.recv(65536)
            if not piece:
                break
            pieces.append(piece)
    finally:
        sock.close()
    answer = b''.join(pieces)
    head, sep, body = answer.partition(b'\r\n\r\n')
    assert sep and head.startswith(b'HTTP/1.1 200 ')
    token = json.loads(body.decode('utf-8'))
    assert emu.users(token['access_token']).status_code == 200
    # The headers come at once; the body in pieces of a byte (a few may merge on a busy machine).
    body_pieces = len(pieces) - 1
    assert body_pieces >= len(body) // 2, (body_pieces, len(body))
    _counts(emu, exchanges=1, exchanges_v2=1, exchanges_ok=1, tokens_minted=1, faults_served=1)
    _normal_token(emu, 'v2')


def test_fault_trickle_ends_when_the_server_stops(start_emulator):
    emu = Emulator(start_emulator())
    try:
        emu.inject({'fault': 'trickle', 'interval': 30})
        sock = _raw_token_request(emu)
        received = b''
        while b'\r\n\r\n' not in received:  # the headers, then the first byte of the body
            piece = sock.recv(65536)
            assert piece
            received += piece
    finally:
        emu.stop()
    try:
        sock.settimeout(10)
        rest = b''
        while True:  # ends as the server stops: no 30 s wait per byte
            piece = sock.recv(65536)
            if not piece:
                break
            rest += piece
    finally:
        sock.close()
    body = received.partition(b'\r\n\r\n')[2] + rest
    assert len(body) <= 1


def test_fault_not_json(emu):
    emu.inject({'fault': 'not_json'})
    response = emu.mint('v2')
    assert response.status_code == 200
    assert response.headers['Content-Type'].split(';')[0].strip() == 'text/html'
    assert '<html' in response.text.lower() and '</html>' in response.text.lower()
    with pytest.raises(ValueError):
        response.json()
    _counts(emu, exchanges=1, exchanges_v2=1, exchanges_failed=1, faults_served=1)
    _normal_token(emu, 'v2')


@pytest.mark.parametrize('spec, code', [
    ({'fault': 'error_200'}, 500),
    ({'fault': 'error_200', 'code': None}, 500),
    ({'fault': 'error_200', 'code': 401}, 401),
    ({'fault': 'error_200', 'code': 503}, 503),
], ids=['default', 'null', '401', '503'])
def test_fault_error_200(emu, spec, code):
    emu.inject(spec)
    response = emu.mint('v1')
    assert response.status_code == 200
    assert response.headers['Content-Type'].split(';')[0] == 'application/json'
    kind, message = FAULT_TEXT[code]
    assert response.json() == {'status': {'error': True, 'code': code, 'type': kind, 'message': message}}
    _counts(emu, exchanges=1, exchanges_v1=1, exchanges_failed=1, faults_served=1)
    _normal_token(emu, 'v1')


def test_faults_are_served_in_order(emu):
    assert emu.inject({'fault': 'status', 'code': 503}, {'fault': 'rate_limited', 'retry_after': 7}).json() == {
        'queued': 2}
    assert emu.inject({'fault': 'not_json'}, {'fault': 'error_200', 'code': 401}, {'fault': 'reset'}).json() == {
        'queued': 5}
    expected = [{'fault': 'status', 'code': 503}, {'fault': 'rate_limited', 'retry_after': 7}, {'fault': 'not_json'},
                {'fault': 'error_200', 'code': 401}, {'fault': 'reset'}]
    assert emu.queued() == expected

    assert emu.mint('v2').status_code == 503
    assert emu.queued() == expected[1:]
    limited = emu.mint('v1')
    assert (limited.status_code, limited.headers.get('Retry-After')) == (429, '7')
    html = emu.mint('v2')
    assert (html.status_code, html.headers['Content-Type'].split(';')[0]) == (200, 'text/html')
    error = emu.mint('v1')
    assert (error.status_code, _status(error)['code']) == (200, 401)
    assert emu.queued() == expected[4:]
    with pytest.raises(requests.exceptions.ConnectionError):
        emu.mint('v2')
    assert emu.queued() == []

    _normal_token(emu, 'v2')
    _counts(emu, exchanges=6, exchanges_v1=2, exchanges_v2=4, exchanges_ok=1, exchanges_failed=5, tokens_minted=1,
            faults_served=5)


def test_queued_faults_show_their_defaults(emu):
    emu.inject({'fault': 'rate_limited'}, {'fault': 'error_200'}, {'fault': 'slow', 'delay': 2}, {'fault': 'trickle'})
    assert emu.queued() == [{'fault': 'rate_limited', 'retry_after': None}, {'fault': 'error_200', 'code': 500},
                            {'fault': 'slow', 'delay': 2.0}, {'fault': 'trickle', 'interval': 0.5}]


def test_fault_counters(emu):
    assert emu.inject({'fault': 'status', 'code': 500}, {'fault': 'error_200'}, {'fault': 'slow', 'delay': 0.01},
                      ).json() == {'queued': 3}
    _counts(emu, faults_queued=3)
    assert emu.mint('v1').status_code == 500
    _counts(emu, exchanges=1, exchanges_v1=1, exchanges_failed=1, faults_served=1, faults_queued=2)
    assert emu.mint('v2').status_code == 200
    _counts(emu, exchanges=2, exchanges_v1=1, exchanges_v2=1, exchanges_failed=2, faults_served=2, faults_queued=1)
    _normal_token(emu, 'v2')  # the slow one
    _counts(emu, exchanges=3, exchanges_v1=1, exchanges_v2=2, exchanges_ok=1, exchanges_failed=2, tokens_minted=1,
            faults_served=3)
    _normal_token(emu, 'v2')  # no fault left
    _counts(emu, exchanges=4, exchanges_v1=1, exchanges_v2=3, exchanges_ok=2, exchanges_failed=2, tokens_minted=1,
            faults_served=3)


def test_reset_empties_the_fault_queue(emu):
    assert emu.inject({'fault': 'status', 'code': 500}, {'fault': 'reset'}, {'fault': 'not_json'}).json() == {
        'queued': 3}
    assert emu.mint('v2').status_code == 500
    _counts(emu, exchanges=1, exchanges_v2=1, exchanges_failed=1, faults_served=1, faults_queued=2)

    assert emu.post(RESET).status_code == 200
    assert emu.queued() == []
    _counts(emu)
    _normal_token(emu, 'v2')
    _normal_token(emu, 'v1')
    assert emu.stats()['faults_served'] == 0


def test_state_reset_empties_the_fault_queue(emulator_module):
    state = emulator_module.State({'id': 'secret'})
    assert state.add_faults([{'fault': 'reset'}, {'fault': 'status', 'code': 502}]) == 2
    assert state.stats()['faults_queued'] == 2
    state.reset()
    assert state.queued_faults() == []
    assert state.take_fault('v2') is None
    assert (state.stats()['faults_queued'], state.stats()['faults_served']) == (0, 0)


BAD_FAULT_BODIES = {
    'unknown-kind-after-a-good-one': {'faults': [{'fault': 'status', 'code': 503}, {'fault': 'teapot'}]},
    'no-kind': {'faults': [{'code': 503}]},
    'kind-not-a-string': {'faults': [{'fault': ['status']}]},
    'status-without-code': {'faults': [{'fault': 'status'}]},
    'status-200': {'faults': [{'fault': 'status', 'code': 200}]},
    'status-600': {'faults': [{'fault': 'status', 'code': 600}]},
    'status-code-string': {'faults': [{'fault': 'status', 'code': '503'}]},
    'status-code-bool': {'faults': [{'fault': 'status', 'code': True}]},
    'status-code-float': {'faults': [{'fault': 'status', 'code': 503.0}]},
    'retry-after-negative': {'faults': [{'fault': 'rate_limited', 'retry_after': -1}]},
    'retry-after-string': {'faults': [{'fault': 'rate_limited', 'retry_after': 'soon'}]},
    'retry-after-float': {'faults': [{'fault': 'rate_limited', 'retry_after': 1.5}]},
    'slow-without-delay': {'faults': [{'fault': 'slow'}]},
    'slow-negative': {'faults': [{'fault': 'slow', 'delay': -1}]},
    'slow-string': {'faults': [{'fault': 'slow', 'delay': '2'}]},
    'trickle-negative': {'faults': [{'fault': 'trickle', 'interval': -0.1}]},
    'trickle-string': {'faults': [{'fault': 'trickle', 'interval': '0.3'}]},
    'trickle-too-slow': {'faults': [{'fault': 'trickle', 'interval': 61}]},
    'trickle-with-delay': {'faults': [{'fault': 'trickle', 'delay': 1}]},
    'error-200-with-200': {'faults': [{'fault': 'error_200', 'code': 200}]},
    'unknown-key': {'faults': [{'fault': 'reset', 'delay': 1}]},
    'misspelt-key': {'faults': [{'fault': 'rate_limited', 'retry-after': 2}]},
    'spec-not-an-object': {'faults': ['status:503']},
    'faults-not-a-list': {'faults': {'fault': 'reset'}},
    'no-faults-key': {'fault': 'reset'},
    'body-a-list': [{'fault': 'reset'}],
}


@pytest.mark.parametrize('body', list(BAD_FAULT_BODIES.values()) + ['not json', ''],
                         ids=list(BAD_FAULT_BODIES) + ['not-json', 'empty'])
def test_bad_fault_spec_is_refused(emu, body):
    assert emu.inject({'fault': 'not_json'}).json() == {'queued': 1}
    if isinstance(body, str):
        response = emu.post(FAULTS, data=body, headers={'Content-Type': 'application/json'})
    else:
        response = emu.post(FAULTS, json=body)
    assert response.status_code == 400
    answer = response.json()
    assert answer['error'] is True
    assert isinstance(answer['message'], str) and answer['message']
    # Nothing of it was queued, not even its good part.
    assert emu.queued() == [{'fault': 'not_json'}]
    _counts(emu, faults_queued=1)


def test_only_token_requests_take_faults(emu):
    token = emu.token('v2')['access_token']
    emu.inject({'fault': 'status', 'code': 502})

    assert emu.users(token).status_code == 200
    assert emu.get(RATE, headers={'Authorization': 'bearer:%s' % token}).status_code == 200
    assert emu.get(STATS).status_code == 200
    assert emu.get(FAULTS).status_code == 200
    assert emu.get('/api/2/nothing-here').status_code == 404
    for path in (V1, V2):
        wrong_method = emu.get(path)
        assert wrong_method.status_code == 404
        assert _status(wrong_method)['message'] == 'No Route Exists'
    assert emu.post(REVOKE, json={'access_token': token}, auth=(emu.client_id, 'wrong-secret')).status_code == 401
    assert emu.queued() == [{'fault': 'status', 'code': 502}]
    stats = emu.stats()
    assert (stats['faults_served'], stats['faults_queued']) == (0, 1)

    assert emu.mint('v2').status_code == 502
    assert emu.queued() == []


def test_running_emulator_inject(emulator):
    assert emulator.inject({'fault': 'status', 'code': 504}, {'fault': 'reset'}) == {'queued': 2}
    assert emulator.inject() == {'queued': 2}
    stats = emulator.stats()
    assert (stats['faults_queued'], stats['faults_served']) == (2, 0)
    with pytest.raises(urllib.error.HTTPError) as caught:
        emulator.inject({'fault': 'status', 'code': 504}, {'fault': 'nonsense'})
    assert caught.value.code == 400
    caught.value.close()
    assert emulator.stats()['faults_queued'] == 2
    with requests.Session() as session:
        session.trust_env = False
        response = session.post(emulator.url + V2, json={'grant_type': 'client_credentials'},
                                auth=(emulator.client_id, emulator.client_secret), timeout=10)
    assert response.status_code == 504
    assert emulator.stats()['faults_queued'] == 1


# -- fault injection from the command line ------------------------------------------------------------

CLI_FAULTS = [
    ('status:503', {'fault': 'status', 'code': 503}),
    ('status:500', {'fault': 'status', 'code': 500}),
    ('rate_limited', {'fault': 'rate_limited', 'retry_after': None}),
    ('rate_limited:2', {'fault': 'rate_limited', 'retry_after': 2}),
    ('reset', {'fault': 'reset'}),
    ('slow:2.5', {'fault': 'slow', 'delay': 2.5}),
    ('slow:3', {'fault': 'slow', 'delay': 3.0}),
    ('trickle', {'fault': 'trickle', 'interval': 0.5}),
    ('trickle:0.3', {'fault': 'trickle', 'interval': 0.3}),
    ('not_json', {'fault': 'not_json'}),
    ('error_200', {'fault': 'error_200', 'code': 500}),
    ('error_200:401', {'fault': 'error_200', 'code': 401}),
]


@pytest.mark.parametrize('text, spec', CLI_FAULTS, ids=[text for text, dummy in CLI_FAULTS])
def test_cli_fault_forms(emulator_module, text, spec):
    args, clients = emulator_module.parse_args(['--client', 'an-id:a-secret', '--fault', text])
    assert args.faults == [spec]
    assert clients == {'an-id': 'a-secret'}


def test_cli_faults_keep_their_order(emulator_module):
    args, dummy = emulator_module.parse_args(['--client', 'an-id:a-secret', '--fault', 'reset', '--fault', 'status:502',
                                              '--fault', 'slow:0.5'])
    assert args.faults == [{'fault': 'reset'}, {'fault': 'status', 'code': 502}, {'fault': 'slow', 'delay': 0.5}]
    args, dummy = emulator_module.parse_args(['--client', 'an-id:a-secret'])
    assert args.faults == []


@pytest.mark.parametrize('text', [
    'status', 'status:', 'status:abc', 'status:200', 'status:700', 'rate_limited:', 'rate_limited:x',
    'rate_limited:-1', 'rate_limited:1.5', 'reset:1', 'slow', 'slow:', 'slow:-1', 'slow:soon', 'slow:nan', 'slow:inf',
    'trickle:', 'trickle:x', 'trickle:-1', 'trickle:nan', 'trickle:61',
    'not_json:1', 'error_200:200', 'error_200:x', 'teapot', 'teapot:1', '', ':503', 'STATUS:503',
])
def test_cli_refuses_a_bad_fault(emulator_module, capsys, text):
    with pytest.raises(SystemExit) as caught:
        emulator_module.parse_args(['--client', 'an-id:a-secret', '--fault', text])
    assert caught.value.code == 2
    assert '--fault' in capsys.readouterr().err


def test_cli_faults_are_served(start_emulator):
    running = start_emulator(process=True, args=('--fault', 'status:503', '--fault', 'error_200:401'))
    assert running.url.startswith('http://127.0.0.1:')
    with requests.Session() as session:
        session.trust_env = False
        answers = [session.post(running.url + V2, json={'grant_type': 'client_credentials'},
                                auth=(running.client_id, running.client_secret), timeout=10) for dummy in range(3)]
    assert answers[0].status_code == 503
    assert answers[1].status_code == 200 and _status(answers[1])['code'] == 401
    assert answers[2].status_code == 200 and len(answers[2].json()['access_token']) == 64


def test_issued_tokens_lists_every_token_until_reset(emu):
    first = emu.token('v1')['access_token']
    second = emu.token('v1')['access_token']
    listed = emu.get('/__emulator__/tokens').json()['tokens']
    assert sorted(listed) == sorted([first, second])
    emu.post(RESET)
    assert emu.get('/__emulator__/tokens').json()['tokens'] == []


# -- the resource API (/api/*) ------------------------------------------------------------------------

API1_USERS = '/api/1/users'
BRANDS = '/api/2/brands'
MFA = '/api/2/mfa/verify'
SEEDED = 300
V1_UNAUTHORIZED_BODY = {'status': {'error': True, 'code': 401, 'type': 'Unauthorized', 'message': 'Authentication Failure'}}
NOT_FOUND_BODY = {'statusCode': 404, 'name': 'NotFoundError', 'message': 'Not Found'}
XOR_BODY = {'status': 400, 'error': 'BadRequestError', 'description': 'Requests can only have cursor xor pagination arguments'}
BAD_CURSOR_BODY = {'status': 400, 'error': 'BadRequestError', 'description': 'Invalid pagination cursor'}
LIMIT_BODY = {'statusCode': 400, 'name': 'BadRequestError', 'message': 'limit must be between 1 and 1000'}
# OneLogin's recorded After-Cursor of the first page of 100 (terraform-provider-onelogin#203).
RECORDED_PAGE_2_CURSOR = 'bGltaXQ9MTAwJnNvcnQ9aWQmcGFnZT0yJnNvcnRfZGlyZWN0aW9uPWFzYw=='
PAGING_HEADERS = ('Total-Count', 'Total-Pages', 'Current-Page', 'Page-Items', 'After-Cursor', 'Before-Cursor', 'Link')
RATE_HEADERS = ('X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset')


def _cursor(limit, page, direction='asc'):
    text = 'limit=%d&sort=id&page=%d&sort_direction=%s' % (limit, page, direction)
    return base64.b64encode(text.encode('ascii')).decode('ascii')


def _seeded(index):
    """User ``index`` of the seed, written out here."""
    return {'id': 100000 + index, 'email': 'user%05d@example.com' % index, 'username': 'user%05d' % index,
            'firstname': 'First%d' % index, 'lastname': 'Last%d' % index, 'state': 1, 'status': 1}


class Api:
    """Authenticated resource calls to an Emulator with one token."""

    def __init__(self, emu):
        self.emu = emu
        self.token = emu.token('v2')['access_token']
        self.headers = {'Authorization': 'Bearer %s' % self.token}

    def call(self, method, path, headers=None, **kwargs):
        return self.emu.request(method, path, headers=dict(self.headers, **(headers or {})), **kwargs)

    def get(self, path, **params):
        return self.call('GET', path, params=params)

    def inject(self, *specs):
        response = self.emu.post(FAULTS, json={'faults': list(specs), 'target': 'api'})
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def api(emu):
    return Api(emu)


class _Started:
    """What Emulator needs of an emulator that start_in_thread started here."""

    def __init__(self, server, client_id, client_secret):
        self.server, self.client_id, self.client_secret = server, client_id, client_secret
        self.url = server.url
        self.stopped = False

    def stop(self):
        if not self.stopped:
            self.stopped = True
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def start_api(emulator_module):
    """``start_api(clock=None, **options)``: an Emulator of its own, started with the State options given."""
    started = []

    def start(clock=None, **options):
        client_id, client_secret = 'client-' + secrets.token_hex(8), 'secret-' + secrets.token_hex(24)
        if clock is not None:
            options['clock'] = clock
        running = _Started(emulator_module.start_in_thread({client_id: client_secret}, **options), client_id,
                           client_secret)
        started.append(running)
        return Emulator(running, clock=clock)

    try:
        yield start
    finally:
        for running in started:
            running.stop()


def _api_counts(emu):
    stats = emu.stats()
    return {name: stats[name] for name in API_COUNTERS + ('api_200', 'api_401')}


# -- seeded users --

def test_seeded_users_are_deterministic(api):
    response = api.get(USERS, limit=3)
    assert response.status_code == 200
    assert response.headers['Content-Type'].split(';')[0] == 'application/json'
    users = response.json()
    assert [{name: user[name] for name in _seeded(1)} for user in users] == [_seeded(1), _seeded(2), _seeded(3)]
    assert all(isinstance(user['created_at'], str) and user['created_at'].endswith('Z') for user in users)
    assert all('password' not in user for user in users)
    last = api.get('/api/2/users/100300')
    assert last.status_code == 200
    assert {name: last.json()[name] for name in _seeded(300)} == _seeded(300)
    assert api.get('/api/2/users/100301').status_code == 404
    assert api.emu.stats()['users'] == SEEDED
    # The same seed, the same records, on another emulator.
    assert api.get(USERS, limit=3).json() == users


@pytest.mark.parametrize('count', [0, 7])
def test_users_option_seeds_that_many(start_api, count):
    api = Api(start_api(users=count))
    response = api.get(USERS)
    assert response.status_code == 200
    assert [user['id'] for user in response.json()] == [100000 + index for index in range(1, count + 1)]
    assert (response.headers['Total-Count'], response.headers['Total-Pages']) == (str(count), '1')
    assert 'After-Cursor' not in response.headers and 'Before-Cursor' not in response.headers
    assert api.emu.stats()['users'] == count


@pytest.mark.parametrize('options', [{'users': -1}, {'users': 100001}, {'users': '5'}, {'rate_limit': -1},
                                     {'rate_window': 0}, {'rate_window': float('inf')}])
def test_state_refuses_bad_options(emulator_module, options):
    with pytest.raises(ValueError):
        emulator_module.State({'id': 'secret'}, **options)


# -- authentication and routes --

API_ROUTES = [('GET', USERS), ('POST', USERS), ('GET', '/api/2/users/100001'), ('PUT', '/api/2/users/100001'),
              ('DELETE', '/api/2/users/100001'), ('GET', BRANDS), ('GET', MFA), ('POST', MFA), ('GET', API1_USERS)]


@pytest.mark.parametrize('method, path', API_ROUTES, ids=['%s %s' % route for route in API_ROUTES])
@pytest.mark.parametrize('authorization', [None, 'Bearer not-a-token', 'Basic abc'], ids=['none', 'unknown', 'basic'])
def test_every_api_route_needs_a_token(emu, method, path, authorization):
    headers = {'Authorization': authorization} if authorization else {}
    response = emu.request(method, path, headers=headers, json={'email': 'new@example.com'})
    assert response.status_code == 401
    expected = V1_UNAUTHORIZED_BODY if path.startswith('/api/1/') else UNAUTHORIZED_API_BODY
    assert response.json() == expected
    assert all(name in response.headers for name in RATE_HEADERS)
    stats = emu.stats()
    assert (stats['api_401'], stats['api_401_valid_token'], stats['users'], stats['users_created']) == (1, 0, 300, 0)
    assert stats['rate_limit_remaining'] == 5000  # a refused call takes nothing from the bucket


@pytest.mark.parametrize('form', ['Bearer %s', 'bearer %s', 'bearer:%s'])
def test_api_takes_every_bearer_form(api, form):
    for path in (USERS, BRANDS, API1_USERS):
        assert api.emu.get(path, headers={'Authorization': form % api.token}).status_code == 200


@pytest.mark.parametrize('path', ['/api/2/nothing-here', '/api/1/nothing-here', '/api/3/users', '/api/2/users/abc',
                                  '/api/2/users/100001/roles', '/api'])
def test_unknown_api_routes_are_404_in_the_v2_shape(api, path):
    for headers in ({}, api.headers):
        response = api.emu.get(path, headers=headers)
        assert response.status_code == 404
        assert response.json() == NOT_FOUND_BODY
    stats = api.emu.stats()
    assert (stats['api_404'], stats['api_401'], stats['rate_limit_remaining']) == (2, 0, 5000)


@pytest.mark.parametrize('method, path, allowed', [
    ('PATCH', USERS, 'GET, POST'), ('DELETE', USERS, 'GET, POST'), ('PATCH', '/api/2/users/100001', 'DELETE, GET, PUT'),
    ('POST', BRANDS, 'GET'), ('POST', API1_USERS, 'GET')])
def test_a_method_a_route_does_not_take_is_405(api, method, path, allowed):
    response = api.call(method, path, json={})
    assert response.status_code == 405
    assert response.json() == {'statusCode': 405, 'name': 'MethodNotAllowedError', 'message': 'Method Not Allowed'}
    assert response.headers['Allow'] == allowed
    stats = api.emu.stats()
    assert (stats['api_405'], stats['api_' + method.lower()], stats['users']) == (1, 1, 300)


def test_patch_elsewhere_is_404(emu):
    response = emu.request('PATCH', V2, json={})
    assert response.status_code == 404
    assert _status(response)['message'] == 'No Route Exists'


# -- v2 pagination --

def _page(api, **params):
    response = api.get(USERS, **params)
    assert response.status_code == 200, response.text
    return response


def test_full_walk_with_cursors_and_headers(api):
    first = _page(api, limit=100)
    assert first.headers['After-Cursor'] == RECORDED_PAGE_2_CURSOR
    assert 'Before-Cursor' not in first.headers
    seen, pages, response = [], [], first
    while True:
        headers = response.headers
        pages.append(headers['Current-Page'])
        assert (headers['Total-Count'], headers['Total-Pages'], headers['Page-Items']) == ('300', '3', '100')
        assert all(name in headers for name in RATE_HEADERS)
        seen += [user['id'] for user in response.json()]
        if 'After-Cursor' not in headers:
            break
        response = _page(api, cursor=headers['After-Cursor'])
        assert response.headers['Before-Cursor'] == _cursor(100, int(response.headers['Current-Page']) - 1)
    assert pages == ['1', '2', '3']
    assert seen == list(range(100001, 100301))
    back = _page(api, cursor=response.headers['Before-Cursor'])
    assert [user['id'] for user in back.json()] == list(range(100101, 100201))
    assert back.headers['Current-Page'] == '2'


def test_default_page_is_50_by_ascending_id(api):
    response = _page(api)
    assert [user['id'] for user in response.json()] == list(range(100001, 100051))
    assert (response.headers['Page-Items'], response.headers['Total-Pages']) == ('50', '6')
    assert response.headers['After-Cursor'] == _cursor(50, 2)


def test_page_and_sort(api):
    second = _page(api, limit=7, page=2)
    assert [user['id'] for user in second.json()] == list(range(100008, 100015))
    assert (second.headers['After-Cursor'], second.headers['Before-Cursor']) == (_cursor(7, 3), _cursor(7, 1))
    for params in ({'sort': '-id'}, {'sort_direction': 'desc'}, {'sort': 'id', 'sort_direction': 'desc'}):
        down = _page(api, limit=3, **params)
        assert [user['id'] for user in down.json()] == [100300, 100299, 100298]
        assert down.headers['After-Cursor'] == _cursor(3, 2, 'desc')
        following = _page(api, cursor=down.headers['After-Cursor'])
        assert [user['id'] for user in following.json()] == [100297, 100296, 100295]
    assert [user['id'] for user in _page(api, limit=2, sort='+id').json()] == [100001, 100002]
    assert len(_page(api, limit=1000).json()) == 300


def test_a_page_past_the_end_is_empty_with_the_headers(api):
    response = _page(api, limit=100, page=9)
    assert response.json() == []
    headers = response.headers
    assert (headers['Total-Count'], headers['Total-Pages'], headers['Current-Page']) == ('300', '3', '9')
    assert 'After-Cursor' not in headers and headers['Before-Cursor'] == _cursor(100, 8)


def test_filters_apply_on_every_page(api):
    for index in range(5):
        created = api.call('POST', USERS, json={'email': 'shared%d@example.com' % index, 'lastname': 'Shared'})
        assert created.status_code == 201
    shared = list(range(100301, 100306))
    seen, response = [], _page(api, lastname='Shared', limit=2)
    assert (response.headers['Total-Count'], response.headers['Total-Pages']) == ('5', '3')
    while True:
        seen += [user['id'] for user in response.json()]
        if 'After-Cursor' not in response.headers:
            break
        response = _page(api, lastname='Shared', cursor=response.headers['After-Cursor'])
    assert seen == shared
    # The cursor holds no filter: without it again, the next page is of all users.
    unfiltered = _page(api, cursor=_page(api, lastname='Shared', limit=2).headers['After-Cursor'])
    assert [user['id'] for user in unfiltered.json()] == [100003, 100004]
    assert unfiltered.headers['Total-Count'] == '305'


@pytest.mark.parametrize('name, value, expected', [
    ('email', 'user00042@example.com', [100042]), ('username', 'user00007', [100007]),
    ('firstname', 'First12', [100012]), ('lastname', 'Last299', [100299]), ('id', '100150', [100150]),
    ('email', 'USER00042@example.com', []), ('firstname', 'First', []), ('id', '1', [])])
def test_filters_match_exactly(api, name, value, expected):
    response = _page(api, **{name: value})
    assert [user['id'] for user in response.json()] == expected
    assert response.headers['Total-Count'] == str(len(expected))
    assert response.headers['Total-Pages'] == '1'


@pytest.mark.parametrize('extra', [{'limit': 100}, {'page': 2}, {'sort': 'id'}, {'sort_direction': 'asc'}])
def test_cursor_with_pagination_arguments_is_400(api, extra):
    response = api.get(USERS, cursor=RECORDED_PAGE_2_CURSOR, **extra)
    assert response.status_code == 400
    assert response.json() == XOR_BODY
    assert api.emu.stats()['api_400'] == 1


@pytest.mark.parametrize('cursor', [
    'made-up', '', RECORDED_PAGE_2_CURSOR.rstrip('='), RECORDED_PAGE_2_CURSOR.replace('==', '%3D%3D'),
    base64.b64encode(b'limit=100&sort=id&page=2').decode(), base64.b64encode(b'page=2&limit=100').decode(),
    _cursor(0, 1), _cursor(1001, 1), base64.b64encode(b'limit=10&sort=name&page=2&sort_direction=asc').decode(),
    base64.b64encode(b'limit=10&sort=id&page=0&sort_direction=asc').decode()],
    ids=['made-up', 'empty', 'unpadded', 'percent-encoded', 'no-direction', 'other-shape', 'limit-0', 'limit-1001',
         'sort-name', 'page-0'])
def test_invalid_cursor_is_400(api, cursor):
    response = api.get(USERS, cursor=cursor)
    assert response.status_code == 400
    assert response.json() == BAD_CURSOR_BODY
    assert api.emu.stats()['api_400'] == 1


@pytest.mark.parametrize('limit', ['0', '1001', '-5', 'abc', '', '1.5', '99999999999'])
def test_limit_out_of_range_is_400(api, limit):
    response = api.get(USERS, limit=limit)
    assert response.status_code == 400
    assert response.json() == LIMIT_BODY
    assert api.emu.stats()['api_400'] == 1


def test_bad_sort_page_and_direction(api):
    sort = api.get(USERS, sort='created_at')
    assert sort.status_code == 422
    assert sort.json() == {'statusCode': 422, 'name': 'UnprocessableEntityFieldError', 'field': 'sort',
                           'message': 'Invalid sort field: created_at'}
    direction = api.get(USERS, sort_direction='up')
    assert direction.status_code == 422
    assert direction.json()['field'] == 'sort_direction'
    page = api.get(USERS, page='0')
    assert page.status_code == 400
    assert page.json()['name'] == 'BadRequestError'
    stats = api.emu.stats()
    assert (stats['api_422'], stats['api_400']) == (2, 1)


def test_encoded_cursors(start_api):
    api = Api(start_api(encode_cursors=True))
    first = _page(api, limit=100)
    encoded = first.headers['After-Cursor']  # to page 2: percent-encoded
    assert encoded == RECORDED_PAGE_2_CURSOR.replace('==', '%3D%3D')
    forwarded = api.get(USERS, cursor=encoded)  # sent as is, it is encoded a second time
    assert forwarded.status_code == 400
    assert forwarded.json() == BAD_CURSOR_BODY
    second = _page(api, cursor=urllib.parse.unquote(encoded))
    assert second.headers['Current-Page'] == '2'
    assert [user['id'] for user in second.json()] == list(range(100101, 100201))
    to_third = second.headers['After-Cursor']  # to page 3: as it is
    assert to_third == _cursor(100, 3) and '%' not in to_third
    assert second.headers['Before-Cursor'] == _cursor(100, 1)
    third = _page(api, cursor=urllib.parse.unquote(to_third))  # decoding once is harmless
    assert third.headers['Before-Cursor'] == urllib.parse.quote(_cursor(100, 2), safe='')
    assert _page(api, cursor=_cursor(100, 2)).headers['Current-Page'] == '2'


def test_cursors_are_plain_without_the_option(api):
    first = _page(api, limit=100)
    assert first.headers['After-Cursor'] == RECORDED_PAGE_2_CURSOR
    assert _page(api, cursor=urllib.parse.unquote(first.headers['After-Cursor'])).headers['Current-Page'] == '2'


# -- brands and v1 --

def test_brands_have_no_pagination_headers(api):
    response = api.get(BRANDS)
    assert response.status_code == 200
    brands = response.json()
    assert isinstance(brands, list) and len(brands) == 2
    assert all(isinstance(brand['id'], int) and isinstance(brand['name'], str) for brand in brands)
    assert not [name for name in PAGING_HEADERS if name in response.headers]
    assert all(name in response.headers for name in RATE_HEADERS)
    assert api.get(BRANDS, limit=1, page=2).json() == brands


def test_v1_envelope_walk(api):
    response = api.get(API1_USERS)
    body = response.json()
    assert body['status'] == {'error': False, 'code': 200, 'type': 'success', 'message': 'Success'}
    assert set(body['pagination']) == {'before_cursor', 'after_cursor', 'previous_link', 'next_link'}
    assert (body['pagination']['before_cursor'], body['pagination']['previous_link']) == (None, None)
    assert {name: body['data'][0][name] for name in _seeded(1)} == _seeded(1)
    seen, pages = [], 0
    while True:
        assert response.status_code == 200
        assert all(name in response.headers for name in RATE_HEADERS)
        body = response.json()
        pages += 1
        seen += [user['id'] for user in body['data']]
        pagination = body['pagination']
        if pagination['after_cursor'] is None:
            assert pagination['next_link'] is None
            break
        assert pagination['next_link'].startswith(api.emu.url + '/api/1/users?')
        response = api.emu.request('GET', pagination['next_link'][len(api.emu.url):], headers=api.headers)
    assert pages == 6 and seen == list(range(100001, 100301))
    assert pagination['before_cursor'] is not None and pagination['previous_link'].startswith(api.emu.url)
    back = api.emu.request('GET', pagination['previous_link'][len(api.emu.url):], headers=api.headers).json()
    assert [user['id'] for user in back['data']] == list(range(100201, 100251))


def test_v1_filters_and_after_cursor(api):
    for index in range(60):
        assert api.call('POST', USERS, json={'email': 'many%d@example.com' % index, 'lastname': 'Many'}).status_code == 201
    first = api.get(API1_USERS, lastname='Many').json()
    assert [user['id'] for user in first['data']] == list(range(100301, 100351))
    assert 'lastname=Many' in first['pagination']['next_link']
    second = api.get(API1_USERS, lastname='Many', after_cursor=first['pagination']['after_cursor']).json()
    assert [user['id'] for user in second['data']] == list(range(100351, 100361))
    assert second['pagination']['after_cursor'] is None
    only = api.get(API1_USERS, email='user00009@example.com').json()
    assert [user['id'] for user in only['data']] == [100009]


@pytest.mark.parametrize('cursor', ['made-up', '', RECORDED_PAGE_2_CURSOR, '%3D'])
def test_v1_bad_cursor_is_400(api, cursor):
    response = api.get(API1_USERS, after_cursor=cursor)
    assert response.status_code == 400
    assert response.json() == {'status': {'error': True, 'code': 400, 'type': 'bad request', 'message': 'Invalid cursor'}}
    assert api.emu.stats()['api_400'] == 1


# -- creating, reading, updating, deleting users --

def test_create_user(api):
    response = api.call('POST', USERS, json={'email': 'new@example.com', 'username': 'new', 'firstname': 'New',
                                             'title': 'Tester', 'password': 'S3cret!pass',
                                             'password_confirmation': 'S3cret!pass'})
    assert response.status_code == 201
    user = response.json()
    assert (user['id'], user['email'], user['username'], user['title'], user['lastname']) == (
        100301, 'new@example.com', 'new', 'Tester', None)
    assert 'S3cret!pass' not in response.text and 'password' not in user
    fetched = api.get('/api/2/users/100301')
    assert fetched.json() == user and 'S3cret!pass' not in fetched.text
    assert _page(api, email='new@example.com').json() == [user]
    assert 'S3cret!pass' not in api.get(API1_USERS, email='new@example.com').text
    second = api.call('POST', USERS, json={'email': 'newer@example.com'})
    assert second.json()['id'] == 100302
    stats = api.emu.stats()
    assert (stats['users_created'], stats['api_201'], stats['users']) == (2, 2, 302)


@pytest.mark.parametrize('body, code, expected', [
    ({'firstname': 'No email'}, 422, {'statusCode': 422, 'name': 'UnprocessableEntityFieldError', 'field': 'email',
                                      'message': 'Validation failed: email is required'}),
    ({'email': None}, 422, {'statusCode': 422, 'name': 'UnprocessableEntityFieldError', 'field': 'email',
                            'message': 'Validation failed: email is required'}),
    ({'email': 'user00005@example.com'}, 422, {'statusCode': 422, 'name': 'UnprocessableEntityError',
                                               'message': 'Validation failed: Email must be unique'}),
    ({'email': 'x@example.com', 'employee_number': 5}, 400,
     {'statusCode': 400, 'name': 'BadRequestError', 'message': 'unknown attribute: employee_number'}),
    ({'email': 'x@example.com', 'id': 5}, 400,
     {'statusCode': 400, 'name': 'BadRequestError', 'message': 'unknown attribute: id'}),
], ids=['no-email', 'null-email', 'email-taken', 'unknown-attribute', 'id'])
def test_create_user_refused(api, body, code, expected):
    response = api.call('POST', USERS, json=body)
    assert response.status_code == code
    assert response.json() == expected
    stats = api.emu.stats()
    assert (stats['users_created'], stats['users'], stats['api_%d' % code]) == (0, 300, 1)


@pytest.mark.parametrize('data', ['[{"email": "x@example.com"}]', 'not json', '', '"x@example.com"'])
def test_create_user_needs_a_json_object(api, data):
    response = api.call('POST', USERS, data=data, headers={'Content-Type': 'application/json'})
    assert response.status_code == 400
    assert response.json()['statusCode'] == 400 and response.json()['name'] == 'BadRequestError'
    assert api.emu.stats()['users'] == 300


def test_create_user_type_errors_are_422(api):
    for body, field in (({'email': 5}, 'email'), ({'email': 'a@example.com', 'state': 'on'}, 'state'),
                        ({'email': 'a@example.com', 'password': 123}, 'password')):
        response = api.call('POST', USERS, json=body)
        assert response.status_code == 422
        assert response.json()['field'] == field
        assert '123' not in response.text
    assert api.emu.stats()['users'] == 300


def test_get_update_delete_user(api):
    path = '/api/2/users/100005'
    got = api.get(path)
    assert got.status_code == 200 and got.json()['email'] == 'user00005@example.com'
    updated = api.call('PUT', path, json={'firstname': 'Renamed', 'department': 'QA', 'password': 'Hidden#1'})
    assert updated.status_code == 200
    user = updated.json()
    assert (user['id'], user['firstname'], user['department'], user['email']) == (100005, 'Renamed', 'QA',
                                                                                  'user00005@example.com')
    assert 'password' not in user and 'Hidden#1' not in updated.text
    assert api.get(path).json() == user
    assert _page(api, firstname='Renamed').json() == [user]
    same_email = api.call('PUT', path, json={'email': 'user00005@example.com'})
    assert same_email.status_code == 200  # its own email is not taken
    taken = api.call('PUT', path, json={'email': 'user00006@example.com'})
    assert taken.status_code == 422
    assert taken.json() == {'statusCode': 422, 'name': 'UnprocessableEntityError',
                            'message': 'Validation failed: Email must be unique'}
    unknown = api.call('PUT', path, json={'nickname': 'x'})
    assert (unknown.status_code, unknown.json()['message']) == (400, 'unknown attribute: nickname')
    assert api.get(path).json()['email'] == 'user00005@example.com'

    deleted = api.call('DELETE', path)
    assert deleted.status_code == 204
    assert deleted.content == b''
    for method in ('GET', 'PUT', 'DELETE'):
        missing = api.call(method, path, json={'firstname': 'x'})
        assert missing.status_code == 404
        assert missing.json() == NOT_FOUND_BODY
    assert _page(api, email='user00005@example.com').json() == []
    stats = api.emu.stats()
    assert (stats['users_deleted'], stats['api_204'], stats['api_404'], stats['users']) == (1, 1, 3, 299)
    assert (stats['api_put'], stats['api_delete'], stats['api_422'], stats['api_400']) == (5, 2, 1, 1)


# -- the rate bucket --

def test_bucket_empties_into_html_429_and_refills_after_the_window(start_api):
    clock = FakeClock(CLOCK_START)
    api = Api(start_api(clock=clock, rate_limit=3, rate_window=60))
    seen = []
    for step in range(3):
        response = api.get(BRANDS if step else USERS)
        assert response.status_code == 200
        seen.append(tuple(response.headers[name] for name in RATE_HEADERS))
        clock.advance(10)
    # The window opened at the first call and lasts 60 s, whatever the calls in between.
    assert seen == [('3', '2', '60'), ('3', '1', '50'), ('3', '0', '40')]

    clock.advance(0.5)
    for dummy in range(2):  # a 429 takes nothing
        limited = api.get(USERS)
        assert limited.status_code == 429
        assert limited.headers['Content-Type'] == 'text/html'
        assert '<html>' in limited.text and '429' in limited.text
        assert 'Retry-After' not in limited.headers
        assert tuple(limited.headers[name] for name in RATE_HEADERS) == ('3', '0', '30')  # 29.5 s, rounded up
    assert api.call('POST', USERS, json={'email': 'late@example.com'}).status_code == 429
    rate = api.emu.get(RATE, headers={'Authorization': 'bearer:%s' % api.token})
    assert rate.status_code == 200
    assert rate.json()['data'] == {'X-RateLimit-Limit': 3, 'X-RateLimit-Remaining': 0, 'X-RateLimit-Reset': 30}
    stats = api.emu.stats()
    assert (stats['api_429'], stats['users'], stats['rate_limit_remaining'], stats['api_200']) == (3, 300, 0, 3)

    clock.advance(29.4)  # 0.1 s left: still at least 1
    assert api.get(USERS).headers['X-RateLimit-Reset'] == '1'
    clock.advance(0.1)  # the window is over: a new one opens with the next call
    assert api.emu.get(RATE, headers={'Authorization': 'bearer:%s' % api.token}).json()['data'] == {
        'X-RateLimit-Limit': 3, 'X-RateLimit-Remaining': 3, 'X-RateLimit-Reset': 60}
    clock.advance(5)
    again = api.get(USERS)
    assert again.status_code == 200
    assert tuple(again.headers[name] for name in RATE_HEADERS) == ('3', '2', '60')


def test_bucket_is_per_account_and_refused_calls_take_nothing(start_api):
    clock = FakeClock(CLOCK_START)
    emu = start_api(clock=clock, rate_limit=2)
    one, two = Api(emu), Api(emu)  # v2: the same token; v1 then gives another
    other = emu.token('v1')['access_token']
    for dummy in range(3):
        assert emu.get(USERS, headers={'Authorization': 'Bearer not-a-token'}).status_code == 401
    assert emu.get('/api/2/nothing').status_code == 404
    assert emu.get(USERS, headers={'Authorization': 'Bearer %s' % other}).status_code == 200
    assert emu.get(BRANDS, headers={'Authorization': 'Bearer %s' % other}).status_code == 200
    assert emu.get(USERS, headers={'Authorization': 'Bearer %s' % other}).status_code == 429
    assert one.token == two.token
    assert emu.stats()['rate_limit_remaining'] == 0


def test_rate_limit_endpoint_reports_the_bucket(start_api):
    clock = FakeClock(CLOCK_START)
    api = Api(start_api(clock=clock, rate_limit=10, rate_window=100))
    rate = {'Authorization': 'bearer:%s' % api.token}
    assert api.emu.get(RATE, headers=rate).json()['data'] == {
        'X-RateLimit-Limit': 10, 'X-RateLimit-Remaining': 10, 'X-RateLimit-Reset': 100}
    for dummy in range(4):
        api.get(USERS)
    clock.advance(30)
    for dummy in range(3):
        assert api.emu.get(RATE, headers=rate).json()['data'] == {
            'X-RateLimit-Limit': 10, 'X-RateLimit-Remaining': 6, 'X-RateLimit-Reset': 70}
    assert api.get(USERS).headers['X-RateLimit-Remaining'] == '5'


def test_reset_refills_the_bucket_reseeds_users_and_empties_both_queues(start_api):
    api = Api(start_api(rate_limit=2))
    assert api.call('DELETE', '/api/2/users/100001').status_code == 204
    assert api.call('POST', USERS, json={'email': 'x@example.com'}).status_code == 201
    assert api.get(USERS).status_code == 429
    api.inject({'fault': 'status', 'code': 503})
    api.emu.inject({'fault': 'reset'})
    assert api.emu.post(RESET).json() == {'reset': True}
    assert api.emu.get(FAULTS).json() == {'queued': [], 'api_queued': []}
    api = Api(api.emu)  # reset forgot the tokens
    response = _page(api, limit=1)
    assert response.json()[0]['id'] == 100001 and response.headers['Total-Count'] == '300'
    assert response.headers['X-RateLimit-Remaining'] == '1'
    assert api.call('POST', USERS, json={'email': 'x@example.com'}).json()['id'] == 100301


# -- an endpoint that answers 401 to a good token --

def test_mfa_answers_401_to_a_valid_token(api):
    for method in ('GET', 'POST', 'PUT'):
        response = api.call(method, MFA, json={'otp_token': '123456'})
        assert response.status_code == 401
        assert response.json() == UNAUTHORIZED_API_BODY
    assert api.call('POST', '/api/2/mfa/users/100001/verifications').status_code == 401
    rate = api.emu.get(RATE, headers={'Authorization': 'bearer:%s' % api.token})
    assert rate.status_code == 200
    assert api.get(USERS).status_code == 200  # the token is still good
    assert api.emu.get(MFA, headers={'Authorization': 'Bearer not-a-token'}).status_code == 401
    stats = api.emu.stats()
    assert (stats['api_401'], stats['api_401_valid_token'], stats['valid_tokens']) == (5, 4, 1)


# -- API faults --

@pytest.mark.parametrize('code', [500, 502, 503, 504])
def test_api_fault_status(api, code):
    assert api.inject({'fault': 'status', 'code': code}, {'fault': 'status', 'code': code}) == {'queued': 2}
    response = api.get(USERS)
    assert response.status_code == code
    assert response.json() == {'statusCode': code, 'name': FAULT_NAMES[code], 'message': FAULT_TEXT[code][1]}
    assert all(name in response.headers for name in RATE_HEADERS)
    v1 = api.get(API1_USERS)
    assert v1.status_code == code
    kind, message = FAULT_TEXT[code]
    assert v1.json() == {'status': {'error': True, 'code': code, 'type': kind, 'message': message}}
    assert api.get(USERS).status_code == 200
    stats = api.emu.stats()
    assert (stats['api_5xx'], stats['api_faults_served'], stats['api_faults_queued'], stats['api_200']) == (2, 2, 0, 1)
    assert (stats['faults_served'], stats['exchanges_failed']) == (0, 0)  # the token queue is another one


FAULT_NAMES = {500: 'InternalServerError', 502: 'BadGatewayError', 503: 'ServiceUnavailableError',
               504: 'GatewayTimeoutError'}


def test_api_faults_come_before_auth_and_the_bucket(start_api):
    api = Api(start_api(rate_limit=1))
    api.inject({'fault': 'status', 'code': 503}, {'fault': 'error_200', 'code': 401})
    assert api.emu.get(USERS, headers={'Authorization': 'Bearer not-a-token'}).status_code == 503
    error = api.emu.get(USERS)
    assert error.status_code == 200 and error.json() == UNAUTHORIZED_API_BODY
    assert api.get(USERS).status_code == 200
    assert api.get(USERS).status_code == 429
    assert api.emu.stats()['api_faults_served'] == 2


def test_api_fault_rate_limited_reset_not_json(api):
    api.inject({'fault': 'rate_limited', 'retry_after': 3}, {'fault': 'rate_limited'}, {'fault': 'reset'},
               {'fault': 'not_json'})
    limited = api.get(USERS)
    assert (limited.status_code, limited.headers.get('Retry-After')) == (429, '3')
    assert limited.headers['Content-Type'].split(';')[0] == 'application/json'
    assert limited.json()['statusCode'] == 429
    bare = api.get(BRANDS)
    assert (bare.status_code, bare.headers.get('Retry-After')) == (429, None)
    with pytest.raises(requests.exceptions.ConnectionError) as caught:
        api.get(USERS)
    assert _caused_by_reset(caught.value), repr(caught.value)
    html = api.get(USERS)
    assert (html.status_code, html.headers['Content-Type'].split(';')[0]) == (200, 'text/html')
    assert api.get(USERS).status_code == 200
    stats = api.emu.stats()
    assert (stats['api_429'], stats['api_faults_served'], stats['api_200'], stats['api_requests']) == (2, 4, 2, 5)


def test_faults_go_to_their_own_queue(api):
    api.inject({'fault': 'status', 'code': 502})
    assert api.emu.inject({'fault': 'status', 'code': 504}).json() == {'queued': 1}
    assert api.emu.get(FAULTS).json() == {'queued': [{'fault': 'status', 'code': 504}],
                                          'api_queued': [{'fault': 'status', 'code': 502}]}
    assert api.emu.mint('v2').status_code == 504
    assert api.get(USERS).status_code == 502
    assert api.emu.get(FAULTS).json() == {'queued': [], 'api_queued': []}
    for target in ('api ', 'tokens', None, 5):
        refused = api.emu.post(FAULTS, json={'faults': [{'fault': 'reset'}], 'target': target})
        assert refused.status_code == 400 and refused.json()['error'] is True
    assert api.emu.post(FAULTS, json={'faults': [{'fault': 'teapot'}], 'target': 'api'}).status_code == 400
    assert api.emu.get(FAULTS).json() == {'queued': [], 'api_queued': []}


def test_slow_api_fault_answers_late_with_the_normal_answer(api):
    api.inject({'fault': 'slow', 'delay': 0.05}, {'fault': 'trickle', 'interval': 0.001})
    created = api.call('POST', USERS, json={'email': 'slow@example.com'})
    assert created.status_code == 201
    brands = api.get(BRANDS)
    assert brands.status_code == 200 and len(brands.json()) == 2
    stats = api.emu.stats()
    assert (stats['api_201'], stats['api_200'], stats['users_created'], stats['api_faults_served']) == (1, 1, 1, 2)


def test_slow_post_creates_the_user_though_the_client_gave_up(start_api):
    emu = start_api()
    api = Api(emu)
    stopping = emu.server.stopping = _WatchedEvent()
    api.inject({'fault': 'slow', 'delay': 120})
    outcome = []

    def create():
        try:
            with requests.Session() as session:
                session.trust_env = False
                outcome.append(session.post(emu.url + USERS, json={'email': 'timeout@example.com'},
                                            headers=api.headers, timeout=(10, 30)))
        except requests.exceptions.RequestException as exc:
            outcome.append(exc)

    client = threading.Thread(target=create, daemon=True)
    client.start()
    try:
        assert stopping.waited_on.wait(10)  # the answer is held back: the request was handled
        found = _page(api, email='timeout@example.com').json()
        assert [user['id'] for user in found] == [100301]
        assert emu.stats()['users_created'] == 1
    finally:
        emu.stop()
    client.join(timeout=30)
    assert len(outcome) == 1 and isinstance(outcome[0], requests.exceptions.ConnectionError)


def test_slow_post_makes_a_client_time_out_and_a_retry_meets_422(start_api):
    api = Api(start_api())
    api.inject({'fault': 'slow', 'delay': 1.0})
    with pytest.raises(requests.exceptions.ReadTimeout):
        with requests.Session() as session:
            session.trust_env = False
            session.post(api.emu.url + USERS, json={'email': 'retry@example.com'}, headers=api.headers,
                         timeout=(10, 0.3))
    retry = api.call('POST', USERS, json={'email': 'retry@example.com'})
    assert retry.status_code == 422
    assert retry.json()['message'] == 'Validation failed: Email must be unique'


# -- the counters --

def test_api_counters(api):
    api.get(USERS)
    api.get(BRANDS)
    api.get(API1_USERS)
    api.call('POST', USERS, json={'email': 'c@example.com'})
    api.call('POST', USERS, json={})
    api.call('PUT', '/api/2/users/100002', json={'lastname': 'X'})
    api.call('PATCH', '/api/2/users/100002', json={})
    api.call('DELETE', '/api/2/users/100003')
    api.call('DELETE', '/api/2/users/100003')
    api.get(USERS, limit=0)
    api.get(MFA)
    api.emu.get(USERS)
    api.inject({'fault': 'status', 'code': 500})
    api.get(USERS)
    assert _api_counts(api.emu) == {
        'api_requests': 13, 'api_get': 7, 'api_post': 2, 'api_put': 1, 'api_patch': 1, 'api_delete': 2,
        'api_200': 4, 'api_201': 1, 'api_204': 1, 'api_400': 1, 'api_401': 2, 'api_401_valid_token': 1,
        'api_404': 1, 'api_405': 1, 'api_422': 1, 'api_429': 0, 'api_5xx': 1, 'api_faults_served': 1,
        'api_faults_queued': 0, 'users_created': 1, 'users_deleted': 1, 'users': 300, 'rate_limit_remaining': 4990}


# -- the command line --

def test_cli_api_options(emulator_module):
    args, dummy = emulator_module.parse_args(['--client', 'an-id:a-secret'])
    assert (args.users, args.rate_limit, args.rate_window, args.encode_cursors, args.api_faults) == (
        300, 5000, 3600, False, [])
    args, dummy = emulator_module.parse_args([
        '--client', 'an-id:a-secret', '--users', '0', '--rate-limit', '7', '--rate-window', '2.5', '--encode-cursors',
        '--api-fault', 'status:503', '--api-fault', 'slow:0.5', '--fault', 'reset'])
    assert (args.users, args.rate_limit, args.rate_window, args.encode_cursors) == (0, 7, 2.5, True)
    assert args.api_faults == [{'fault': 'status', 'code': 503}, {'fault': 'slow', 'delay': 0.5}]
    assert args.faults == [{'fault': 'reset'}]


@pytest.mark.parametrize('option, value', [('--users', '-1'), ('--users', '100001'), ('--users', 'many'),
                                           ('--rate-limit', '-1'), ('--rate-limit', '1.5'), ('--rate-window', '0'),
                                           ('--rate-window', 'nan'), ('--api-fault', 'teapot'),
                                           ('--api-fault', 'status:200')])
def test_cli_refuses_bad_api_options(emulator_module, capsys, option, value):
    with pytest.raises(SystemExit) as caught:
        emulator_module.parse_args(['--client', 'an-id:a-secret', option, value])
    assert caught.value.code == 2
    assert option in capsys.readouterr().err


def test_cli_api_options_are_served(start_emulator):
    running = start_emulator(process=True, args=('--users', '5', '--rate-limit', '3', '--encode-cursors',
                                                 '--api-fault', 'status:503', '--fault', 'error_200:401'))
    with requests.Session() as session:
        session.trust_env = False
        assert session.post(running.url + V2, json={'grant_type': 'client_credentials'},
                            auth=(running.client_id, running.client_secret), timeout=10).json()['status']['code'] == 401
        token = session.post(running.url + V2, json={'grant_type': 'client_credentials'},
                             auth=(running.client_id, running.client_secret), timeout=10).json()['access_token']
        headers = {'Authorization': 'Bearer ' + token}
        answers = [session.get(running.url + USERS, params={'limit': 2}, headers=headers, timeout=10)
                   for dummy in range(5)]
    assert [answer.status_code for answer in answers] == [503, 200, 200, 200, 429]
    assert answers[1].headers['Total-Count'] == '5'
    assert answers[1].headers['After-Cursor'] == urllib.parse.quote(_cursor(2, 2), safe='')
    assert answers[4].headers['Content-Type'] == 'text/html'
    stats = running.stats()
    assert (stats['api_faults_served'], stats['faults_served'], stats['users']) == (1, 1, 5)


def test_running_emulator_inject_api(emulator):
    assert emulator.inject({'fault': 'status', 'code': 503}, target='api') == {'queued': 1}
    assert emulator.inject({'fault': 'error_200'}) == {'queued': 1}
    stats = emulator.stats()
    assert (stats['faults_queued'], stats['api_faults_queued']) == (1, 1)
    with requests.Session() as session:
        session.trust_env = False
        answer = session.get(emulator.url + USERS, timeout=10)
    assert answer.status_code == 503  # the API fault, before the missing token
    stats = emulator.stats()
    assert (stats['faults_queued'], stats['api_faults_queued'], stats['api_faults_served']) == (1, 0, 1)
