"""Unit tests of the token source against the real OneLogin emulator: mint once, share, renew, wait out v2 tokens."""

from __future__ import annotations

import multiprocessing
import os
import stat
from datetime import datetime, timezone

import pytest

from ansible_collections.sso.onelogin.plugins.plugin_utils._cache import TokenCache
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError
from ansible_collections.sso.onelogin.plugins.plugin_utils._token_source import (Outcome, as_fact, failure_window, obtain,
                                                                                 revoke)
from ansible_collections.sso.onelogin.tests.unit.clock import T0, FakeClock, never_sleep


LIFETIME = 3600
MIN_TTL = 300

# Calls that pass no clock run on the fake one (tests/unit/plugins/conftest.py), which starts at the real time: a
# broken cache then fails the test in seconds instead of sleeping toward a token's expiry, as a wait does.
pytestmark = pytest.mark.usefixtures('door_clock')


@pytest.fixture
def cache(tmp_path):
    return TokenCache(str(tmp_path / 'run-cache'))


def exchanges(server):
    return server.stats()['exchanges']


def cached(cache, settings, now=None):
    """The record in ``cache``, read back against ``now`` (a FakeClock; default: the real clock)."""
    with cache.entry(settings.cache_key) as entry:
        return entry.read(now)


# -- mint once, then reuse ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('token_api', ['v2', 'v1'])
def test_first_call_mints_and_the_second_reuses(emulator, settings_for, cache, token_api):
    settings = settings_for(emulator, token_api=token_api)
    first = obtain(settings, cache=cache)
    assert first.minted is True
    assert emulator.stats()['exchanges'] == 1
    assert emulator.stats()['exchanges_' + token_api] == 1
    assert first.record['access_token']
    assert first.record['api_url'] == emulator.url
    assert first.record['client_id'] == emulator.client_id

    second = obtain(settings, cache=cache)
    assert second.minted is False
    assert second.record['access_token'] == first.record['access_token']
    assert emulator.stats()['exchanges'] == 1
    assert cached(cache, settings)['access_token'] == first.record['access_token']


def test_a_v1_token_is_replaced_once_when_it_gets_down_to_min_ttl(start_emulator, settings_for, cache):
    clock = FakeClock()
    server = start_emulator(clock=clock, lifetime=LIFETIME)
    settings = settings_for(server, token_api='v1', min_ttl=MIN_TTL)
    first = obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    assert first.minted and exchanges(server) == 1

    clock.advance(LIFETIME - MIN_TTL - 1)  # MIN_TTL + 1 seconds left: still good
    kept = obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    assert kept == Outcome(first.record, False)
    assert exchanges(server) == 1

    clock.advance(1)  # exactly MIN_TTL left: no longer handed out
    renewed = obtain(settings, cache=cache, now=clock, sleep=clock.sleep)
    # Its successor (which kills it) is minted only once it is down to MIN_TTL / 2: whoever got it
    # last, with MIN_TTL + 1 seconds left, had at least MIN_TTL / 2 seconds to use it.
    assert clock.sleeps == [MIN_TTL / 2]
    assert clock() == first.record['expires_at'] - MIN_TTL / 2
    assert renewed.minted is True
    assert renewed.record['access_token'] != first.record['access_token']
    assert renewed.record['expires_at'] == clock() + LIFETIME
    assert exchanges(server) == 2

    again = obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    assert again == Outcome(renewed.record, False)
    assert exchanges(server) == 2


@pytest.mark.parametrize('left', [MIN_TTL / 2, 10, 0, -30])
def test_a_v1_token_found_late_is_replaced_without_waiting(start_emulator, settings_for, cache, left):
    clock = FakeClock()
    server = start_emulator(clock=clock, lifetime=LIFETIME)
    settings = settings_for(server, token_api='v1', min_ttl=MIN_TTL)
    obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    clock.advance(LIFETIME - left)
    assert obtain(settings, cache=cache, now=clock, sleep=never_sleep).minted is True
    assert exchanges(server) == 2


def test_a_forced_v1_renewal_does_not_wait(start_emulator, settings_for, cache):
    clock = FakeClock()
    server = start_emulator(clock=clock, lifetime=LIFETIME)
    settings = settings_for(server, token_api='v1', min_ttl=MIN_TTL)
    obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    clock.advance(LIFETIME - MIN_TTL)
    assert obtain(settings, renew_for='task-1', cache=cache, now=clock, sleep=never_sleep).minted is True
    assert exchanges(server) == 2


@pytest.mark.parametrize('token_api', ['v2', 'v1'])
def test_a_rejected_token_is_replaced_at_once_and_only_while_it_is_the_cached_one(start_emulator, settings_for, cache,
                                                                                  token_api):
    clock = FakeClock()
    server = start_emulator(clock=clock, lifetime=LIFETIME)
    settings = settings_for(server, token_api=token_api, min_ttl=MIN_TTL)
    rejected = obtain(settings, cache=cache, now=clock, sleep=never_sleep).record['access_token']
    server.state.revoke(server.client_id, rejected)  # OneLogin no longer accepts it (for v2: a new one comes back)
    first = obtain(settings, cache=cache, now=clock, sleep=never_sleep, rejected=rejected)
    assert first.minted is True and first.record['access_token'] != rejected  # at once: no wait for min_ttl
    # Another worker met the same 401 with the same token: it gets the successor, nothing is minted again.
    second = obtain(settings, cache=cache, now=clock, sleep=never_sleep, rejected=rejected)
    assert (second.minted, second.record['access_token']) == (False, first.record['access_token'])
    assert exchanges(server) == 2


def test_a_cached_v2_token_at_min_ttl_is_waited_out_then_replaced_with_one_exchange(start_emulator, settings_for, cache):
    clock = FakeClock()
    server = start_emulator(clock=clock, lifetime=LIFETIME)
    settings = settings_for(server, min_ttl=MIN_TTL)
    first = obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    clock.advance(LIFETIME - MIN_TTL)
    renewed = obtain(settings, cache=cache, now=clock, sleep=clock.sleep)
    # Asking v2 before the old token expires would only hand it back: wait it out, then ask once.
    assert clock.sleeps == [MIN_TTL + 1]
    assert renewed.record['access_token'] != first.record['access_token']
    assert renewed.record['expires_at'] - clock() == LIFETIME
    assert exchanges(server) == 2
    assert obtain(settings, cache=cache, now=clock, sleep=never_sleep) == Outcome(renewed.record, False)


def test_an_expired_v2_token_is_replaced_once_without_waiting(start_emulator, settings_for, cache):
    clock = FakeClock()
    server = start_emulator(clock=clock, lifetime=LIFETIME)
    settings = settings_for(server, min_ttl=MIN_TTL)
    first = obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    clock.advance(LIFETIME + 1)
    renewed = obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    assert renewed.minted is True
    assert renewed.record['access_token'] != first.record['access_token']
    assert exchanges(server) == 2
    assert obtain(settings, cache=cache, now=clock, sleep=never_sleep) == Outcome(renewed.record, False)
    assert exchanges(server) == 2


# -- renew_for: a forced renewal, once per task ---------------------------------------------------------------------

@pytest.mark.parametrize('token_api', ['v2', 'v1'])
def test_renew_for_mints_once_per_task(emulator, settings_for, cache, token_api):
    settings = settings_for(emulator, token_api=token_api)
    plain = obtain(settings, cache=cache)
    assert plain.minted and emulator.stats()['exchanges'] == 1

    forced = obtain(settings, renew_for='task-1', cache=cache)
    assert forced.minted is True  # although the cached token was good
    assert emulator.stats()['exchanges'] == 2
    assert cached(cache, settings)['minted_by'] == 'task-1'

    same_task = obtain(settings, renew_for='task-1', cache=cache)  # the same task on another host
    assert same_task == Outcome(forced.record, False)
    assert emulator.stats()['exchanges'] == 2

    unforced = obtain(settings, cache=cache)
    assert unforced == Outcome(forced.record, False)

    other_task = obtain(settings, renew_for='task-2', cache=cache)
    assert other_task.minted is True
    assert emulator.stats()['exchanges'] == 3
    if token_api == 'v1':  # every v1 exchange is a new token; v2 hands back the current one
        assert len({plain.record['access_token'], forced.record['access_token'],
                    other_task.record['access_token']}) == 3


def test_renew_for_on_a_cold_cache_mints_once(emulator, settings_for, cache):
    settings = settings_for(emulator)
    first = obtain(settings, renew_for='task-1', cache=cache)
    second = obtain(settings, renew_for='task-1', cache=cache)
    assert (first.minted, second.minted) == (True, False)
    assert second.record['access_token'] == first.record['access_token']
    assert emulator.stats()['exchanges'] == 1


# -- check mode -----------------------------------------------------------------------------------------------------

def test_check_mode_never_mints_a_v1_token(emulator, settings_for, cache):
    settings = settings_for(emulator, token_api='v1')
    assert obtain(settings, check_mode=True, cache=cache) == Outcome(None, False)
    assert obtain(settings, check_mode=True, renew_for='task-1', cache=cache) == Outcome(None, False)
    assert emulator.stats()['exchanges'] == 0
    assert cached(cache, settings) is None


def test_check_mode_hands_out_a_cached_v1_token(emulator, settings_for, cache):
    settings = settings_for(emulator, token_api='v1')
    minted = obtain(settings, cache=cache)
    reused = obtain(settings, check_mode=True, cache=cache)
    assert reused == Outcome(minted.record, False)
    assert emulator.stats()['exchanges'] == 1


def test_check_mode_does_not_replace_a_stale_v1_token(start_emulator, settings_for, cache):
    clock = FakeClock()
    server = start_emulator(clock=clock, lifetime=LIFETIME)
    settings = settings_for(server, token_api='v1', min_ttl=MIN_TTL)
    minted = obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    clock.advance(LIFETIME)
    assert obtain(settings, check_mode=True, cache=cache, now=clock, sleep=never_sleep) == Outcome(None, False)
    assert exchanges(server) == 1
    assert cached(cache, settings, now=clock) == minted.record


def test_check_mode_obtains_a_v2_token(emulator, settings_for, cache):
    settings = settings_for(emulator, token_api='v2')
    outcome = obtain(settings, check_mode=True, cache=cache)
    assert outcome.minted is True
    assert emulator.stats()['exchanges'] == 1


# -- v2 end of life -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('left', [MIN_TTL, 60, 1])
def test_a_v2_token_near_its_end_is_waited_out(start_emulator, settings_for, cache, left):
    clock = FakeClock()
    server = start_emulator(clock=clock, lifetime=LIFETIME)
    # Someone else (another run) obtained the current v2 token earlier; v2 hands everyone that one.
    old_token = server.state.mint_v2(server.client_id)['access_token']
    clock.advance(LIFETIME - left)
    settings = settings_for(server, min_ttl=MIN_TTL)

    outcome = obtain(settings, cache=cache, now=clock, sleep=clock.sleep)

    assert outcome.minted is True
    assert len(clock.sleeps) == 1
    assert clock.sleeps[0] > left  # slept until the old token had expired, and no longer than a second past it
    assert clock.sleeps[0] <= left + 1
    assert outcome.record['access_token'] != old_token
    assert outcome.record['expires_at'] - clock() > MIN_TTL
    assert server.state.use(outcome.record['access_token']) is not None  # the emulator accepts it now
    assert exchanges(server) == 2
    assert cached(cache, settings, now=clock)['access_token'] == outcome.record['access_token']


def test_a_v2_lifetime_not_above_min_ttl_is_an_error(start_emulator, settings_for, cache):
    clock = FakeClock()
    server = start_emulator(clock=clock, lifetime=200)
    settings = settings_for(server, min_ttl=MIN_TTL)
    with pytest.raises(OneLoginError) as caught:
        obtain(settings, cache=cache, now=clock, sleep=clock.sleep)
    message = str(caught.value)
    assert 'min_ttl' in message and 'ONELOGIN_MIN_TTL' in message
    assert server.client_secret not in message
    assert len(clock.sleeps) == 1
    assert exchanges(server) == 2
    assert cached(cache, settings, now=clock) is None


def test_a_short_v1_token_is_an_error_without_waiting(start_emulator, settings_for, cache):
    clock = FakeClock()
    server = start_emulator(clock=clock, lifetime=200)
    settings = settings_for(server, token_api='v1', min_ttl=MIN_TTL)
    with pytest.raises(OneLoginError) as caught:
        obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    assert 'ONELOGIN_MIN_TTL' in str(caught.value)
    assert exchanges(server) == 1
    assert cached(cache, settings, now=clock) is None


def test_a_failed_exchange_caches_nothing(emulator, settings_for, cache):
    settings = settings_for(api_url=emulator.url, client_id=emulator.client_id, client_secret='wrong-secret-4242')
    with pytest.raises(OneLoginError) as caught:
        obtain(settings, cache=cache)
    assert 'wrong-secret-4242' not in str(caught.value)
    assert cached(cache, settings) is None
    assert emulator.stats()['exchanges_failed'] == 1


# -- the fact -------------------------------------------------------------------------------------------------------

def test_as_fact_shape_and_countdown(start_emulator, settings_for, cache):
    clock = FakeClock()
    server = start_emulator(clock=clock, lifetime=LIFETIME)
    settings = settings_for(server)
    record = obtain(settings, cache=cache, now=clock, sleep=never_sleep).record

    fact = as_fact(record, now=clock)
    assert set(fact) == {'access_token', 'token_type', 'expires_in', 'expires_at', 'created_at', 'account_id',
                         'api_url'}
    assert fact['access_token'] == record['access_token']
    assert fact['token_type'] == 'bearer'
    assert fact['expires_in'] == LIFETIME
    assert fact['created_at'] == '2023-11-14T22:13:20Z'
    assert fact['expires_at'] == '2023-11-14T23:13:20Z'
    assert fact['expires_at'] == datetime.fromtimestamp(T0 + LIFETIME, tz=timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    assert fact['account_id'] == server.state.account_id
    assert fact['api_url'] == server.url
    assert server.client_secret not in repr(fact)

    assert as_fact(record, now=lambda: T0 + 1000)['expires_in'] == LIFETIME - 1000
    assert as_fact(record, now=lambda: T0 + LIFETIME - 0.5)['expires_in'] == 0
    assert as_fact(record, now=lambda: T0 + LIFETIME + 50)['expires_in'] == 0


# -- several credential sets ----------------------------------------------------------------------------------------

def test_two_credential_sets_get_their_own_tokens(start_emulator, settings_for, cache):
    clients = {'client-one': 'secret-one-0123456789', 'client-two': 'secret-two-0123456789'}
    server = start_emulator(clients, lifetime=LIFETIME)
    one = settings_for(api_url=server.url, client_id='client-one', client_secret=clients['client-one'])
    two = settings_for(api_url=server.url, client_id='client-two', client_secret=clients['client-two'])
    assert one.cache_key != two.cache_key

    token_one = obtain(one, cache=cache).record['access_token']
    token_two = obtain(two, cache=cache).record['access_token']
    assert token_one != token_two
    assert server.state.tokens[token_one]['client_id'] == 'client-one'
    assert server.state.tokens[token_two]['client_id'] == 'client-two'
    assert exchanges(server) == 2

    again_two = obtain(two, cache=cache)
    again_one = obtain(one, cache=cache)
    assert again_two == Outcome(cached(cache, two), False)
    assert again_two.record['access_token'] == token_two
    assert again_one.record['access_token'] == token_one
    assert again_one.record['client_id'] == 'client-one'
    assert exchanges(server) == 2


# -- the race: many forked workers, one cold cache, one exchange ----------------------------------------------------

WORKERS = 12


def _race_worker(settings, directory, barrier, results, index):
    try:
        barrier.wait(timeout=20)
        # On a cold cache the others wait for the lock, never by sleeping: a wait (a broken cache that hands the
        # v2 token back as stale would sleep toward its expiry) fails the worker at once.
        outcome = obtain(settings, cache=TokenCache(directory), sleep=never_sleep)
        results.put((index, outcome.record['access_token'], outcome.minted, None))
    except BaseException as exc:  # report it to the parent instead of dying silently
        results.put((index, None, None, '%s: %s' % (type(exc).__name__, exc)))


@pytest.mark.parametrize('token_api', ['v2', 'v1'])
def test_many_processes_on_a_cold_cache_make_one_exchange(tmp_path, emulator_process, settings_for, token_api):
    settings = settings_for(emulator_process, token_api=token_api)  # built in the parent, before forking
    directory = str(tmp_path / 'shared-run-cache')
    context = multiprocessing.get_context('fork')
    barrier = context.Barrier(WORKERS)
    results = context.Queue()
    workers = [context.Process(target=_race_worker, args=(settings, directory, barrier, results, index))
               for index in range(WORKERS)]
    for worker in workers:
        worker.start()
    try:
        answers = [results.get(timeout=30) for dummy in range(WORKERS)]
    finally:
        for worker in workers:  # within the test's time limit even when the workers hang
            worker.join(timeout=2)
            if worker.is_alive():
                worker.kill()
                worker.join()

    errors = [error for dummy, dummy_token, dummy_minted, error in answers if error]
    assert errors == []
    assert sorted(index for index, dummy_token, dummy_minted, dummy_error in answers) == list(range(WORKERS))
    assert all(worker.exitcode == 0 for worker in workers)
    stats = emulator_process.stats()
    assert stats['exchanges'] == 1
    assert stats['exchanges_' + token_api] == 1
    tokens = {token for dummy, token, dummy_minted, dummy_error in answers}
    assert len(tokens) == 1
    assert [minted for dummy, dummy_token, minted, dummy_error in answers].count(True) == 1


def test_a_v2_token_handed_back_again_because_of_clock_skew_is_waited_out_longer(start_emulator, settings_for, cache):
    clock = FakeClock()
    skew = 3  # OneLogin's clock is 3 s behind the controller's
    server = start_emulator(clock=lambda: clock() - skew, lifetime=LIFETIME)
    settings = settings_for(server, min_ttl=MIN_TTL)
    first = obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    assert first.record['expires_at'] == T0 - skew + LIFETIME
    clock.advance(LIFETIME - MIN_TTL)
    renewed = obtain(settings, cache=cache, now=clock, sleep=clock.sleep)
    # Waited until the controller thought it expired (+1 s); OneLogin still handed it back twice
    # (at 2 s and 1 s before its own expiry), then a new one after growing margins of 1 and 2 s.
    assert clock.sleeps == [MIN_TTL - skew + 1, 1, 2]
    assert renewed.record['access_token'] != first.record['access_token']
    assert server.state.use(renewed.record['access_token']) is not None
    assert exchanges(server) == 4


def test_a_v2_token_handed_back_at_its_end_of_life_is_asked_again_at_most_four_times(
        start_emulator, settings_for, cache):
    # OneLogin's clock is so far behind that it keeps handing back a token the controller sees as expired: the
    # documented bound (V2_REASKS) is 4 more exchanges after the first, with growing waits, then an error.
    clock = FakeClock()
    server = start_emulator(clock=lambda: clock() - 10 * LIFETIME, lifetime=LIFETIME)
    settings = settings_for(server, min_ttl=MIN_TTL)
    with pytest.raises(OneLoginError) as caught:
        obtain(settings, cache=cache, now=clock, sleep=clock.sleep)
    assert 'not more than min_ttl' in str(caught.value)
    assert clock.sleeps == [1, 2, 4, 8]
    assert exchanges(server) == 1 + 4
    assert cached(cache, settings, now=clock) is None


# -- cache modes ----------------------------------------------------------------------------------------------------

def test_cache_none_mints_at_every_call_and_stores_nothing(emulator, settings_for, run_cache_dir):
    settings = settings_for(emulator, cache='none')
    tokens = {obtain(settings).record['access_token'] for unused in range(3)}
    assert emulator.stats()['exchanges'] == 3
    assert len(tokens) == 1  # v2: the same token comes back each time
    assert not os.path.exists(run_cache_dir)


def test_cache_none_in_check_mode_mints_no_v1_token(emulator, settings_for, run_cache_dir):
    settings = settings_for(emulator, cache='none', token_api='v1')
    assert obtain(settings, check_mode=True) == Outcome(None, False)
    assert emulator.stats()['exchanges'] == 0


def test_a_persistent_cache_is_shared_by_later_runs(emulator, settings_for, tmp_path, run_cache_dir):
    folder = tmp_path / 'persistent'
    tokens = set()
    # Three runs: new Settings and new cache objects each time, as new processes would have.
    for unused in range(3):
        settings = settings_for(emulator, cache='persistent', cache_dir=str(folder), token_api='v1')
        tokens.add(obtain(settings).record['access_token'])
    assert len(tokens) == 1
    assert emulator.stats()['exchanges'] == 1
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    files = [folder / name for name in os.listdir(folder)]
    assert files
    for path in files:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert emulator.client_secret.encode() not in path.read_bytes()
    assert not os.path.exists(run_cache_dir)  # the run cache was not used


def test_the_default_persistent_folder_is_under_xdg_cache_home(emulator, settings_for, tmp_path, monkeypatch):
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'xdg'))
    settings = settings_for(emulator, cache='persistent')
    assert settings.cache_dir == str(tmp_path / 'xdg' / 'sso.onelogin' / 'tokens')
    obtain(settings)
    assert os.listdir(settings.cache_dir)


# -- revoke ---------------------------------------------------------------------------------------------------------

@pytest.fixture
def run_cache_dir(tmp_path, monkeypatch):
    """The run cache folder the token source uses by default (no cache= argument), per test."""
    from ansible_collections.sso.onelogin.plugins.plugin_utils import _cache
    directory = str(tmp_path / 'run-folder')
    monkeypatch.setattr(_cache, 'run_directory', lambda: directory)
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'xdg'))
    return directory


@pytest.mark.parametrize('token_api', ['v2', 'v1'])
def test_revoke_kills_the_cached_token_and_drops_it(emulator, settings_for, run_cache_dir, token_api):
    settings = settings_for(emulator, token_api=token_api)
    token = obtain(settings).record['access_token']
    assert revoke(settings) == token
    assert not emulator.accepts(token)
    assert emulator.stats()['revokes'] == 1
    assert cached(TokenCache(), settings) is None
    renewed = obtain(settings)
    assert renewed.minted and renewed.record['access_token'] != token
    assert emulator.accepts(renewed.record['access_token'])


def test_revoke_with_nothing_cached_sends_nothing(emulator, settings_for, run_cache_dir):
    assert revoke(settings_for(emulator)) is None
    assert emulator.stats()['revokes'] == 0 and emulator.stats()['exchanges'] == 0


def test_revoke_in_check_mode_sends_and_drops_nothing(emulator, settings_for, run_cache_dir):
    settings = settings_for(emulator)
    token = obtain(settings).record['access_token']
    assert revoke(settings, check_mode=True) == token
    assert emulator.accepts(token)
    assert cached(TokenCache(), settings)['access_token'] == token


def test_revoke_a_given_token_keeps_a_different_cached_one(emulator, settings_for, run_cache_dir):
    settings = settings_for(emulator, token_api='v1')
    from ansible_collections.sso.onelogin.plugins.plugin_utils import _client
    other = _client.exchange(settings)['access_token']  # minted outside the cache...
    token = obtain(settings).record['access_token']  # ...and invalidated by this one
    assert revoke(settings, access_token=other) == other
    assert emulator.stats()['revokes'] == 1
    assert cached(TokenCache(), settings)['access_token'] == token
    assert emulator.accepts(token)


def test_revoke_drops_the_token_from_the_persistent_cache_too(emulator, settings_for, tmp_path, run_cache_dir):
    persistent = settings_for(emulator, cache='persistent')
    token = obtain(persistent).record['access_token']
    # A later run with the default run cache revokes it: it goes from the persistent folder as well.
    assert revoke(settings_for(emulator)) is None  # nothing in this run's cache
    assert revoke(settings_for(emulator), access_token=token) == token
    assert cached(TokenCache(persistent.cache_dir, persistent=True), persistent) is None
    assert obtain(persistent).record['access_token'] != token


# -- helpers for the hardening tests ---------------------------------------------------------------------------------

def direct_settings(server, client_id, client_secret, **values):
    """Settings through the options model: ``cache_dir`` is the absolute, unchecked persistent folder in every
    mode (the cache checks, creates and pins it at each use)."""
    from ansible_collections.sso.onelogin.plugins.plugin_utils import _options
    return _options.resolve(dict(values, api_url=server.url, client_id=client_id, client_secret=client_secret))


def planted_record(settings, token='tok-planted-by-someone-else', **changes):
    import time
    record = {'format': 'sso.onelogin/token-cache/1', 'access_token': token, 'token_type': 'bearer',
              'created_at': '2026-01-01T00:00:00Z', 'expires_at': time.time() + 3600, 'account_id': 1,
              'api_url': 'http://attacker.invalid', 'token_api': settings.token_api,
              'client_id': settings.client_id, 'minted_by': None}
    record.update(changes)
    return record


def entry_file(directory, settings, suffix='.json'):
    return os.path.join(str(directory), settings.cache_key + suffix)


# -- D3: a record is handed out only for the settings it was minted for, with their api_url ------------------------

@pytest.mark.parametrize('field, value', [('api_url', 'http://attacker.invalid'), ('client_id', 'someone-else'),
                                          ('token_api', 'v1')])
def test_a_cached_record_for_other_settings_is_a_miss(emulator, settings_for, cache, field, value):
    import json
    settings = settings_for(emulator)
    obtain(settings, cache=cache)
    planted = planted_record(settings, api_url=emulator.url)
    planted[field] = value
    with open(entry_file(cache.directory, settings), 'w', encoding='utf-8') as handle:
        json.dump(planted, handle)
    outcome = obtain(settings, cache=cache)
    assert outcome.minted is True
    assert outcome.record['access_token'] != planted['access_token']
    assert outcome.record['api_url'] == emulator.url
    assert emulator.accepts(outcome.record['access_token'])
    assert cached(cache, settings)['access_token'] == outcome.record['access_token']  # the planted one is replaced


FLIPPER = r'''
import os, sys, threading
link, private, attacker, planted_path, planted_text = sys.argv[1:6]
stop = threading.Event()

def watch():
    sys.stdin.read()  # the test closes the pipe to stop us
    stop.set()

threading.Thread(target=watch, daemon=True).start()

def point(target):
    tmp = link + '.new'
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, link)

def plant():
    try:
        with open(planted_path) as handle:
            if handle.read() == planted_text:
                return
    except OSError:
        pass
    with open(planted_path + '.tmp', 'w') as handle:
        handle.write(planted_text)
    os.replace(planted_path + '.tmp', planted_path)

plant()
point(private)
sys.stdout.write('ready\n')
sys.stdout.flush()
flips = 0
while not stop.is_set():
    point(attacker if flips % 2 == 0 else private)
    flips += 1
    if flips % 16 == 0:
        plant()
point(private)
sys.stdout.write('%d\n' % flips)
sys.stdout.flush()
'''


def test_a_folder_flipped_by_another_process_never_yields_a_planted_record(emulator, clean_env, tmp_path):
    """Another process flips the cache folder's parent between a private folder and a 0777 one with a planted
    record, as fast as it can, while this process asks for the token (150 times at least): every call uses one folder
    throughout, and no call hands out a record it did not validate."""
    import json
    import subprocess
    import sys
    private, attacker = tmp_path / 'private', tmp_path / 'attacker'
    (private / 'tokens').mkdir(parents=True, mode=0o700)
    (attacker / 'tokens').mkdir(parents=True)
    os.chmod(str(attacker / 'tokens'), 0o777)
    link = tmp_path / 'cache-link'
    settings = direct_settings(emulator, emulator.client_id, emulator.client_secret, cache='persistent',
                               cache_dir=str(link / 'tokens'))
    planted = planted_record(settings)
    planted_path = entry_file(attacker / 'tokens', settings)
    flipper = subprocess.Popen(
        [sys.executable, '-c', FLIPPER, str(link), str(private), str(attacker), planted_path, json.dumps(planted)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    outcomes, refusals, errors = [], [], []
    try:
        assert flipper.stdout.readline() == 'ready\n'
        # At least 150 calls, and on until both sides of the race were seen (bounded: a loaded machine may let
        # the flipper hold one side for a while).
        calls = 0
        while calls < 150 or (not (outcomes and refusals) and calls < 5000):
            calls += 1
            try:
                outcomes.append(obtain(settings).record)
            except OneLoginError as exc:
                refusals.append(str(exc))
            except Exception as exc:  # pylint: disable=broad-except  # reported below, after the planted check
                errors.append('%s: %s' % (type(exc).__name__, exc))
        flips = int(flipper.communicate(input='', timeout=60)[0])
    finally:
        if flipper.poll() is None:
            flipper.kill()
            flipper.wait(timeout=30)
    assert flips > 0
    issued = set(emulator.issued_tokens())
    for record in outcomes:
        assert record['access_token'] != planted['access_token']
        assert record['access_token'] in issued
        assert record['api_url'] == emulator.url
    assert errors == []
    assert outcomes, 'no call got through while the folder was private'
    assert refusals, 'no call saw the other folder: the race was not exercised'
    for message in refusals:
        assert 'writable by group or others' in message and str(link / 'tokens') in message
    # The private folder was used throughout: one token, minted once; nothing was created in the other folder.
    assert len({record['access_token'] for record in outcomes}) == 1
    assert emulator.stats()['exchanges'] == 1
    assert os.listdir(str(attacker / 'tokens')) == [os.path.basename(planted_path)]


# -- D8: an absurd expiry in the cache is a miss, replaced by the next token -----------------------------------------

@pytest.mark.parametrize('expiry', ['Infinity', 'NaN', '1e300', '-1e300'])
def test_an_absurd_cached_expiry_is_replaced_and_the_fact_works(emulator, settings_for, cache, expiry):
    import json
    settings = settings_for(emulator)
    obtain(settings, cache=cache)
    path = entry_file(cache.directory, settings)
    with open(path, encoding='utf-8') as handle:
        stored = json.load(handle)
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(json.dumps(dict(stored, expires_at='X')).replace('"X"', expiry))
    outcome = obtain(settings, cache=cache)
    assert outcome.minted is True
    fact = as_fact(outcome.record)
    assert 0 < fact['expires_in'] <= 36000
    with open(path, encoding='utf-8') as handle:
        assert json.load(handle)['expires_at'] == outcome.record['expires_at']


# -- D13: through the door, a lock that is a symlink or an entry that is a folder is a clear failure ------------------

@pytest.mark.parametrize('obstacle', ['lock-symlink', 'entry-folder'])
def test_the_module_names_a_cache_file_that_is_not_a_file(run_action, emulator, creds, run_cache, tmp_path, obstacle):
    from ansible_collections.sso.onelogin.plugins.plugin_utils import _options
    settings = _options.resolve(dict(creds), door=_options.MODULE)
    run_cache.mkdir(mode=0o700)
    if obstacle == 'lock-symlink':
        path = entry_file(run_cache, settings, '.lock')
        os.symlink(str(tmp_path / 'elsewhere'), path)
    else:
        path = entry_file(run_cache, settings)
        os.mkdir(path)
    result = run_action(dict(creds))
    assert result.get('failed') is True
    assert path in result['msg'] and 'Remove it' in result['msg']
    assert 'Unexpected' not in result['msg'] and 'report' not in result['msg']
    assert emulator.stats()['exchanges'] == 0


# -- D4: a failed exchange is remembered briefly, so the workers that waited for it do not each retry ---------------

FAULT_503 = {'fault': 'status', 'code': 503}


@pytest.fixture
def failing(start_emulator, settings_for):
    """``(server, settings, clock)``: an emulator whose token endpoint answers 503 for a while; retries off."""
    clock = FakeClock()
    server = start_emulator(clock=clock, lifetime=LIFETIME)
    server.state.add_faults([FAULT_503] * 20)
    settings = settings_for(server, retry_timeout=0)
    return server, settings, clock


def test_the_failure_window(settings_for, emulator):
    assert [failure_window(settings_for(emulator, retry_timeout=seconds)) for seconds in (0, 4, 6, 30, 60, 600)] \
        == [5, 5, 6, 30, 60, 60]


def test_a_failed_exchange_is_remembered_then_tried_again(failing, cache):
    server, settings, clock = failing
    with pytest.raises(OneLoginError) as first:
        obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    assert 'HTTP 503' in str(first.value) and exchanges(server) == 1
    clock.advance(2)
    with pytest.raises(OneLoginError) as second:  # a worker that waited for the lock
        obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    assert exchanges(server) == 1  # not asked again
    message = str(second.value)
    assert message.startswith(str(first.value))
    assert 'Remembered' in message and '2 s ago' in message and 'within 5 s' in message
    assert server.client_secret not in message
    clock.advance(failure_window(settings))  # past the window: a later task tries again
    with pytest.raises(OneLoginError) as third:
        obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    assert 'Remembered' not in str(third.value) and exchanges(server) == 2
    server.state.faults.clear()
    clock.advance(failure_window(settings) - 1)  # within the new window: still remembered
    with pytest.raises(OneLoginError):
        obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    clock.advance(1)
    assert obtain(settings, cache=cache, now=clock, sleep=never_sleep).minted is True  # recovered
    assert exchanges(server) == 3
    assert not os.path.exists(os.path.join(cache.directory, settings.cache_key + '.failure'))  # forgotten


BAD_FAILED_AT = [('future', 'FUTURE'), ('infinity', 'Infinity'), ('nan', 'NaN'), ('minus-1e300', '-1e300'),
                 ('a-string', '"yesterday"'), ('a-bool', 'true')]


@pytest.mark.parametrize('failed_at', [row[1] for row in BAD_FAILED_AT], ids=[row[0] for row in BAD_FAILED_AT])
def test_a_remembered_failure_with_an_absurd_time_is_ignored(failing, cache, failed_at):
    import json
    server, settings, clock = failing
    with pytest.raises(OneLoginError):
        obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    with pytest.raises(OneLoginError, match='Remembered'):
        obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    assert exchanges(server) == 1
    path = os.path.join(cache.directory, settings.cache_key + '.failure')
    with open(path, encoding='utf-8') as handle:
        stored = json.load(handle)
    assert set(stored) == {'format', 'failed_at', 'message'}
    text = json.dumps(dict(stored, failed_at='X')).replace('"X"', failed_at.replace('FUTURE', repr(clock() + 1000)))
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(text)
    with pytest.raises(OneLoginError) as caught:
        obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    assert 'Remembered' not in str(caught.value)
    assert exchanges(server) == 2


@pytest.mark.parametrize('message', [12, None, '', 'x' * 5000, 'line\x00break'])
def test_a_remembered_failure_with_a_bad_message_is_ignored(failing, cache, message):
    import json
    server, settings, clock = failing
    with pytest.raises(OneLoginError):
        obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    path = os.path.join(cache.directory, settings.cache_key + '.failure')
    with open(path, encoding='utf-8') as handle:
        stored = json.load(handle)
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump(dict(stored, message=message), handle)
    with pytest.raises(OneLoginError) as caught:
        obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    assert 'Remembered' not in str(caught.value) and exchanges(server) == 2


def test_a_remembered_failure_never_hides_a_usable_token(start_emulator, settings_for, cache):
    clock = FakeClock()
    server = start_emulator(clock=clock, lifetime=LIFETIME)
    settings = settings_for(server, retry_timeout=0)
    token = obtain(settings, cache=cache, now=clock, sleep=never_sleep).record['access_token']
    server.state.add_faults([FAULT_503] * 5)
    with pytest.raises(OneLoginError):  # a forced renewal fails
        obtain(settings, renew_for='task-1', cache=cache, now=clock, sleep=never_sleep)
    assert exchanges(server) == 2
    with pytest.raises(OneLoginError, match='Remembered'):  # the same task on the next host: at once
        obtain(settings, renew_for='task-1', cache=cache, now=clock, sleep=never_sleep)
    assert exchanges(server) == 2
    kept = obtain(settings, cache=cache, now=clock, sleep=never_sleep)  # an unforced caller: the good token
    assert kept.minted is False and kept.record['access_token'] == token
    assert exchanges(server) == 2


def test_check_mode_v1_with_a_remembered_failure_mints_nothing_and_does_not_fail(start_emulator, settings_for, cache):
    clock = FakeClock()
    server = start_emulator(clock=clock, lifetime=LIFETIME)
    server.state.add_faults([FAULT_503] * 5)
    settings = settings_for(server, token_api='v1', retry_timeout=0)
    with pytest.raises(OneLoginError):
        obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    assert obtain(settings, check_mode=True, cache=cache, now=clock, sleep=never_sleep) == Outcome(None, False)
    with pytest.raises(OneLoginError, match='Remembered'):
        obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    assert exchanges(server) == 1


def test_with_cache_none_nothing_is_remembered(failing, run_cache_dir):
    server, dummy_settings, clock = failing
    from ansible_collections.sso.onelogin.plugins.plugin_utils import _options
    settings = _options.resolve({'api_url': server.url, 'client_id': server.client_id,
                                 'client_secret': server.client_secret, 'retry_timeout': 0, 'cache': 'none'})
    for dummy in range(2):
        with pytest.raises(OneLoginError) as caught:
            obtain(settings, now=clock, sleep=never_sleep)
        assert 'Remembered' not in str(caught.value)
    assert exchanges(server) == 2
    assert not os.path.exists(run_cache_dir)


def test_a_remembered_failure_holds_no_secret(emulator, settings_for, cache):
    wrong = 'wrong-secret-that-must-not-be-stored-4242'
    settings = settings_for(api_url=emulator.url, client_id=emulator.client_id, client_secret=wrong, retry_timeout=0)
    with pytest.raises(OneLoginError):
        obtain(settings, cache=cache)
    with pytest.raises(OneLoginError) as caught:
        obtain(settings, cache=cache)
    assert 'credentials were rejected' in str(caught.value) and 'Remembered' in str(caught.value)
    assert emulator.stats()['exchanges'] == 1
    for name in os.listdir(cache.directory):
        with open(os.path.join(cache.directory, name), 'rb') as handle:
            assert wrong.encode() not in handle.read()
    assert stat.S_IMODE(os.stat(os.path.join(cache.directory, settings.cache_key + '.failure')).st_mode) == 0o600


# -- D14: a revoked token is dropped from every cache the settings can reach ---------------------------------------

@pytest.fixture
def two_settings(emulator, run_cache_dir, tmp_path):
    """``(run, persistent, folder)``: the same credentials with cache=run and cache=persistent, and a custom
    cache_dir; built as ``_options`` builds them now (cache_dir set in every mode)."""
    folder = tmp_path / 'custom-tokens'
    run = direct_settings(emulator, emulator.client_id, emulator.client_secret, cache='run', cache_dir=str(folder))
    kept = direct_settings(emulator, emulator.client_id, emulator.client_secret, cache='persistent',
                           cache_dir=str(folder))
    return run, kept, folder


def test_a_revoke_in_the_default_mode_drops_the_token_from_a_configured_cache_dir(emulator, two_settings):
    run, kept, folder = two_settings
    token = obtain(run).record['access_token']
    assert obtain(kept).record['access_token'] == token  # v2: the same token, now in the custom folder too
    assert revoke(run) == token
    assert not emulator.accepts(token)
    assert cached(TokenCache(str(folder), persistent=True), kept) is None
    assert cached(TokenCache(), run) is None
    renewed = obtain(kept)
    assert renewed.minted and renewed.record['access_token'] != token
    assert emulator.accepts(renewed.record['access_token'])


def test_a_revoke_with_cache_persistent_drops_the_token_from_the_run_cache_too(emulator, two_settings):
    run, kept, dummy_folder = two_settings
    token = obtain(run).record['access_token']
    assert obtain(kept).record['access_token'] == token
    assert revoke(kept) == token
    assert cached(TokenCache(), run) is None
    renewed = obtain(run)
    assert renewed.minted and renewed.record['access_token'] != token


def test_a_revoke_leaves_an_unsafe_folder_untouched_and_says_so(emulator, two_settings):
    import json
    run, kept, folder = two_settings
    token = obtain(run).record['access_token']
    folder.mkdir()
    folder.chmod(0o777)
    stale = entry_file(folder, run)
    with open(stale, 'w', encoding='utf-8') as handle:
        json.dump(planted_record(run, token=token, api_url=emulator.url), handle)
    warnings = []
    assert revoke(run, warnings=warnings) == token
    assert os.path.exists(stale)  # not touched
    assert sorted(os.listdir(str(folder))) == [os.path.basename(stale)]
    assert len(warnings) == 1 and str(folder) in warnings[0] and 'writable by group or others' in warnings[0]
    assert token not in warnings[0]


def test_a_revoke_creates_no_folder(emulator, two_settings, tmp_path):
    run, dummy_kept, folder = two_settings
    token = obtain(run).record['access_token']
    assert revoke(run) == token
    assert not os.path.lexists(str(folder))
    assert not os.path.lexists(str(tmp_path / 'xdg'))  # the default persistent folder neither
