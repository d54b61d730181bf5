"""Unit tests of ``_api_answers``: pages and cursors, rate-limit headers and OneLogin's error shapes."""

from __future__ import annotations

import pytest
from requests.structures import CaseInsensitiveDict

from ansible_collections.sso.onelogin.plugins.plugin_utils._api_answers import (
    BadCursor, bounded_int, error_of, rate_limit, read_page)

# The cursor of terraform-provider-onelogin#203: base64 of limit=100&sort=id&page=2&sort_direction=asc.
CURSOR = 'bGltaXQ9MTAwJnNvcnQ9aWQmcGFnZT0yJnNvcnRfZGlyZWN0aW9uPWFzYw=='


def headers(**values):
    return CaseInsensitiveDict({name.replace('_', '-'): value for name, value in values.items()})


def keep(text, limit):
    return text[:limit]


def test_a_v2_page_with_a_cursor_asks_the_next_with_the_cursor_and_the_filters_only():
    query = {'email': 'ada@example.com', 'limit': '100', 'page': '1', 'sort': '-id', 'sort_direction': 'desc'}
    page = read_page(headers(After_Cursor=CURSOR, Total_Count='201'), [{'id': 1}], query)
    assert page.items == [{'id': 1}]
    assert page.next_query == {'email': 'ada@example.com', 'cursor': CURSOR}  # no limit/page/sort: OneLogin's XOR
    assert page.cursor == CURSOR and page.total_count == 201


def test_a_url_encoded_cursor_is_decoded_once():
    page = read_page(headers(After_Cursor=CURSOR.replace('=', '%3D')), [], {'cursor': 'older'})
    assert page.next_query == {'cursor': CURSOR}  # the previous cursor is replaced, not kept


@pytest.mark.parametrize('cursor', [None, '', '   '])
def test_no_after_cursor_is_the_last_page(cursor):
    values = {} if cursor is None else {'After_Cursor': cursor}
    page = read_page(headers(**values), [{'id': 1}, {'id': 2}], {'email': 'x'})
    assert (page.items, page.next_query, page.cursor, page.total_count) == ([{'id': 1}, {'id': 2}], None, None, None)


@pytest.mark.parametrize('cursor', ['two words', 'x' * 5000, 'caf\u00e9', 'a%0Ab'])
def test_a_cursor_that_cannot_be_sent_back_is_refused(cursor):
    with pytest.raises(BadCursor):
        read_page(headers(After_Cursor=cursor), [], {})


def test_a_v1_envelope_gives_its_data_and_the_after_cursor():
    body = {'status': {'error': False, 'code': 200}, 'pagination': {'after_cursor': 'abc', 'next_link': 'x'},
            'data': [{'id': 7}]}
    page = read_page(headers(), body, {'email': 'e', 'after_cursor': 'old'})
    assert page.items == [{'id': 7}] and page.next_query == {'email': 'e', 'after_cursor': 'abc'}
    body['pagination']['after_cursor'] = None
    assert read_page(headers(), body, {}).next_query is None


@pytest.mark.parametrize('body', [{'id': 1}, None, 'text', {'pagination': {}, 'data': {'id': 1}}])
def test_an_answer_that_is_not_a_list_is_no_page(body):
    assert read_page(headers(After_Cursor=CURSOR), body, {}) is None


@pytest.mark.parametrize('text, expected', [('5000', 5000), (' 12 ', 12), ('0', 0), ('-1', None), ('1e3', None),
                                            ('\u00b2', None), ('99999999', None), ('', None), (None, None)])
def test_header_numbers_are_bounded(text, expected):
    assert bounded_int(text, 10 ** 7) == expected


def test_rate_limit_keeps_the_headers_that_were_sent_and_in_bounds():
    assert rate_limit(headers(X_RateLimit_Limit='5000', X_RateLimit_Remaining='4990', X_RateLimit_Reset='832')) == {
        'limit': 5000, 'remaining': 4990, 'reset': 832}
    assert rate_limit(headers(X_RateLimit_Remaining='3', X_RateLimit_Reset='999999')) == {'remaining': 3}
    assert rate_limit(headers()) == {}


@pytest.mark.parametrize('body, expected', [
    ({'statusCode': 422, 'name': 'UnprocessableEntityError', 'message': 'Validation failed: Email must be unique'},
     {'name': 'UnprocessableEntityError', 'message': 'Validation failed: Email must be unique'}),
    ({'statusCode': 422, 'name': 'UnprocessableEntityFieldError', 'field': 'created_at',
      'message': 'Invalid sort field: created_at'},
     {'name': 'UnprocessableEntityFieldError', 'message': 'Invalid sort field: created_at', 'field': 'created_at'}),
    ({'status': 400, 'error': 'BadRequestError', 'description': 'Invalid pagination cursor'},
     {'name': 'BadRequestError', 'message': 'Invalid pagination cursor'}),
    ({'status': {'error': True, 'code': 401, 'type': 'Unauthorized', 'message': 'Authentication Failure'}},
     {'name': 'Unauthorized', 'message': 'Authentication Failure'}),
    ({'message': 'Validation failed', 'errors': [{'field': 'email', 'message': ['is invalid', 'is taken']}]},
     {'name': None, 'message': 'Validation failed: is invalid; is taken', 'field': 'email'}),
    ({'error': 'invalid_request', 'error_description': 'bad\n  grant'},
     {'name': 'invalid_request', 'message': 'bad grant'}),
    (None, {'name': None, 'message': None}),
    (['a list'], {'name': None, 'message': None}),
])
def test_every_error_shape_is_read(body, expected):
    assert error_of(body, keep) == expected


def test_error_texts_go_through_the_callers_clip():
    seen = []
    found = error_of({'name': 'E', 'message': 'm' * 500}, lambda text, limit: seen.append(limit) or 'clipped')
    assert found == {'name': 'clipped', 'message': 'clipped'} and seen == [300, 300]
