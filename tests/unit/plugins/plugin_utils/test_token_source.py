"""Unit tests of the token source against the real OneLogin emulator: mint once, share, renew, wait out v2 tokens."""

from __future__ import annotations

import multiprocessing
import os
import stat
from datetime import datetime, timezone

import pytest

from ansible_collections.sso.onelogin.plugins.plugin_utils._cache import TokenCache
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError
from ansible_collections.sso.onelogin.plugins.plugin_utils._token_source import Outcome, as_fact, obtain, revoke


T0 = 1700000000.0  # 2023-11-14T22:13:20Z
LIFETIME = 3600
MIN_TTL = 300


class FakeClock:
    """One clock for the emulator and the token source; ``sleep`` advances it instead of sleeping."""

    def __init__(self, start=T0):
        self.now = start
        self.sleeps = []

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def never_sleep(seconds):
    raise AssertionError('obtain() slept for %r seconds where it had no reason to' % (seconds,))


@pytest.fixture
def start_emulator(emulator_module):
    """Start in-thread emulators with chosen clients, lifetime and clock; stop them afterwards."""
    servers = []

    def start(clients, lifetime=LIFETIME, clock=None):
        kwargs = {'lifetime': lifetime}
        if clock is not None:
            kwargs['clock'] = clock
        server = emulator_module.start_in_thread(clients, **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def cache(tmp_path):
    return TokenCache(str(tmp_path / 'run-cache'))


def exchanges(server):
    return server.state.stats()['exchanges']


def cached(cache, settings):
    with cache.entry(settings.cache_key) as entry:
        return entry.read()


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
    client_id, client_secret = 'client-a', 'secret-a-0123456789'
    server = start_emulator({client_id: client_secret}, clock=clock)
    settings = settings_for(api_url=server.url, client_id=client_id, client_secret=client_secret, token_api='v1',
                            min_ttl=MIN_TTL)
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
    server = start_emulator({'client-l': 'secret-l-0123456789'}, clock=clock)
    settings = settings_for(api_url=server.url, client_id='client-l', client_secret='secret-l-0123456789',
                            token_api='v1', min_ttl=MIN_TTL)
    obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    clock.advance(LIFETIME - left)
    assert obtain(settings, cache=cache, now=clock, sleep=never_sleep).minted is True
    assert exchanges(server) == 2


def test_a_forced_v1_renewal_does_not_wait(start_emulator, settings_for, cache):
    clock = FakeClock()
    server = start_emulator({'client-m': 'secret-m-0123456789'}, clock=clock)
    settings = settings_for(api_url=server.url, client_id='client-m', client_secret='secret-m-0123456789',
                            token_api='v1', min_ttl=MIN_TTL)
    obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    clock.advance(LIFETIME - MIN_TTL)
    assert obtain(settings, renew_for='task-1', cache=cache, now=clock, sleep=never_sleep).minted is True
    assert exchanges(server) == 2


def test_a_cached_v2_token_at_min_ttl_is_waited_out_then_replaced_with_one_exchange(start_emulator, settings_for, cache):
    clock = FakeClock()
    server = start_emulator({'client-n': 'secret-n-0123456789'}, clock=clock)
    settings = settings_for(api_url=server.url, client_id='client-n', client_secret='secret-n-0123456789',
                            min_ttl=MIN_TTL)
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
    server = start_emulator({'client-b': 'secret-b-0123456789'}, clock=clock)
    settings = settings_for(api_url=server.url, client_id='client-b', client_secret='secret-b-0123456789',
                            min_ttl=MIN_TTL)
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
    server = start_emulator({'client-c': 'secret-c-0123456789'}, clock=clock)
    settings = settings_for(api_url=server.url, client_id='client-c', client_secret='secret-c-0123456789',
                            token_api='v1', min_ttl=MIN_TTL)
    minted = obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    clock.advance(LIFETIME)
    assert obtain(settings, check_mode=True, cache=cache, now=clock, sleep=never_sleep) == Outcome(None, False)
    assert exchanges(server) == 1
    assert cached(cache, settings) == minted.record


def test_check_mode_obtains_a_v2_token(emulator, settings_for, cache):
    settings = settings_for(emulator, token_api='v2')
    outcome = obtain(settings, check_mode=True, cache=cache)
    assert outcome.minted is True
    assert emulator.stats()['exchanges'] == 1


# -- v2 end of life -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('left', [MIN_TTL, 60, 1])
def test_a_v2_token_near_its_end_is_waited_out(start_emulator, settings_for, cache, left):
    clock = FakeClock()
    client_id, client_secret = 'client-d', 'secret-d-0123456789'
    server = start_emulator({client_id: client_secret}, clock=clock)
    # Someone else (another run) obtained the current v2 token earlier; v2 hands everyone that one.
    old_token = server.state.mint_v2(client_id)['access_token']
    clock.advance(LIFETIME - left)
    settings = settings_for(api_url=server.url, client_id=client_id, client_secret=client_secret, min_ttl=MIN_TTL)

    outcome = obtain(settings, cache=cache, now=clock, sleep=clock.sleep)

    assert outcome.minted is True
    assert len(clock.sleeps) == 1
    assert clock.sleeps[0] > left  # slept until the old token had expired, and no longer than a second past it
    assert clock.sleeps[0] <= left + 1
    assert outcome.record['access_token'] != old_token
    assert outcome.record['expires_at'] - clock() > MIN_TTL
    assert server.state.use(outcome.record['access_token']) is not None  # the emulator accepts it now
    assert exchanges(server) == 2
    assert cached(cache, settings)['access_token'] == outcome.record['access_token']


def test_a_v2_lifetime_not_above_min_ttl_is_an_error(start_emulator, settings_for, cache):
    clock = FakeClock()
    server = start_emulator({'client-e': 'secret-e-0123456789'}, lifetime=200, clock=clock)
    settings = settings_for(api_url=server.url, client_id='client-e', client_secret='secret-e-0123456789',
                            min_ttl=MIN_TTL)
    with pytest.raises(OneLoginError) as caught:
        obtain(settings, cache=cache, now=clock, sleep=clock.sleep)
    message = str(caught.value)
    assert 'min_ttl' in message and 'ONELOGIN_MIN_TTL' in message
    assert 'secret-e-0123456789' not in message
    assert len(clock.sleeps) == 1
    assert exchanges(server) == 2
    assert cached(cache, settings) is None


def test_a_short_v1_token_is_an_error_without_waiting(start_emulator, settings_for, cache):
    clock = FakeClock()
    server = start_emulator({'client-f': 'secret-f-0123456789'}, lifetime=200, clock=clock)
    settings = settings_for(api_url=server.url, client_id='client-f', client_secret='secret-f-0123456789',
                            token_api='v1', min_ttl=MIN_TTL)
    with pytest.raises(OneLoginError) as caught:
        obtain(settings, cache=cache, now=clock, sleep=never_sleep)
    assert 'ONELOGIN_MIN_TTL' in str(caught.value)
    assert exchanges(server) == 1
    assert cached(cache, settings) is None


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
    server = start_emulator({'client-g': 'secret-g-0123456789'}, clock=clock)
    settings = settings_for(api_url=server.url, client_id='client-g', client_secret='secret-g-0123456789')
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
    assert 'secret-g-0123456789' not in repr(fact)

    assert as_fact(record, now=lambda: T0 + 1000)['expires_in'] == LIFETIME - 1000
    assert as_fact(record, now=lambda: T0 + LIFETIME - 0.5)['expires_in'] == 0
    assert as_fact(record, now=lambda: T0 + LIFETIME + 50)['expires_in'] == 0


# -- several credential sets ----------------------------------------------------------------------------------------

def test_two_credential_sets_get_their_own_tokens(start_emulator, settings_for, cache):
    clients = {'client-one': 'secret-one-0123456789', 'client-two': 'secret-two-0123456789'}
    server = start_emulator(clients)
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
        barrier.wait(timeout=60)
        outcome = obtain(settings, cache=TokenCache(directory))
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
        answers = [results.get(timeout=120) for dummy in range(WORKERS)]
    finally:
        for worker in workers:
            worker.join(timeout=60)
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
    server = start_emulator({'client-s': 'secret-s-0123456789'}, clock=lambda: clock() - skew)
    settings = settings_for(api_url=server.url, client_id='client-s', client_secret='secret-s-0123456789',
                            min_ttl=MIN_TTL)
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
    assert cached(TokenCache(persistent.cache_dir, checked=True), persistent) is None
    assert obtain(persistent).record['access_token'] != token
