"""The sso.onelogin.onelogin_api lookup, loaded through ansible-core's plugin loader, against the emulator."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleLookupError
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import lookup_loader
from ansible.template import Templar

pytestmark = pytest.mark.usefixtures('door_clock')  # the doors' fake clock: no test waits for real time


@pytest.fixture
def lookup():
    loader = DataLoader()
    return lookup_loader.get('sso.onelogin.onelogin_api', loader=loader, templar=Templar(loader=loader))


def test_one_answer_per_term_with_one_token(lookup, emulator, creds):
    users, again = lookup.run(['/api/2/users', '/api/2/users'], variables={}, **creds)
    assert isinstance(users, list) and users and users == again
    assert emulator.stats()['exchanges'] == 1


def test_connection_options_come_from_variables(lookup, emulator, clean_env, run_cache):
    variables = {'onelogin_api_url': emulator.url, 'onelogin_client_id': emulator.client_id,
                 'onelogin_client_secret': emulator.client_secret}
    assert isinstance(lookup.run(['/api/2/users'], variables=variables)[0], list)


@pytest.mark.parametrize('terms, options, words', [
    ([], {}, 'at least one API path'),
    (['/api/2/users'], {'method': 'POST'}, 'Unsupported options'),
    (['/api/2/users'], {'page_size': 0}, 'page_size option'),
    (['http://127.0.0.2/api/2/users'], {}, 'never leaves the tenant'),
])
def test_bad_input_is_an_error_before_any_request(lookup, creds, nothing_sent, terms, options, words):
    with pytest.raises(AnsibleLookupError) as caught:
        lookup.run(terms, variables={}, **dict(creds, **options))
    assert words in str(caught.value) and creds['client_secret'] not in str(caught.value)
    assert nothing_sent()


def test_a_failed_call_names_the_status_without_the_secret(lookup, emulator, creds):
    with pytest.raises(AnsibleLookupError) as caught:
        lookup.run(['/api/2/missing'], variables={}, **creds)
    assert 'HTTP 404' in str(caught.value)
    assert creds['client_secret'] not in str(caught.value)
    assert not any(token in str(caught.value) for token in emulator.issued_tokens())
