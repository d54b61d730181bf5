"""Unit tests of ``_api_budget``: the rate limit the run's workers share through the token's cache entry."""

from __future__ import annotations

import pytest

from ansible_collections.sso.onelogin.plugins.plugin_utils import _api_budget, _cache_writes, _token_source


@pytest.fixture
def settings(run_cache, settings_for):
    return settings_for(api_url='http://127.0.0.1:9', client_id='cid', client_secret='budget-test-secret-0123')


def stored(settings, now):
    with _token_source.store(settings).entry(settings.cache_key) as entry:
        return _cache_writes.read_budget(entry, now)


def test_every_request_takes_a_call_until_none_is_left_then_waits_for_the_reset(settings):
    _api_budget.share(settings, 9, 2, 100, now=1000.0)
    assert [_api_budget.take(settings, 1001.0) for unused in range(3)] == [0, 0, 99.0]
    assert _api_budget.take(settings, 1100.5) == 0  # the window is over: go ahead


def test_nothing_known_means_go_ahead(settings):
    assert _api_budget.take(settings, 1000.0) == 0 and stored(settings, 1000.0) is None


def test_an_answer_does_not_give_back_calls_taken_by_requests_on_their_way(settings):
    _api_budget.share(settings, 9, 5, 100, now=1000.0)
    for unused in range(4):
        _api_budget.take(settings, 1001.0)  # four requests on their way: 1 left
    _api_budget.share(settings, 9, 4, 97, now=1002.0)  # an answer that counted only one of them
    assert stored(settings, 1002.0)['remaining'] == 1  # same window: the fewer left wins
    _api_budget.share(settings, 9, 9, 99, now=1101.0)
    assert stored(settings, 1101.0)['remaining'] == 9  # a new window replaces it


def test_an_older_answer_does_not_replace_a_newer_one(settings):
    _api_budget.share(settings, 9, 5, 100, now=1000.0)
    _api_budget.share(settings, 9, 7, 100, now=950.0)
    assert stored(settings, 1000.0)['remaining'] == 5


def test_with_cache_none_nothing_is_kept(run_cache, settings_for):
    settings = settings_for(api_url='http://127.0.0.1:9', client_id='cid', client_secret='budget-test-secret-0123',
                            cache='none')
    _api_budget.share(settings, 9, 0, 100, now=1000.0)
    assert _api_budget.take(settings, 1001.0) == 0 and not run_cache.exists()


@pytest.mark.parametrize('record', [
    {'limit': 9, 'remaining': -1, 'reset_at': 1100.0, 'seen_at': 1000.0},
    {'limit': 9, 'remaining': 10 ** 8, 'reset_at': 1100.0, 'seen_at': 1000.0},
    {'limit': 9, 'remaining': 0, 'reset_at': 1000.0 + 86401, 'seen_at': 1000.0},
    {'limit': 9, 'remaining': 0, 'reset_at': 999.0, 'seen_at': 1000.0},
    {'limit': True, 'remaining': 0, 'reset_at': 1100.0, 'seen_at': 1000.0},
])
def test_a_record_out_of_bounds_is_ignored(settings, record):
    with _token_source.store(settings).entry(settings.cache_key) as entry:
        _cache_writes.write_budget(entry, record)  # written as it is: the checks are on reading
    assert stored(settings, 1000.0) is None and _api_budget.take(settings, 1000.0) == 0
