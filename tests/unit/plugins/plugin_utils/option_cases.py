"""Values shared by the tests of the options model (_definitions, _options, _settings) and of the doors."""

from __future__ import annotations

import secrets

import pytest
import yaml

from ansible_collections.sso.onelogin.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.sso.onelogin.plugins.plugin_utils import _options
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError

# A distinctive secret: if it shows up in a message or a repr, the test fails.
SECRET = 'sekrit-' + secrets.token_hex(16)
CLIENT_ID = 'client-' + secrets.token_hex(6)
VALID = {'client_id': CLIENT_ID, 'client_secret': SECRET}

DOCUMENTATION = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']
PLUGINS = yaml.safe_load(ModuleDocFragment.PLUGINS)['options']


def env_name(option):
    return 'ONELOGIN_' + option.upper()


def says_all(message, says):
    for text in (says,) if isinstance(says, str) else says:
        assert text in message


def refusal(direct, door=_options.LOOKUP):
    with pytest.raises(OneLoginError) as caught:
        _options.resolve(direct, door=door)
    return str(caught.value)


def _refused(option, says, cases):
    """Rows of REFUSALS: each case (id: value, None for not given) sets ``option`` alone on top of VALID, and the
    refusal names the option and its environment variable and says ``says`` (a text, or a tuple of texts)."""
    return [(case, {option: value}, (option,), says) for case, value in cases.items()]


# What the settings validation refuses: (id, change on top of VALID, the options named, what the message says).
# Each row is checked through the options model for both doors' messages (test_settings); the doors run a sample of
# one row per kind (tests/unit/plugins/conftest.py, DOOR_SAMPLE).
REFUSALS = [
    *_refused('api_url', 'clear text', {'http-remote': 'http://acme.onelogin.com',
                                        'http-loopback-lookalike': 'http://127.0.0.1.example.com',
                                        'http-private-ip': 'http://10.1.2.3:8080'}),
    *_refused('api_url', 'path', {'path': 'https://acme.onelogin.com/api/2'}),
    *_refused('api_url', 'query', {'query': 'https://acme.onelogin.com?tenant=1'}),
    *_refused('api_url', 'fragment', {'fragment': 'https://acme.onelogin.com#x'}),
    *_refused('api_url', 'user name or password', {'userinfo': 'https://user:pw@acme.onelogin.com'}),
    *_refused('api_url', 'absolute http(s) URL', {'ftp': 'ftp://acme.onelogin.com', 'no-host': 'https://',
                                                  'no-scheme': 'acme.onelogin.com'}),
    *_refused('api_url', 'not a valid URL', {'bad-port': 'https://acme.onelogin.com:99999'}),
    *_refused('api_url', 'control character', {'api-url-newline': 'https://acme.onelogin.com\n'}),
    # A dotted subdomain: the message names where the subdomain was set and points at api_url as the remedy.
    *_refused('subdomain', ('subdomain', 'first label', 'api_url'), {'subdomain-dots': 'acme.onelogin.com'}),
    *_refused('subdomain', 'not a valid host name label', {'subdomain-underscore': 'acme_corp', 'subdomain-dash': '-acme'}),
    *_refused('region', 'one of us, eu', {'region': 'ap'}),
    *_refused('token_api', 'one of v2, v1', {'token-api': 'v3'}),
    *_refused('timeout', 'from 1 to 3600', {'timeout-zero': 0, 'timeout-negative': -5}),
    *_refused('timeout', ('from 1 to 3600', '99999999999'), {'timeout-huge': 99999999999}),
    *_refused('timeout', 'whole number', {'timeout-huge-text': '9' * 40, 'timeout-bool': True, 'timeout-word': 'ten',
                                          'timeout-fraction': '1.5'}),
    *_refused('min_ttl', 'from 0 to 35999', {'min-ttl-negative': -1}),
    *_refused('min_ttl', 'below the token lifetime', {'min-ttl-lifetime': 36000, 'min-ttl-huge': 100000}),
    *_refused('min_ttl', 'whole number', {'min-ttl-word': 'soon'}),
    *_refused('retry_timeout', ('from 0 to 3600', '0 turns retries off'), {'retry-timeout-negative': -1}),
    *_refused('retry_timeout', 'from 0 to 3600', {'retry-timeout-huge': 10 ** 12}),
    *_refused('retry_timeout', 'whole number', {'retry-timeout-word': 'long'}),
    *_refused('cache', 'one of run, persistent, none', {'cache-unknown': 'disk'}),
    *_refused('client_id', 'No OneLogin client ID', {'client-id-missing': None}),
    *_refused('client_id', 'an empty value counts as not given', {'client-id-empty': '', 'client-id-blank': '   '}),
    *_refused('client_id', 'outside printable ASCII', {'client-id-not-ascii': 'abcd\u79d8efgh'}),
    *_refused('client_id', 'control character', {'client-id-lf': CLIENT_ID + '\n', 'client-id-cr': CLIENT_ID + '\r',
                                                 'client-id-nul': 'a\x00b', 'client-id-del': 'a\x7fb',
                                                 'client-id-tab': 'a\tb'}),
    *_refused('client_id', 'space', {'client-id-leading-space': ' ' + CLIENT_ID,
                                     'client-id-trailing-space': CLIENT_ID + ' '}),
    *_refused('client_secret', 'No OneLogin client secret', {'client-secret-missing': None}),
    *_refused('client_secret', 'an empty value counts as not given', {'client-secret-empty': ''}),
    *_refused('client_secret', 'outside printable ASCII', {'client-secret-not-ascii': 'abcd\u79d8efgh',
                                                           'client-secret-latin-1': SECRET + '\u00e9'}),
    *_refused('client_secret', 'control character', {'client-secret-lf': SECRET + '\n',
                                                     'client-secret-crlf': SECRET + '\r\n',
                                                     'client-secret-esc': SECRET[:8] + '\x1b' + SECRET[8:]}),
    *_refused('client_secret', 'space', {'client-secret-leading-space': ' ' + SECRET,
                                         'client-secret-trailing-space': SECRET + ' '}),
]
