"""Unit tests of ``_api_request``: what a task or lookup may ask of the API."""

from __future__ import annotations

import pytest

from ansible_collections.sso.onelogin.plugins.plugin_utils._api_request import (
    DEFAULT_STATUS_CODES, check_path, request_from)
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError


def test_defaults():
    request = request_from('/api/2/users')
    assert request == ('/api/2/users', 'GET', {}, None, DEFAULT_STATUS_CODES, True, None, 1000)


@pytest.mark.parametrize('path, words', [
    ('https://evil.example.com/api/2/users', 'never leaves the tenant'),
    ('//evil.example.com/api/2/users', 'never leaves the tenant'),
    ('api/2/users', 'starting with one slash'),
    ('/api/2/users?email=x', 'query option'),
    ('/api/2/users#top', 'query option'),
    ('/api/2/users/ada lovelace', 'without spaces'),
    ('/api/2/us\u00e9rs', 'printable ASCII'),
    ('/api/2/users\n', 'printable ASCII'),
    ('/api\\2', 'backslashes'),
    ('', 'non-empty string'),
    (None, 'non-empty string'),
])
def test_a_path_off_the_tenant_or_malformed_is_refused(path, words):
    with pytest.raises(OneLoginError) as caught:
        check_path(path, 'the door')
    assert words in str(caught.value) and 'the door' in str(caught.value)


def test_query_values_become_text_and_lists_stay_lists():
    request = request_from('/api/2/users', query={'email': 'a@b', 'id': 7, 'active': True, 'ids': [1, 'two', False],
                                                  'unset': None})
    assert request.query == {'email': 'a@b', 'id': '7', 'active': 'true', 'ids': ['1', 'two', 'false']}


@pytest.mark.parametrize('options, words', [
    ({'query': ['email']}, 'query option'),
    ({'query': {'filter': {'nested': 1}}}, 'nested dict'),
    ({'method': 'TRACE'}, 'method option'),
    ({'status_code': [200, 'ok']}, 'status_code option'),
    ({'status_code': [700]}, 'status_code option'),
    ({'status_code': []}, 'at least one'),
    ({'page_size': 0}, 'page_size option'),
    ({'page_size': 1001}, 'page_size option'),
    ({'page_size': '\u00b2'}, 'page_size option'),
    ({'page_size': True}, 'page_size option'),
    ({'max_pages': 0}, 'max_pages option'),
    ({'max_pages': 100001}, 'max_pages option'),
    ({'paginate': 'maybe'}, 'paginate option'),
    ({'page_size': 10, 'query': {'limit': 10}}, 'not both'),
])
def test_bad_options_are_refused_naming_the_option(options, words):
    with pytest.raises(OneLoginError) as caught:
        request_from('/api/2/users', door='sso.onelogin.onelogin_api', **options)
    assert words in str(caught.value)


def test_text_numbers_and_booleans_from_templates_are_accepted():
    request = request_from('/api/2/users', method='post', page_size='100', max_pages='5', paginate='no',
                           status_code=['201', 409])
    assert (request.method, request.page_size, request.max_pages, request.paginate, request.status_code) == (
        'POST', 100, 5, False, (201, 409))
