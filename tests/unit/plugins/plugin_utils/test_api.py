"""Unit tests of ``_api``: the call loop, pages, retries, the shared rate limit and the renewal of a rejected token.

OneLogin is played by a scripted HTTP server on 127.0.0.1 (each request gets the next scripted answer, and is
recorded); the token source is stubbed, so that a test decides which token is cached and sees every renewal. The
integration tests run the same behaviour against the emulator through real ansible-playbook runs.
"""

from __future__ import annotations

import base64
import collections
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from ansible_collections.sso.onelogin.plugins.plugin_utils import _api, _token_source
from ansible_collections.sso.onelogin.plugins.plugin_utils._api_request import request_from
from ansible_collections.sso.onelogin.tests.unit.clock import FakeClock
from ansible_collections.sso.onelogin.tests.unit.plugins.plugin_utils.http_stubs import QuietHandler

SECRET = 'api-test-secret-0123456789'


def cursor(page):
    return base64.b64encode(('limit=2&sort=id&page=%d&sort_direction=asc' % page).encode()).decode()


class _Handler(QuietHandler):
    protocol_version = 'HTTP/1.1'

    def _answer(self):
        script = self.server.script
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        parts = urlsplit(self.path)
        script.requests.append({'method': self.command, 'path': parts.path, 'query': parse_qs(parts.query),
                                'authorization': self.headers.get('Authorization'), 'body': body})
        status, payload, headers, hold = script.answers.popleft() if script.answers else (599, b'unscripted', {}, 0)
        if hold:
            script.release.wait(hold)  # a slow answer: the client gives up first
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload).encode('utf-8')
            headers = dict({'Content-Type': 'application/json'}, **headers)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(payload)))
        self.send_header('Connection', 'close')
        self.end_headers()
        self.wfile.write(payload)


class Script:
    """The answers to give, in order, and the requests received (on the ``serve`` fixture's server)."""

    def __init__(self, server):
        self.url, self.release, self.requests = server.url, server.release, server.requests
        self.answers = collections.deque()

    def then(self, status, payload=b'', headers=None, hold=0):
        self.answers.append((status, payload, dict(headers or {}), hold))
        return self


@pytest.fixture
def script(serve):
    server = serve(_Handler)
    server.script = Script(server)
    return server.script


class Tokens:
    """The stubbed token source: the cached token, and every call made to it."""

    def __init__(self):
        self.current = 'token-one-' + 'a' * 32
        self.calls = []
        self.minted = 0

    def obtain(self, settings, renew_for=None, check_mode=False, cache=None, now=None, sleep=None, rejected=None):
        self.calls.append({'check_mode': check_mode, 'rejected': rejected})
        if rejected is not None and rejected == self.current:
            self.minted += 1
            self.current = 'token-%d-' % (self.minted + 1) + 'b' * 32
        return _token_source.Outcome(dict(access_token=self.current), False)


@pytest.fixture
def tokens(monkeypatch, run_cache):
    stub = Tokens()
    monkeypatch.setattr(_token_source, 'obtain', stub.obtain)
    return stub


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def call(script, tokens, clock, settings_for):
    """``call(path, settings=..., check_mode=..., **request options)``: the engine against the script."""
    def run(path='/api/2/users', check_mode=False, settings=None, **options):
        settings = settings or {}
        built = settings_for(api_url=script.url, client_id='cid', client_secret=SECRET, **settings)
        return _api.call(built, request_from(path, **options), check_mode=check_mode, now=clock, sleep=clock.sleep)
    return run


def page_headers(after=None, total=5, remaining=100, reset=600):
    found = {'Total-Count': str(total), 'X-RateLimit-Limit': '5000', 'X-RateLimit-Remaining': str(remaining),
             'X-RateLimit-Reset': str(reset)}
    if after is not None:
        found['After-Cursor'] = after
    return found


# -- pages -------------------------------------------------------------------------------------------------------------

def test_a_list_is_walked_to_the_end_with_the_filters_kept_and_the_cursor_alone(call, script, tokens, clock):
    script.then(200, [{'id': 1}, {'id': 2}], page_headers(cursor(2)))
    script.then(200, [{'id': 3}, {'id': 4}], page_headers(cursor(3).replace('=', '%3D')))  # URL-encoded
    script.then(200, [{'id': 5}], page_headers())
    result = call(query={'email': 'e@x', 'sort': 'id'}, page_size=2)
    assert result['json'] == [{'id': n} for n in range(1, 6)]
    assert result['pagination'] == {'pages': 3, 'total_count': 5}
    sent = [request['query'] for request in script.requests]
    assert sent == [{'email': ['e@x'], 'sort': ['id'], 'limit': ['2']},
                    {'email': ['e@x'], 'cursor': [cursor(2)]},
                    {'email': ['e@x'], 'cursor': [cursor(3)]}]  # decoded once: sent as it was meant
    assert [request['authorization'] for request in script.requests] == ['Bearer ' + tokens.current] * 3
    assert (result['requests'], result['retries'], result['changed'], result['status']) == (3, 0, False, 200)
    assert result['rate_limit'] == {'limit': 5000, 'remaining': 100, 'reset': 600}
    assert len(tokens.calls) == 1 + len(script.requests) and not clock.sleeps  # asked for before every page too


def test_paginate_false_returns_the_first_page_as_it_came(call, script):
    script.then(200, [{'id': 1}], page_headers(cursor(2)))
    result = call(paginate=False)
    assert result['json'] == [{'id': 1}] and result['pagination'] == {'pages': 1} and len(script.requests) == 1


def test_an_object_and_an_unpaginated_list_are_returned_as_they_came(call, script):
    script.then(200, {'id': 1, 'name': 'Brand'})
    assert call('/api/2/brands/1')['json'] == {'id': 1, 'name': 'Brand'}
    script.then(200, [{'id': 1}, {'id': 2}])
    assert call('/api/2/brands')['json'] == [{'id': 1}, {'id': 2}]


def test_a_v1_list_is_walked_through_its_envelope(call, script):
    envelope = {'status': {'error': False, 'code': 200, 'type': 'success', 'message': 'Success'}}
    script.then(200, dict(envelope, pagination={'after_cursor': 'c2'}, data=[{'id': 1}]))
    script.then(200, dict(envelope, pagination={'after_cursor': None}, data=[{'id': 2}]))
    result = call('/api/1/users', query={'email': 'e'})
    assert result['json'] == [{'id': 1}, {'id': 2}]
    assert script.requests[1]['query'] == {'email': ['e'], 'after_cursor': ['c2']}
    assert script.requests[0]['authorization'].startswith('bearer:')  # v1's documented form


@pytest.mark.parametrize('second, words', [
    ((200, [{'id': 2}], page_headers(cursor(2))), 'same cursor twice'),
    ((200, {'oops': True}, {}), 'Page 2 was not a list'),
])
def test_a_walk_that_cannot_end_well_returns_no_partial_list(call, script, second, words):
    script.then(200, [{'id': 1}], page_headers(cursor(2)))
    script.then(*second)
    with pytest.raises(_api.ApiFailure) as caught:
        call()
    assert words in str(caught.value) and 'no partial list' in str(caught.value)


def test_more_pages_than_max_pages_fail(call, script):
    for page in range(2, 5):
        script.then(200, [{'id': page}], page_headers(cursor(page)))
    with pytest.raises(_api.ApiFailure) as caught:
        call(max_pages=3)
    assert 'more than max_pages (3)' in str(caught.value) and len(script.requests) == 3


# -- failures and retries ----------------------------------------------------------------------------------------------

def test_a_422_is_not_retried_and_says_what_onelogin_said(call, script, clock):
    script.then(422, {'statusCode': 422, 'name': 'UnprocessableEntityError',
                      'message': 'Validation failed: Email must be unique'})
    with pytest.raises(_api.ApiFailure) as caught:
        call(method='POST', body={'email': 'ada@example.com'})
    failure = caught.value
    assert (failure.status, failure.error) == (422, {'name': 'UnprocessableEntityError',
                                                     'message': 'Validation failed: Email must be unique'})
    assert 'HTTP 422 to POST' in str(failure) and 'Email must be unique' in str(failure)
    assert len(script.requests) == 1 and not clock.sleeps


def test_a_server_error_is_retried_for_get_and_not_for_post(call, script, clock):
    script.then(503, b'down').then(200, [{'id': 1}])
    result = call(paginate=False)
    assert (result['requests'], result['retries'], len(clock.sleeps)) == (2, 1, 1)
    script.then(503, b'down').then(201, {'id': 9})
    with pytest.raises(_api.ApiFailure) as caught:
        call(method='POST', body={'email': 'x@y'})
    assert caught.value.status == 503 and 'not sent again' in str(caught.value)
    assert len(script.requests) == 3


def test_a_post_whose_answer_was_lost_is_not_sent_again(call, script):
    script.then(201, {'id': 1}, hold=10)
    with pytest.raises(_api.ApiFailure) as caught:
        call(method='POST', body={'email': 'x@y'}, settings={'timeout': 1})
    assert 'may have been carried out' in str(caught.value) and len(script.requests) == 1


def test_a_429_waits_for_retry_after_then_for_the_reset_then_backs_off(call, script, clock):
    html = b'<html><body>Too Many Requests</body></html>'
    script.then(429, html, {'Content-Type': 'text/html', 'Retry-After': '7'})
    script.then(429, html, {'Content-Type': 'text/html', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '42'})
    script.then(429, html, {'Content-Type': 'text/html'})
    script.then(200, [])
    result = call(settings={'retry_timeout': 120}, paginate=False)
    assert clock.sleeps[:2] == [7, 42] and 1 <= clock.sleeps[2] <= 1.0 * 2  # floor 1 s, first backoff under 1 s
    assert (result['retries'], result['requests']) == (3, 4)


def test_a_reset_later_than_retry_timeout_fails_at_once_naming_it(call, script, clock):
    script.then(429, b'<html></html>', {'Content-Type': 'text/html', 'X-RateLimit-Remaining': '0',
                                        'X-RateLimit-Reset': '900'})
    with pytest.raises(_api.ApiFailure) as caught:
        call(settings={'retry_timeout': 30})
    assert caught.value.status == 429 and 'wait 900 s (until ' in str(caught.value) and not clock.sleeps


def test_a_spent_budget_seen_by_another_worker_is_waited_for_without_a_request(call, script, clock):
    script.then(200, [], page_headers(remaining=0, reset=20))
    call()  # this one learns that the budget is spent, and shares it through the cache entry
    script.then(200, [], page_headers(remaining=4999, reset=3600))
    call()
    assert clock.sleeps == [20] and len(script.requests) == 2  # waited for the reset, then sent once
    script.then(200, [], page_headers(remaining=0, reset=600))
    call()
    with pytest.raises(_api.ApiFailure) as caught:
        call(settings={'retry_timeout': 30})
    assert 'spent until' in str(caught.value) and 'was not sent' in str(caught.value)
    assert len(script.requests) == 3  # failed at once: no request spent on a 429


def test_with_cache_none_nothing_is_shared(call, script, clock):
    script.then(200, [], page_headers(remaining=0, reset=20)).then(200, [])
    call(settings={'cache': 'none'})
    call(settings={'cache': 'none'})
    assert not clock.sleeps and len(script.requests) == 2


# -- a rejected token --------------------------------------------------------------------------------------------------

UNAUTHORIZED = {'statusCode': 401, 'name': 'UnauthorizedError', 'message': 'Unauthorized'}


def test_a_rejected_token_is_checked_renewed_once_and_the_request_sent_again(call, script, tokens):
    first = tokens.current
    script.then(401, UNAUTHORIZED).then(401, {'status': {'error': True, 'code': 401}}).then(200, [{'id': 1}])
    result = call()
    assert [(r['path'], r['authorization']) for r in script.requests] == [
        ('/api/2/users', 'Bearer ' + first), ('/auth/rate_limit', 'bearer:' + first),
        ('/api/2/users', 'Bearer ' + tokens.current)]
    assert tokens.minted == 1 and [c['rejected'] for c in tokens.calls if c['rejected']] == [first]
    assert result['token_renewed'] is True and result['json'] == [{'id': 1}] and result['requests'] == 3


def test_a_401_about_the_endpoint_itself_mints_nothing(call, script, tokens):
    script.then(401, UNAUTHORIZED).then(200, {'status': {'error': False}, 'data': {}})
    with pytest.raises(_api.ApiFailure) as caught:
        call('/api/2/mfa/users/1/verifications', method='POST', body={'otp': '123'})
    assert tokens.minted == 0 and 'although the token is valid' in str(caught.value)
    assert caught.value.status == 401 and caught.value.error['name'] == 'UnauthorizedError'


def test_a_second_401_fails(call, script, tokens):
    script.then(401, UNAUTHORIZED).then(401, b'').then(401, UNAUTHORIZED)
    with pytest.raises(_api.ApiFailure) as caught:
        call()
    assert caught.value.status == 401 and 'after a first 401' in str(caught.value) and tokens.minted == 1


# -- check mode and secrets --------------------------------------------------------------------------------------------

def test_check_mode_sends_a_get_and_not_a_write(call, script, tokens):
    script.then(200, [])
    assert call(check_mode=True)['requests'] == 1
    assert tokens.calls and all(made['check_mode'] for made in tokens.calls)  # so a v1 token is never minted
    result = call(method='DELETE', path='/api/2/users/1', check_mode=True)
    assert result['changed'] is True and result['requests'] == 0 and len(script.requests) == 1


def test_no_token_or_secret_in_a_result_or_a_message(call, script, tokens):
    echo = 'you sent %s with %s' % (tokens.current, SECRET)
    script.then(200, [{'note': 'fine'}], page_headers())
    result = call()
    script.then(400, {'statusCode': 400, 'name': 'BadRequestError', 'message': echo})
    with pytest.raises(_api.ApiFailure) as caught:
        call()
    shown = json.dumps(result) + str(caught.value) + json.dumps(caught.value.error)
    assert tokens.current not in shown and SECRET not in shown and 'BadRequestError' in shown
