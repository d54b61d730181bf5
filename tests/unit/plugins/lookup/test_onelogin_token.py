"""The sso.onelogin.onelogin_token lookup, loaded through Ansible's plugin loader."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleLookupError
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import lookup_loader
from ansible.template import Templar

from ansible_collections.sso.onelogin.plugins.plugin_utils import _options

pytestmark = pytest.mark.usefixtures('door_clock')  # the doors' fake clock: no test waits for real time

FACT_KEYS = {'access_token', 'token_type', 'expires_in', 'expires_at', 'created_at', 'account_id', 'api_url'}


def lookup():
    loader = DataLoader()
    return lookup_loader.get('sso.onelogin.onelogin_token', loader=loader, templar=Templar(loader=loader))


def test_returns_the_token_and_reuses_it(emulator, creds):
    first = lookup().run([], variables={}, **creds)
    second = lookup().run([], variables={}, **creds)
    assert isinstance(first, list) and len(first) == 1
    assert first[0].__class__ is str and len(first[0]) >= 32
    assert second == first
    assert emulator.stats()['exchanges'] == 1


def test_record_output_has_the_fact_keys(emulator, creds):
    token = lookup().run([], variables={}, **creds)[0]
    record = lookup().run([], variables={}, output='record', **creds)[0]
    assert set(record) == FACT_KEYS
    assert record['access_token'] == token
    assert record['api_url'] == emulator.url


def test_reads_variables(emulator, clean_env, run_cache):
    variables = {'onelogin_api_url': emulator.url, 'onelogin_client_id': emulator.client_id,
                 'onelogin_client_secret': emulator.client_secret, 'onelogin_token_api': 'v1'}
    assert lookup().run([], variables=variables)[0]
    assert emulator.stats()['exchanges_v1'] == 1


def test_keywords_win_over_variables(emulator, clean_env, run_cache):
    variables = {'onelogin_api_url': 'https://unused.example.com', 'onelogin_client_id': 'someone-else',
                 'onelogin_client_secret': 'not-this-one'}
    lookup().run([], variables=variables, api_url=emulator.url, client_id=emulator.client_id,
                 client_secret=emulator.client_secret)
    assert emulator.stats()['exchanges_ok'] == 1


def test_shares_the_cache_with_the_module(emulator, creds, run_action):
    fact = run_action(creds)['ansible_facts']['onelogin_token']
    assert lookup().run([], variables={}, **creds) == [fact['access_token']]
    assert emulator.stats()['exchanges'] == 1


@pytest.mark.parametrize('terms, kwargs, expected', [
    (['x'], {}, 'takes no terms'),
    ([], {'output': 'everything'}, 'access_token or record'),
    ([], {'colour': 'blue'}, 'Unsupported options'),
])
def test_bad_input_raises_a_lookup_error_before_any_request(emulator, clean_env, run_cache, terms, kwargs, expected):
    with pytest.raises(AnsibleLookupError) as caught:
        lookup().run(terms, variables={}, **kwargs)
    assert expected in str(caught.value)
    assert emulator.stats()['exchanges'] == 0


def test_rejected_secret_raises_without_the_secret(emulator, creds):
    wrong = 'not-' + emulator.client_secret
    with pytest.raises(AnsibleLookupError) as caught:
        lookup().run([], variables={}, **dict(creds, client_secret=wrong))
    message = str(caught.value)
    assert 'credentials were rejected' in message
    assert 'onelogin_client_secret' in message
    assert wrong not in message and emulator.client_secret not in message


def test_connection_options_match_the_lookup_documentation():
    assert set(_options.CONNECTION_OPTIONS) <= set(_options.definitions())


def test_bad_input_raises_before_any_request(bad_input, nothing_sent):
    options, named, texts = bad_input
    with pytest.raises(AnsibleLookupError) as caught:
        lookup().run([], variables={}, **options)
    for text in texts:
        assert text in str(caught.value)
    for option in named:
        assert 'lookup keyword %s=' % option in str(caught.value)
        assert 'variable onelogin_%s' % option in str(caught.value)
    assert nothing_sent()


def test_an_unexpected_error_is_reported_without_a_traceback_or_the_secret(creds, monkeypatch):
    from ansible_collections.sso.onelogin.plugins.plugin_utils import _token_source

    def broken(*args, **kwargs):
        raise KeyError('client_secret:%s' % creds['client_secret'])

    monkeypatch.setattr(_token_source, 'obtain', broken)
    with pytest.raises(AnsibleLookupError) as caught:
        lookup().run([], variables={}, **creds)
    message = str(caught.value)
    assert message.startswith('Unexpected error in the sso.onelogin collection (KeyError at ')
    assert message.endswith('Please report it.')
    assert '\n' not in message and 'Traceback' not in message and 'File "' not in message
    assert creds['client_secret'] not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_the_persistent_cache_through_the_lookup(emulator, creds, tmp_path):
    options = dict(creds, cache='persistent', cache_dir=str(tmp_path / 'tokens'))
    tokens = {lookup().run([], variables={}, **options)[0] for unused in range(3)}
    assert len(tokens) == 1
    assert emulator.stats()['exchanges'] == 1
    assert len(list((tmp_path / 'tokens').glob('*.json'))) == 1


def test_a_secret_that_is_a_word_of_the_message_is_not_revealed(clean_env, run_cache):
    """D11: redacting the secret "password" inside the collection's own words would tell the secret."""
    api_url = 'https://user:pw@acme.onelogin.com'
    messages = []
    for secret in ('password', 'another-secret-value'):
        with pytest.raises(AnsibleLookupError) as caught:
            lookup().run([], variables={}, client_id='id', client_secret=secret, api_url=api_url)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert 'user name or password' in messages[0] and '********' not in messages[0]


def test_a_record_that_cannot_be_shown_fails_as_a_lookup_error(emulator, creds, monkeypatch):
    """D8: output='record' formats the record inside the lookup's error handling, never a bare exception."""
    from ansible_collections.sso.onelogin.plugins.plugin_utils import _token_source

    def broken(record, now=None):
        raise ValueError('year 11533 is out of range')

    monkeypatch.setattr(_token_source, 'as_fact', broken)
    with pytest.raises(AnsibleLookupError) as caught:
        lookup().run([], variables={}, output='record', **creds)
    assert 'Unexpected error in the sso.onelogin collection (ValueError' in str(caught.value)
