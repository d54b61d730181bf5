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
