"""Unit tests of the options model: the doc fragment, Ansible's precedence, the checks and their messages."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import stat
import subprocess
import sys

import pytest
import yaml

from ansible_collections.sso.onelogin.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.sso.onelogin.plugins.plugin_utils import _options, _token_source
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError

try:
    from ansible._internal._datatag._tags import Origin  # ansible-core 2.19+: values carry data tags
except ImportError:  # older ansible-core has no data tags
    Origin = None

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


# -- the doc fragment and the code agree --------------------------------------------------------------------------

def test_fragment_documents_the_connection_options_in_order():
    assert list(DOCUMENTATION) == list(_options.CONNECTION_OPTIONS)
    assert list(PLUGINS) == list(_options.CONNECTION_OPTIONS)


@pytest.mark.parametrize('option', _options.CONNECTION_OPTIONS)
def test_every_option_has_its_env_and_vars_source(option):
    sources = PLUGINS[option]
    assert sources['env'] == [{'name': 'ONELOGIN_%s' % option.upper()}]
    assert sources['vars'] == [{'name': 'onelogin_%s' % option}]


@pytest.mark.parametrize('option', _options.CONNECTION_OPTIONS)
def test_ini_source_is_the_onelogin_section_except_for_the_secret(option):
    if option == 'client_secret':
        assert 'ini' not in PLUGINS[option]
        assert option in _options.SECRET_OPTIONS
    else:
        assert PLUGINS[option]['ini'] == [{'section': 'onelogin', 'key': option}]
        assert option not in _options.SECRET_OPTIONS


def test_configmanager_definitions_are_the_fragment(clean_env):
    defs = _options.definitions()
    for name, doc in DOCUMENTATION.items():
        assert defs[name]['type'] == doc['type']
        assert defs[name].get('default') == doc.get('default')
        assert defs[name].get('choices') == doc.get('choices')
        assert defs[name].get('env') == PLUGINS[name]['env']
        assert defs[name].get('vars') == PLUGINS[name]['vars']
        assert defs[name].get('ini') == PLUGINS[name].get('ini')


def test_resolved_defaults_are_the_documented_ones(clean_env):
    values, origins = _options.collect({})
    for name, doc in DOCUMENTATION.items():
        assert values[name] == doc.get('default'), name
        assert origins[name] == 'default', name
    settings = _options.resolve(VALID)
    assert (settings.token_api, settings.validate_certs, settings.timeout, settings.min_ttl) == ('v2', True, 10, 300)
    assert (settings.retry_timeout, settings.cache) == (30, 'run')
    assert settings.cache_dir == os.path.join(os.path.expanduser('~'), '.cache', 'sso.onelogin', 'tokens')


# -- precedence: direct > vars > env > ini > default ------------------------------------------------------------------

# option, value from env (a string, as the environment holds it), from vars, directly, and the expected typed values
PRECEDENCE = [
    ('client_id', 'env-id', 'var-id', 'direct-id', ('env-id', 'var-id', 'direct-id')),
    ('region', 'eu', 'us', 'eu', ('eu', 'us', 'eu')),
    ('subdomain', 'envtenant', 'vartenant', 'directtenant', ('envtenant', 'vartenant', 'directtenant')),
    ('api_url', 'https://env.example.com', 'https://var.example.com', 'https://direct.example.com',
     ('https://env.example.com', 'https://var.example.com', 'https://direct.example.com')),
    ('token_api', 'v1', 'v2', 'v1', ('v1', 'v2', 'v1')),
    ('validate_certs', 'false', True, False, (False, True, False)),
    ('timeout', '21', 22, '23', (21, 22, 23)),
    ('min_ttl', '61', '62', 63, (61, 62, 63)),
    ('retry_timeout', '5', 6, '0', (5, 6, 0)),
    ('cache', 'none', 'persistent', 'run', ('none', 'persistent', 'run')),
    ('cache_dir', '/env/tokens', '/var/tokens', '/direct/tokens', ('/env/tokens', '/var/tokens', '/direct/tokens')),
]


@pytest.mark.parametrize('option, from_env, from_vars, from_direct, expected', PRECEDENCE,
                         ids=[row[0] for row in PRECEDENCE])
def test_precedence_direct_over_vars_over_env_over_default(clean_env, option, from_env, from_vars, from_direct,
                                                           expected):
    env_value, var_value, direct_value = expected
    variables = {'onelogin_%s' % option: from_vars}

    values, origins = _options.collect({})
    assert origins[option] == 'default'
    assert values[option] == DOCUMENTATION[option].get('default')

    clean_env.setenv(env_name(option), from_env)
    values, origins = _options.collect({})
    assert values[option] == env_value
    assert origins[option] == 'env: %s' % env_name(option)

    values, origins = _options.collect({}, variables=variables)
    assert values[option] == var_value
    assert origins[option] == 'var: onelogin_%s' % option

    values, origins = _options.collect({option: from_direct}, variables=variables)
    assert values[option] == direct_value
    assert origins[option] == 'Direct'


def test_the_module_door_reads_the_environment(clean_env):
    # The module passes no variables; the environment still applies to it.
    clean_env.setenv('ONELOGIN_TIMEOUT', '42')
    settings = _options.resolve(VALID, door=_options.MODULE)
    assert settings.timeout == 42
    assert settings.door == _options.MODULE


INI_SCRIPT = r'''
import json, os, sys
root = os.environ['ANSIBLE_COLLECTIONS_PATH'].split(os.pathsep)[0]
sys.path.insert(0, root)
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
_AnsibleCollectionFinder(paths=[root])._install()
from ansible_collections.sso.onelogin.plugins.plugin_utils import _options, _token_source
results = []
for env, direct in json.loads(sys.argv[1]):
    os.environ.update(env)
    values, origins = _options.collect(direct)
    results.append({'values': values, 'origins': origins})
print(json.dumps(results))
'''


def test_ini_sits_between_env_and_default_and_never_holds_the_secret(tmp_path):
    # ConfigManager reads ansible.cfg once, when ansible is first imported: use a fresh interpreter.
    config = tmp_path / 'ansible.cfg'
    config.write_text('[onelogin]\nclient_id = ini-id\nclient_secret = %s\ntimeout = 33\nregion = eu\n'
                      'min_ttl = 120\n' % SECRET)
    env = {name: value for name, value in os.environ.items() if not name.startswith('ONELOGIN_')}
    env['ANSIBLE_CONFIG'] = str(config)
    scenarios = [
        ({}, {}),
        ({'ONELOGIN_TIMEOUT': '44'}, {}),
        ({}, {'timeout': 55, 'region': 'us'}),
    ]
    run = subprocess.run([sys.executable, '-c', INI_SCRIPT, json.dumps(scenarios)], env=env, cwd=str(tmp_path),
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    only_ini, env_over_ini, direct_over_all = json.loads(run.stdout.strip().splitlines()[-1])

    assert only_ini['values']['client_id'] == 'ini-id'
    assert only_ini['values']['timeout'] == 33
    assert only_ini['values']['region'] == 'eu'
    assert only_ini['values']['min_ttl'] == 120
    assert only_ini['origins']['timeout'] == str(config)
    assert only_ini['values']['client_secret'] is None  # there is no ini source for the secret
    assert only_ini['origins']['client_secret'] == 'default'

    assert env_over_ini['values']['timeout'] == 44
    assert env_over_ini['origins']['timeout'] == 'env: ONELOGIN_TIMEOUT'
    assert env_over_ini['values']['region'] == 'eu'

    assert direct_over_all['values']['timeout'] == 55
    assert direct_over_all['values']['region'] == 'us'
    assert direct_over_all['origins']['region'] == 'Direct'


@pytest.mark.parametrize('option', [name for name in _options.CONNECTION_OPTIONS if name != 'client_secret'])
def test_describe_sources_names_the_ini_key(clean_env, option):
    for door in (_options.LOOKUP, _options.MODULE):
        text = _options.describe_sources(option, door)
        assert '%s in the [onelogin] section of ansible.cfg' % option in text
        assert env_name(option) in text


def test_describe_sources_never_offers_ansible_cfg_for_the_secret(clean_env):
    for door in (_options.LOOKUP, _options.MODULE):
        text = _options.describe_sources('client_secret', door)
        assert 'ansible.cfg' not in text
        assert 'ONELOGIN_CLIENT_SECRET' in text


def test_describe_sources_per_door(clean_env):
    lookup = _options.describe_sources('client_id', _options.LOOKUP)
    assert 'the lookup keyword client_id=' in lookup
    assert 'the variable onelogin_client_id' in lookup
    module = _options.describe_sources('client_id', _options.MODULE)
    assert 'module_defaults' in module
    assert 'onelogin_client_id' not in module
    assert 'lookup keyword' not in module


def test_templates_in_variables_are_rendered_but_direct_values_are_not(clean_env):
    class RecordingTemplar:
        def __init__(self):
            self.seen = []

        def template(self, value):
            self.seen.append(value)
            return 'rendered-secret'

    templar = RecordingTemplar()
    values, dummy = _options.collect({'client_id': '{{ already_templated }}'},
                                     variables={'onelogin_client_secret': '{{ vault_secret }}', 'onelogin_region': 'eu'},
                                     templar=templar)
    assert values['client_secret'] == 'rendered-secret'
    assert values['client_id'] == '{{ already_templated }}'
    assert values['region'] == 'eu'
    assert templar.seen == ['{{ vault_secret }}']


# -- base URL -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('values, expected', [
    ({'api_url': 'https://tenant.example.com', 'subdomain': 'acme', 'region': 'eu'}, 'https://tenant.example.com'),
    ({'subdomain': 'acme', 'region': 'eu'}, 'https://acme.onelogin.com'),
    ({'region': 'eu'}, 'https://api.eu.onelogin.com'),
    ({'region': 'us'}, 'https://api.us.onelogin.com'),
    ({}, 'https://api.us.onelogin.com'),
    ({'subdomain': 'AcMe-2'}, 'https://acme-2.onelogin.com'),
    ({'api_url': 'https://acme.onelogin.com/'}, 'https://acme.onelogin.com'),
    ({'api_url': 'https://ACME.OneLogin.com:8443'}, 'https://acme.onelogin.com:8443'),
    ({'api_url': 'http://127.0.0.1:8080/'}, 'http://127.0.0.1:8080'),
    ({'api_url': 'http://[::1]:8080'}, 'http://[::1]:8080'),
    ({'api_url': 'http://[::1]'}, 'http://[::1]'),
    ({'api_url': 'http://127.0.0.5'}, 'http://127.0.0.5'),
    ({'api_url': 'http://localhost:9000'}, 'http://localhost:9000'),
    ({'api_url': 'http://LocalHost'}, 'http://localhost'),
])
def test_base_url_from(clean_env, values, expected):
    assert _options.base_url_from(values) == expected


def test_base_url_through_the_whole_model(clean_env):
    clean_env.setenv('ONELOGIN_REGION', 'eu')
    assert _options.resolve(VALID).base_url == 'https://api.eu.onelogin.com'
    assert _options.resolve(dict(VALID, subdomain='Acme')).base_url == 'https://acme.onelogin.com'
    assert _options.resolve(dict(VALID, subdomain='acme', api_url='http://[::1]:8080/')).base_url == 'http://[::1]:8080'


@pytest.mark.parametrize('url', ['http://127.0.0.5:1234', 'http://localhost', 'http://[::1]:8080', 'http://127.0.0.1'])
def test_plain_http_is_accepted_for_loopback(clean_env, url):
    settings = _options.resolve(dict(VALID, api_url=url))
    assert settings.base_url == url


# -- refusals: each names the option and its environment variable, never the secret ------------------------------

REFUSALS = [
    ('http-remote', {'api_url': 'http://acme.onelogin.com'}, ('api_url',), 'clear text'),
    ('http-loopback-lookalike', {'api_url': 'http://127.0.0.1.example.com'}, ('api_url',), 'clear text'),
    ('http-private-ip', {'api_url': 'http://10.1.2.3:8080'}, ('api_url',), 'clear text'),
    ('path', {'api_url': 'https://acme.onelogin.com/api/2'}, ('api_url',), 'path'),
    ('query', {'api_url': 'https://acme.onelogin.com?tenant=1'}, ('api_url',), 'query'),
    ('fragment', {'api_url': 'https://acme.onelogin.com#x'}, ('api_url',), 'fragment'),
    ('userinfo', {'api_url': 'https://user:pw@acme.onelogin.com'}, ('api_url',), 'user name or password'),
    ('ftp', {'api_url': 'ftp://acme.onelogin.com'}, ('api_url',), 'absolute http(s) URL'),
    ('no-host', {'api_url': 'https://'}, ('api_url',), 'absolute http(s) URL'),
    ('no-scheme', {'api_url': 'acme.onelogin.com'}, ('api_url',), 'absolute http(s) URL'),
    ('bad-port', {'api_url': 'https://acme.onelogin.com:99999'}, ('api_url',), 'not a valid URL'),
    ('api-url-newline', {'api_url': 'https://acme.onelogin.com\n'}, ('api_url',), 'control character'),
    # A dotted subdomain: the message names where the subdomain was set and points at api_url as the remedy.
    ('subdomain-dots', {'subdomain': 'acme.onelogin.com'}, ('subdomain',), ('subdomain', 'first label', 'api_url')),
    ('subdomain-underscore', {'subdomain': 'acme_corp'}, ('subdomain',), 'not a valid host name label'),
    ('subdomain-dash', {'subdomain': '-acme'}, ('subdomain',), 'not a valid host name label'),
    ('region', {'region': 'ap'}, ('region',), 'one of us, eu'),
    ('token-api', {'token_api': 'v3'}, ('token_api',), 'one of v2, v1'),
    ('timeout-zero', {'timeout': 0}, ('timeout',), 'from 1 to 3600'),
    ('timeout-negative', {'timeout': -5}, ('timeout',), 'from 1 to 3600'),
    ('timeout-huge', {'timeout': 99999999999}, ('timeout',), ('from 1 to 3600', '99999999999')),
    ('timeout-huge-text', {'timeout': '9' * 40}, ('timeout',), 'whole number'),
    ('timeout-bool', {'timeout': True}, ('timeout',), 'whole number'),
    ('timeout-word', {'timeout': 'ten'}, ('timeout',), 'whole number'),
    ('timeout-fraction', {'timeout': '1.5'}, ('timeout',), 'whole number'),
    ('min-ttl-negative', {'min_ttl': -1}, ('min_ttl',), 'from 0 to 35999'),
    ('min-ttl-lifetime', {'min_ttl': 36000}, ('min_ttl',), 'below the token lifetime'),
    ('min-ttl-huge', {'min_ttl': 100000}, ('min_ttl',), 'below the token lifetime'),
    ('min-ttl-word', {'min_ttl': 'soon'}, ('min_ttl',), 'whole number'),
    ('retry-timeout-negative', {'retry_timeout': -1}, ('retry_timeout',), ('from 0 to 3600', '0 turns retries off')),
    ('retry-timeout-huge', {'retry_timeout': 10 ** 12}, ('retry_timeout',), 'from 0 to 3600'),
    ('retry-timeout-word', {'retry_timeout': 'long'}, ('retry_timeout',), 'whole number'),
    ('cache-unknown', {'cache': 'disk'}, ('cache',), 'one of run, persistent, none'),
    ('client-id-missing', {'client_id': None}, ('client_id',), 'No OneLogin client ID'),
    ('client-id-empty', {'client_id': ''}, ('client_id',), 'an empty value counts as not given'),
    ('client-id-blank', {'client_id': '   '}, ('client_id',), 'an empty value counts as not given'),
    ('client-secret-missing', {'client_secret': None}, ('client_secret',), 'No OneLogin client secret'),
    ('client-secret-empty', {'client_secret': ''}, ('client_secret',), 'an empty value counts as not given'),
    ('client-id-not-ascii', {'client_id': 'abcd\u79d8efgh'}, ('client_id',), 'outside printable ASCII'),
    ('client-secret-not-ascii', {'client_secret': 'abcd\u79d8efgh'}, ('client_secret',), 'outside printable ASCII'),
    ('client-secret-latin-1', {'client_secret': SECRET + '\u00e9'}, ('client_secret',), 'outside printable ASCII'),
    ('client-id-lf', {'client_id': CLIENT_ID + '\n'}, ('client_id',), 'control character'),
    ('client-id-cr', {'client_id': CLIENT_ID + '\r'}, ('client_id',), 'control character'),
    ('client-id-nul', {'client_id': 'a\x00b'}, ('client_id',), 'control character'),
    ('client-id-del', {'client_id': 'a\x7fb'}, ('client_id',), 'control character'),
    ('client-id-tab', {'client_id': 'a\tb'}, ('client_id',), 'control character'),
    ('client-secret-lf', {'client_secret': SECRET + '\n'}, ('client_secret',), 'control character'),
    ('client-secret-crlf', {'client_secret': SECRET + '\r\n'}, ('client_secret',), 'control character'),
    ('client-secret-esc', {'client_secret': SECRET[:8] + '\x1b' + SECRET[8:]}, ('client_secret',), 'control character'),
    ('client-id-leading-space', {'client_id': ' ' + CLIENT_ID}, ('client_id',), 'space'),
    ('client-id-trailing-space', {'client_id': CLIENT_ID + ' '}, ('client_id',), 'space'),
    ('client-secret-leading-space', {'client_secret': ' ' + SECRET}, ('client_secret',), 'space'),
    ('client-secret-trailing-space', {'client_secret': SECRET + ' '}, ('client_secret',), 'space'),
]


def _direct(change):
    direct = dict(VALID)
    for name, value in change.items():
        if value is None:
            direct.pop(name)
        else:
            direct[name] = value
    return direct


@pytest.mark.parametrize('change, named, says', [row[1:] for row in REFUSALS], ids=[row[0] for row in REFUSALS])
def test_refusals_name_the_option_and_its_env_variable(clean_env, change, named, says):
    message = refusal(_direct(change))
    says_all(message, says)
    for option in named:
        assert option in message
        assert env_name(option) in message
    assert SECRET not in message
    assert SECRET[:12] not in message


@pytest.mark.parametrize('change, named, says', [row[1:] for row in REFUSALS], ids=[row[0] for row in REFUSALS])
def test_refusals_through_the_module_door_point_at_module_defaults(clean_env, change, named, says):
    message = refusal(_direct(change), door=_options.MODULE)
    says_all(message, says)
    assert 'module_defaults' in message
    for option in named:
        assert env_name(option) in message
    for option in _options.CONNECTION_OPTIONS:
        assert 'onelogin_%s' % option not in message
    assert 'lookup keyword' not in message
    assert SECRET not in message


@pytest.mark.parametrize('option, value', [('timeout', 'ten'), ('region', 'mars'), ('min_ttl', '-3')])
def test_refusals_of_environment_values_name_the_env_variable(clean_env, option, value):
    clean_env.setenv(env_name(option), value)
    message = refusal(VALID)
    assert option in message
    assert env_name(option) in message
    assert SECRET not in message


def test_a_secret_of_the_wrong_shape_is_not_echoed(clean_env):
    # The invalid-value message shows a bad direct value, but never for the secret.
    message = refusal(dict(VALID, client_secret=SECRET + '\n', timeout='x'))
    assert SECRET not in message
    message = refusal(dict(VALID, client_secret=' ' + SECRET, client_id=CLIENT_ID))
    assert SECRET not in message


def test_unknown_region_in_base_url_from(clean_env):
    with pytest.raises(OneLoginError) as caught:
        _options.base_url_from({'region': 'ap'})
    assert 'region' in str(caught.value)
    assert 'ONELOGIN_REGION' in str(caught.value)


@pytest.mark.parametrize('min_ttl', [0, 35999])
def test_min_ttl_bounds_accepted(clean_env, min_ttl):
    assert _options.resolve(dict(VALID, min_ttl=min_ttl)).min_ttl == min_ttl


# -- the secret stays hidden --------------------------------------------------------------------------------------

def test_repr_of_settings_hides_the_secret(settings_for):
    settings = settings_for(**VALID)
    assert settings.client_secret == SECRET
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)
    assert CLIENT_ID in repr(settings)
    basic = base64.b64encode(('%s:%s' % (CLIENT_ID, SECRET)).encode()).decode()
    assert settings.secrets == (SECRET, basic)
    assert basic not in repr(settings)


def test_settings_are_frozen(settings_for):
    settings = settings_for(**VALID)
    with pytest.raises(AttributeError):
        settings.client_secret = 'other'


def test_cache_key_depends_on_url_id_and_secret_only(settings_for):
    base = settings_for(**VALID)
    key = base.cache_key
    assert re.fullmatch(r'[0-9a-f]{64}', key)
    assert SECRET not in key
    assert settings_for(**VALID).cache_key == key
    different = [
        settings_for(**dict(VALID, subdomain='acme')),
        settings_for(**dict(VALID, region='eu')),
        settings_for(**dict(VALID, client_id=CLIENT_ID + 'x')),
        settings_for(**dict(VALID, client_secret=SECRET + 'x')),
    ]
    keys = [settings.cache_key for settings in different]
    assert key not in keys
    assert len(set(keys)) == len(keys)
    # Options that do not change whose token it is do not change the key.
    assert settings_for(**dict(VALID, timeout=99, min_ttl=5)).cache_key == key


def test_cache_key_is_not_fooled_by_moving_characters_between_parts(settings_for):
    one = settings_for(client_id='ab', client_secret='cdef')
    two = settings_for(client_id='abc', client_secret='def')
    assert one.cache_key != two.cache_key


# -- plain Python types ---------------------------------------------------------------------------------------------

def _assert_plain_types(values):
    for name in ('client_id', 'client_secret', 'region', 'subdomain', 'api_url', 'token_api'):
        assert values[name].__class__ is str, name
    assert values['validate_certs'].__class__ is bool
    assert values['timeout'].__class__ is int
    assert values['min_ttl'].__class__ is int


def test_environment_strings_become_plain_types(clean_env):
    for name, value in (('client_id', 'env-id'), ('client_secret', SECRET), ('subdomain', 'acme'),
                        ('api_url', 'https://acme.onelogin.com'), ('validate_certs', 'no'), ('timeout', '25'),
                        ('min_ttl', '60'), ('token_api', 'v1'), ('region', 'eu')):
        clean_env.setenv(env_name(name), value)
    values, dummy = _options.collect({})
    _assert_plain_types(values)
    assert (values['validate_certs'], values['timeout'], values['min_ttl']) == (False, 25, 60)


class _WrappedStr(str):
    pass


class _WrappedInt(int):
    pass


def wrapped(value):
    """``value`` as ansible-core hands it over: data-tagged on 2.19+, a subclass of the native type before."""
    if Origin is not None:
        result = Origin(description='inventory line 1').tag(value)
    else:
        result = {str: _WrappedStr, int: _WrappedInt}[type(value)](value)
    assert result.__class__ is not value.__class__  # otherwise this test would prove nothing
    return result


def test_wrapped_values_come_back_as_plain_types(clean_env):
    direct = {'client_id': wrapped('wrapped-id'), 'client_secret': wrapped(SECRET), 'timeout': wrapped(12),
              'api_url': wrapped('https://acme.onelogin.com'), 'subdomain': wrapped('acme')}
    variables = {'onelogin_min_ttl': wrapped(30), 'onelogin_token_api': wrapped('v1'),
                 'onelogin_region': wrapped('eu'), 'onelogin_validate_certs': wrapped('yes')}
    values, dummy = _options.collect(direct, variables=variables)
    _assert_plain_types(values)
    assert values['client_id'] == 'wrapped-id'
    assert (values['timeout'], values['min_ttl'], values['validate_certs']) == (12, 30, True)
    settings = _options.settings_from(values)
    assert settings.client_id.__class__ is str
    assert settings.client_secret.__class__ is str
    assert settings.base_url.__class__ is str
    assert settings.timeout.__class__ is int
    assert settings.min_ttl.__class__ is int
    assert settings.validate_certs.__class__ is bool


# -- candidate secrets ----------------------------------------------------------------------------------------------

def test_candidate_secrets_from_every_source(clean_env):
    assert _options.candidate_secrets({}) == []
    assert _options.candidate_secrets({'client_secret': 'from-direct', 'client_id': 'not-a-secret'}) == ['from-direct']
    clean_env.setenv('ONELOGIN_CLIENT_SECRET', 'from-env')
    clean_env.setenv('ONELOGIN_CLIENT_ID', 'env-id')
    found = _options.candidate_secrets({'client_secret': 'from-direct'},
                                       variables={'onelogin_client_secret': 'from-vars', 'onelogin_client_id': 'x'})
    assert sorted(found) == ['from-direct', 'from-env', 'from-vars']
    assert _options.candidate_secrets({}) == ['from-env']


def test_candidate_secrets_survive_broken_variables(clean_env):
    class Broken(dict):
        def get(self, *args):
            raise RuntimeError('undefined variable')

    assert _options.candidate_secrets({'client_secret': 'from-direct'}, variables=Broken(x=1)) == ['from-direct']
    assert _options.candidate_secrets({'client_secret': ''}, variables={'onelogin_client_secret': 7}) == []


# -- the host comes from the most specific source ----------------------------------------------------------------------

@pytest.mark.parametrize('env, direct, expected', [
    ({'ONELOGIN_API_URL': 'https://first.onelogin.com'}, {'subdomain': 'other'}, 'https://other.onelogin.com'),
    ({'ONELOGIN_API_URL': 'https://first.onelogin.com'}, {'region': 'eu'}, 'https://api.eu.onelogin.com'),
    ({'ONELOGIN_API_URL': 'https://first.onelogin.com'}, {}, 'https://first.onelogin.com'),
    ({'ONELOGIN_SUBDOMAIN': 'acme'}, {'api_url': 'https://second.example.com'}, 'https://second.example.com'),
    ({'ONELOGIN_SUBDOMAIN': 'acme', 'ONELOGIN_API_URL': 'https://third.example.com'}, {}, 'https://third.example.com'),
    ({'ONELOGIN_SUBDOMAIN': 'acme', 'ONELOGIN_REGION': 'eu'}, {}, 'https://acme.onelogin.com'),
    ({}, {'subdomain': 'acme', 'api_url': 'https://fourth.example.com'}, 'https://fourth.example.com'),
])
def test_the_host_option_set_at_the_most_specific_source_wins(clean_env, env, direct, expected):
    for name, value in env.items():
        clean_env.setenv(name, value)
    assert _options.resolve(dict(direct, client_id='id', client_secret='s3cret-value')).base_url == expected


def test_a_variable_subdomain_beats_an_environment_api_url(clean_env):
    clean_env.setenv('ONELOGIN_API_URL', 'https://first.onelogin.com')
    settings = _options.resolve({'client_id': 'id', 'client_secret': 's3cret-value'},
                                variables={'onelogin_subdomain': 'second'})
    assert settings.base_url == 'https://second.onelogin.com'


# -- booleans are read strictly ----------------------------------------------------------------------------------------

@pytest.mark.parametrize('raw', ['maybe', 'ture', 'enabled', '2'])
def test_a_mistyped_validate_certs_is_refused_not_read_as_false(clean_env, raw):
    with pytest.raises(OneLoginError) as caught:
        _options.resolve({'client_id': 'id', 'client_secret': 's3cret-value', 'validate_certs': raw})
    assert 'validate_certs' in str(caught.value) and 'ONELOGIN_VALIDATE_CERTS' in str(caught.value)
    clean_env.setenv('ONELOGIN_VALIDATE_CERTS', raw)
    with pytest.raises(OneLoginError) as caught:
        _options.resolve({'client_id': 'id', 'client_secret': 's3cret-value'})
    assert 'ONELOGIN_VALIDATE_CERTS' in str(caught.value)


@pytest.mark.parametrize('raw, expected', [('no', False), ('false', False), ('0', False), ('yes', True),
                                           ('on', True), (True, True), (False, False)])
def test_true_and_false_spellings_are_accepted(clean_env, raw, expected):
    settings = _options.resolve({'client_id': 'id', 'client_secret': 's3cret-value', 'validate_certs': raw})
    assert settings.validate_certs is expected


@pytest.mark.parametrize('api_url', ['ftp://user:pa55word@acme.onelogin.com', 'https://user:pa55word@acme.onelogin.com:99999',
                                     'https://user:pa55word@acme.onelogin.com/api'])
def test_a_password_inside_api_url_is_never_echoed(clean_env, api_url):
    with pytest.raises(OneLoginError) as caught:
        _options.resolve({'client_id': 'id', 'client_secret': 's3cret-value', 'api_url': api_url})
    assert 'pa55word' not in str(caught.value)
    assert 'ONELOGIN_API_URL' in str(caught.value)


# -- the persistent cache folder ---------------------------------------------------------------------------------------

def _persistent(folder, door=_options.LOOKUP, emulator=None):
    """Resolve with cache=persistent in ``folder`` and use the cache (the checks happen when it is used)."""
    direct = dict(VALID, cache='persistent', cache_dir=str(folder), api_url='http://127.0.0.1:9', retry_timeout=0)
    if emulator is not None:
        direct.update(api_url=emulator.url, client_id=emulator.client_id, client_secret=emulator.client_secret)
    settings = _options.resolve(direct, door=door)
    _token_source.obtain(settings)
    return settings


def test_a_missing_persistent_folder_is_created_private(clean_env, tmp_path, emulator):
    folder = tmp_path / 'a' / 'b' / 'tokens'
    settings = _persistent(folder, emulator=emulator)
    assert settings.cache_dir == str(folder)
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700


def test_the_persistent_folder_is_only_checked_when_used(clean_env, tmp_path):
    folder = tmp_path / 'unused'
    settings = _options.resolve(dict(VALID, cache_dir=str(folder), cache='persistent'))
    assert settings.cache_dir == str(folder)
    assert not folder.exists()  # resolving the options touches no file


def test_a_persistent_folder_from_the_environment(clean_env, tmp_path):
    clean_env.setenv('ONELOGIN_CACHE', 'persistent')
    clean_env.setenv('ONELOGIN_CACHE_DIR', str(tmp_path / 'env-tokens'))
    assert _options.resolve(VALID).cache_dir == str(tmp_path / 'env-tokens')


def test_a_group_readable_persistent_folder_is_accepted(clean_env, tmp_path, emulator):
    folder = tmp_path / 'shared-read'
    folder.mkdir()
    folder.chmod(0o750)
    assert _persistent(folder, emulator=emulator).cache_dir == str(folder)


@pytest.mark.parametrize('mode', [0o770, 0o702, 0o777, 0o1777])
def test_a_persistent_folder_others_can_write_is_refused(clean_env, tmp_path, mode):
    folder = tmp_path / 'open'
    folder.mkdir()
    folder.chmod(mode)
    with pytest.raises(OneLoginError) as caught:
        _persistent(folder)
    message = str(caught.value)
    assert 'writable by group or others (mode %04o)' % mode in message
    assert 'cache_dir' in message and 'ONELOGIN_CACHE_DIR' in message
    assert stat.S_IMODE(os.stat(folder).st_mode) == mode  # refused, not silently changed


def test_a_file_as_persistent_folder_is_refused(clean_env, tmp_path):
    path = tmp_path / 'a-file'
    path.write_text('')
    with pytest.raises(OneLoginError) as caught:
        _persistent(path, door=_options.MODULE)
    message = str(caught.value)
    assert 'is not a folder' in message and 'ONELOGIN_CACHE_DIR' in message and 'module_defaults' in message


def test_a_persistent_folder_of_another_user_is_refused(clean_env, tmp_path, monkeypatch):
    folder = tmp_path / 'theirs'
    folder.mkdir(mode=0o700)
    monkeypatch.setattr(os, 'geteuid', lambda: os.stat(folder).st_uid + 1)
    with pytest.raises(OneLoginError) as caught:
        _persistent(folder)
    assert 'owned by another user' in str(caught.value) and 'ONELOGIN_CACHE_DIR' in str(caught.value)


def test_a_persistent_folder_that_cannot_be_created_is_reported(clean_env, tmp_path):
    blocker = tmp_path / 'blocker'
    blocker.write_text('')
    with pytest.raises(OneLoginError) as caught:
        _persistent(blocker / 'tokens')
    assert 'Cannot create the OneLogin persistent cache folder' in str(caught.value)
    assert 'ONELOGIN_CACHE_DIR' in str(caught.value)


# -- the per-process memo of resolved settings -------------------------------------------------------------------

@pytest.fixture
def config_reads(monkeypatch):
    """Count the options' resolutions (one call per option and resolution)."""
    calls = []
    real = _options._lookup_source

    def counting(name, *args, **kwargs):
        calls.append(name)
        return real(name, *args, **kwargs)
    monkeypatch.setattr(_options, '_lookup_source', counting)
    return calls


def test_the_same_inputs_resolve_once_per_process(clean_env, config_reads):
    clean_env.setenv('ONELOGIN_REGION', 'eu')
    variables = {'onelogin_timeout': 7}
    first = _options.resolve(dict(VALID), variables=variables)
    reads = len(config_reads)
    assert reads >= len(_options.CONNECTION_OPTIONS)
    second = _options.resolve(dict(VALID), variables=dict(variables))
    assert second is first
    assert len(config_reads) == reads
    assert (first.base_url, first.timeout) == ('https://api.eu.onelogin.com', 7)


@pytest.mark.parametrize('change', ['env', 'variable', 'direct', 'door'])
def test_any_changed_input_resolves_again(clean_env, config_reads, change):
    clean_env.setenv('ONELOGIN_REGION', 'eu')
    first = _options.resolve(dict(VALID), variables={'onelogin_min_ttl': 60})
    direct, variables, door = dict(VALID), {'onelogin_min_ttl': 60}, _options.LOOKUP
    if change == 'env':
        clean_env.setenv('ONELOGIN_REGION', 'us')
    elif change == 'variable':
        variables['onelogin_min_ttl'] = 90
    elif change == 'direct':
        direct['timeout'] = 3
    else:
        door = _options.MODULE
    reads = len(config_reads)
    second = _options.resolve(direct, variables=variables, door=door)
    assert len(config_reads) > reads
    assert second is not first
    expected = {'env': ('base_url', 'https://api.us.onelogin.com'),
                'variable': ('min_ttl', 90), 'direct': ('timeout', 3), 'door': ('door', _options.MODULE)}[change]
    assert getattr(second, expected[0]) == expected[1]


def test_templated_variables_are_not_memoised(clean_env, config_reads):
    """A template may render differently at the next use, so it is resolved every time."""
    variables = {'onelogin_subdomain': '{{ tenant }}'}
    assert _options._memo_key(dict(VALID), variables, _options.LOOKUP) is None
    _options.resolve(dict(VALID), variables={'onelogin_subdomain': 'acme'})
    assert _options._RESOLVED
    assert _options._memo_key(dict(VALID), {'onelogin_subdomain': ['not', 'a', 'scalar']}, _options.LOOKUP) is None


def test_refusals_are_not_memoised(clean_env):
    for _attempt in range(2):
        with pytest.raises(OneLoginError, match='timeout'):
            _options.resolve(dict(VALID, timeout=0))
    assert not _options._RESOLVED


# -- the run's memo of the option definitions --------------------------------------------------------------------

@pytest.fixture
def run_folder(tmp_path, monkeypatch):
    """A run's private temp directory with its token cache folder, as a worker sees it."""
    from ansible import constants as C
    monkeypatch.setattr(C, 'DEFAULT_LOCAL_TMP', str(tmp_path), raising=False)
    folder = tmp_path / 'sso_onelogin_tokens'
    folder.mkdir(mode=0o700)
    monkeypatch.setattr(_options, '_MEMO_WRITTEN', [])
    return folder


def _registered(name):
    from ansible import constants as C
    return C.config.get_configuration_definitions('lookup', name)


def test_the_definitions_memo_is_ansible_cores_reading_of_the_fragment(clean_env, run_folder):
    clean_env.setenv('ONELOGIN_CLIENT_SECRET', SECRET)
    _options.resolve({'client_id': CLIENT_ID})  # a resolution writes the memo, once
    memo_path = run_folder / _options.DEFINITIONS_MEMO
    text = memo_path.read_text()
    assert stat.S_IMODE(memo_path.stat().st_mode) == 0o600
    assert SECRET not in text
    memo = json.loads(text)
    assert memo['config_name'] == _options._config_name()
    assert memo['options'] == json.loads(json.dumps(_registered(_options._config_name())))
    for option in _options.CONNECTION_OPTIONS:
        assert memo['options'][option]['env'] == PLUGINS[option]['env']


def test_a_new_worker_takes_the_options_from_the_memo_without_parsing_the_docs(clean_env, run_folder, monkeypatch):
    from ansible import constants as C
    from ansible.plugins import loader as plugin_loader
    _options.definitions()
    name = _options._config_name()
    # A new worker: ansible-core has not registered the options and has not imported the lookup.
    monkeypatch.setitem(C.config._plugins, 'lookup', {k: v for k, v in C.config._plugins['lookup'].items() if k != name})
    monkeypatch.setattr(plugin_loader.lookup_loader, '_module_cache', {})
    for module in [m for m in sys.modules if m.startswith('ansible_collections.sso.onelogin.plugins.lookup.')]:
        monkeypatch.delitem(sys.modules, module)

    def no_parse(*args, **kwargs):
        raise AssertionError('ansible-core parsed the documentation although the memo was there')
    monkeypatch.setattr(plugin_loader, 'add_fragments', no_parse)
    lookup = plugin_loader.lookup_loader.get(_options.LOOKUP_NAME)
    assert lookup is not None
    assert set(_options.CONNECTION_OPTIONS) <= set(_registered(name))
    clean_env.setenv('ONELOGIN_REGION', 'eu')
    settings = _options.resolve(dict(VALID), variables={'onelogin_min_ttl': 42})
    assert (settings.base_url, settings.min_ttl, settings.timeout) == ('https://api.eu.onelogin.com', 42, 10)


@pytest.mark.parametrize('memo', ['', '{not json', '[]', '{"format": "sso.onelogin/definitions/0"}', 'stamp'])
def test_a_memo_that_cannot_be_used_is_ignored(clean_env, run_folder, monkeypatch, memo):
    from ansible import constants as C
    name = _options._config_name()
    if memo == 'stamp':  # written by another ansible-core version
        stamp = dict(_options._memo_stamp(), ansible_core='0.0.1', config_name=name,
                     options={option: {} for option in _options.CONNECTION_OPTIONS})
        memo = json.dumps(stamp)
    (run_folder / _options.DEFINITIONS_MEMO).write_text(memo)
    monkeypatch.setitem(C.config._plugins, 'lookup', {k: v for k, v in C.config._plugins['lookup'].items() if k != name})
    assert _options.preload_definitions() is False
    assert not C.config.has_configuration_definition('lookup', name)


def test_no_memo_is_written_without_the_run_folder(clean_env, tmp_path, monkeypatch):
    from ansible import constants as C
    monkeypatch.setattr(C, 'DEFAULT_LOCAL_TMP', str(tmp_path), raising=False)
    monkeypatch.setattr(_options, '_MEMO_WRITTEN', [])
    _options.definitions()
    assert os.listdir(tmp_path) == []


# -- templated variables are rendered before they are converted (D1, D2) ---------------------------------------------

def trusted(text):
    """``text`` as a playbook's variable holds it: ansible-core 2.19+ renders only strings trusted as templates."""
    try:
        from ansible.template import trust_as_template
    except ImportError:  # before 2.19 every string is a template
        return text
    return trust_as_template(text)


def templar_with(**variables):
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    return Templar(loader=DataLoader(), variables=variables)


@pytest.mark.parametrize('template', ['{{ verify }}', '{{ true }}', '{{ "yes" }}'])
def test_a_templated_validate_certs_that_renders_true_keeps_tls_checks_on(clean_env, template):
    variables = {'onelogin_validate_certs': trusted(template)}
    settings = _options.resolve(dict(VALID), variables=variables, templar=templar_with(verify=True))
    assert settings.validate_certs is True


@pytest.mark.parametrize('template', ['{{ verify }}', '{{ false }}'])
def test_a_templated_validate_certs_that_renders_false_turns_them_off(clean_env, template):
    variables = {'onelogin_validate_certs': trusted(template)}
    settings = _options.resolve(dict(VALID), variables=variables, templar=templar_with(verify=False))
    assert settings.validate_certs is False


def test_a_templated_validate_certs_that_renders_no_boolean_is_refused(clean_env):
    variables = {'onelogin_validate_certs': trusted('{{ verify }}')}
    with pytest.raises(OneLoginError) as caught:
        _options.resolve(dict(VALID), variables=variables, templar=templar_with(verify='maybe'))
    assert 'validate_certs' in str(caught.value) and 'a boolean' in str(caught.value)


def test_templated_numbers_choices_and_paths_mean_what_they_render_to(clean_env, tmp_path):
    variables = {'onelogin_timeout': trusted('{{ t }}'), 'onelogin_min_ttl': trusted('{{ t * 2 }}'),
                 'onelogin_retry_timeout': trusted('{{ t }}'), 'onelogin_token_api': trusted("{{ 'v1' }}"),
                 'onelogin_cache': trusted("{{ 'none' }}"), 'onelogin_cache_dir': trusted('{{ mydir }}'),
                 'onelogin_subdomain': trusted('{{ tenant }}')}
    templar = templar_with(t=7, mydir=str(tmp_path / 'x'), tenant='acme')
    settings = _options.resolve(dict(VALID), variables=variables, templar=templar)
    assert (settings.timeout, settings.min_ttl, settings.retry_timeout) == (7, 14, 7)
    assert (settings.token_api, settings.cache, settings.base_url) == ('v1', 'none', 'https://acme.onelogin.com')
    assert settings.cache_dir == str(tmp_path / 'x')  # the rendered path, not one under the working folder


# -- an empty value is unset, wherever it comes from (D12) -------------------------------------------------------------

@pytest.mark.parametrize('where', ['direct', 'variable'])
def test_an_empty_api_url_does_not_override_the_environment(clean_env, where):
    clean_env.setenv('ONELOGIN_API_URL', 'https://tenant.example.com')
    direct, variables = dict(VALID), {}
    if where == 'direct':
        direct['api_url'] = ''
    else:
        variables['onelogin_api_url'] = ''
    assert _options.resolve(direct, variables=variables).base_url == 'https://tenant.example.com'


def test_empty_environment_variables_count_as_unset(clean_env):
    for name in ('REGION', 'TOKEN_API', 'SUBDOMAIN', 'API_URL', 'TIMEOUT', 'VALIDATE_CERTS', 'CACHE', 'CACHE_DIR'):
        clean_env.setenv('ONELOGIN_' + name, '')
    settings = _options.resolve(dict(VALID))
    assert (settings.base_url, settings.token_api, settings.timeout) == ('https://api.us.onelogin.com', 'v2', 10)
    assert (settings.validate_certs, settings.cache) == (True, 'run')


def test_an_empty_variable_falls_back_to_the_environment_for_every_option(clean_env):
    clean_env.setenv('ONELOGIN_TIMEOUT', '17')
    clean_env.setenv('ONELOGIN_CLIENT_ID', CLIENT_ID)
    variables = {'onelogin_timeout': '', 'onelogin_client_id': '  '}
    values, origins = _options.collect({'client_secret': SECRET}, variables=variables)
    assert (values['timeout'], origins['timeout']) == (17, 'env: ONELOGIN_TIMEOUT')
    assert (values['client_id'], origins['client_id']) == (CLIENT_ID, 'env: ONELOGIN_CLIENT_ID')


# -- messages: only the values put into them are scrubbed (D11), and credentials are ASCII (D7) --------------------

def test_a_secret_that_is_a_word_of_the_message_is_not_revealed_by_the_redaction(clean_env):
    """With the secret "password", redacting inside "a user name or password" would tell the secret."""
    api_url = 'https://user:pw@acme.onelogin.com'
    with pytest.raises(OneLoginError) as caught:
        _options.resolve({'client_id': CLIENT_ID, 'client_secret': 'password', 'api_url': api_url})
    plain = refusal({'client_id': CLIENT_ID, 'client_secret': SECRET, 'api_url': api_url})
    assert str(caught.value.hide(['password'])) == plain
    assert '********' not in plain


@pytest.mark.parametrize('option', ['client_id', 'client_secret'])
def test_a_credential_outside_ascii_shows_neither_the_value_nor_a_position(clean_env, option):
    value = 'abcd\u79d8efgh'
    message = refusal(dict(VALID, **{option: value}))
    assert option in message and env_name(option) in message and 'ASCII' in message
    for shown in ('\u79d8', 'abcd', 'efgh', 'position', '4'):
        assert shown not in message


def test_every_error_message_is_a_literal_with_its_values_apart():
    """A message built with % before it reaches OneLoginError would be neither scrubbed nor safe to scrub."""
    import ast
    plugins = os.path.join(os.path.dirname(os.path.abspath(_options.__file__)), '..')
    checked = 0
    for folder, dummy, files in os.walk(plugins):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding='utf-8') as handle:
                tree = ast.parse(handle.read(), path)
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and getattr(node.func, 'id', getattr(node.func, 'attr', None)) in (
                        'OneLoginError', 'extended'):
                    first = node.args[0] if node.args else None
                    literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
                    assert literal, '%s:%d builds its message before OneLoginError' % (path, node.lineno)
                    checked += 1
    assert checked > 30
