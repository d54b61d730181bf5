"""Tests of the OneLogin emulator itself (tests/emulator/onelogin_emulator.py), over real HTTP.

The other tests trust the emulator to behave like OneLogin; these check that it does what its
documentation says. To stay fast, each module-scoped server serves every test and is reset (through
its own reset endpoint) before each one; the token lifetime tests use a fake clock, not sleeps.
"""

from __future__ import annotations

import base64
import calendar
import secrets
import threading

import pytest
import requests


V1 = '/auth/oauth2/token'
V2 = '/auth/oauth2/v2/token'
REVOKE = '/auth/oauth2/revoke'
RATE = '/auth/rate_limit'
USERS = '/api/2/users'
STATS = '/__emulator__/stats'
RESET = '/__emulator__/reset'

UNAUTHORIZED_API_BODY = {'message': 'Unauthorized', 'statusCode': 401, 'name': 'UnauthorizedError'}
DOCUMENTED_LIFETIME = 36000


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now):
        self.start = self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


class Emulator:
    def __init__(self, server, client_id, client_secret, clock=None):
        self.server = server
        self.url = server.url
        self.client_id = client_id
        self.client_secret = client_secret
        self.clock = clock

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


def _serve(module, clock=None, lifetime=None):
    client_id, client_secret = 'client-' + secrets.token_hex(6), 'secret-' + secrets.token_hex(20)
    kwargs = {}
    if clock is not None:
        kwargs['clock'] = clock
    if lifetime is not None:
        kwargs['lifetime'] = lifetime
    server = module.start_in_thread({client_id: client_secret}, **kwargs)
    assert isinstance(server.url, str) and server.url.startswith('http://127.0.0.1:')
    return Emulator(server, client_id, client_secret, clock=clock)


def _stop(emu):
    emu.server.shutdown()
    emu.server.server_close()


@pytest.fixture(scope='module')
def shared_emulator(emulator_module):
    emu = _serve(emulator_module)
    try:
        yield emu
    finally:
        _stop(emu)


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
def shared_clocked_emulator(emulator_module):
    emu = _serve(emulator_module, clock=FakeClock(CLOCK_START), lifetime=SHORT_LIFETIME)
    try:
        yield emu
    finally:
        _stop(emu)


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
    assert [user['email'] for user in new.json()] == ['ada@example.com', 'alan@example.com', 'grace@example.com']

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
    assert _status(response)['message'] == 'No Route Exists'
    assert emu.stats()['exchanges'] == 0


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
    assert set(data) == {'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'}
    assert data['X-RateLimit-Limit'] == 5000
    assert data['X-RateLimit-Remaining'] == 4999
    assert second.json()['data']['X-RateLimit-Remaining'] == 4998
    # The clock stands 4 min 5 s into the hour: the window resets in 3600 - 245 seconds.
    assert data['X-RateLimit-Reset'] == 3355
    assert clocked.stats()['rate_limit_calls'] == 2


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
    assert stats == {
        'exchanges': 2, 'exchanges_v1': 1, 'exchanges_v2': 1, 'exchanges_ok': 1, 'exchanges_failed': 1,
        'tokens_minted': 1, 'revokes': 0, 'rate_limit_calls': 0, 'api_200': 1, 'api_401': 1,
        'valid_tokens': 1, 'token_lifetime': DOCUMENTED_LIFETIME,
    }

    reset = emu.post(RESET)
    assert reset.status_code == 200 and reset.json() == {'reset': True}
    cleared = emu.stats()
    assert all(cleared[name] == 0 for name in cleared if name != 'token_lifetime')
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
