"""Unit tests of the resolution of the options: Ansible's precedence, rendering, strict conversion."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.sso.onelogin.plugins.plugin_utils import _options, _settings
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError

try:
    from ansible._internal._datatag._tags import Origin  # ansible-core 2.19+: values carry data tags
except ImportError:  # older ansible-core has no data tags
    Origin = None

from ansible_collections.sso.onelogin.tests.unit.plugins.plugin_utils.option_cases import (
    CLIENT_ID, DOCUMENTATION, SECRET, VALID, env_name)


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
    settings = _settings.settings_from(values)
    assert settings.client_id.__class__ is str
    assert settings.client_secret.__class__ is str
    assert settings.base_url.__class__ is str
    assert settings.timeout.__class__ is int
    assert settings.min_ttl.__class__ is int
    assert settings.validate_certs.__class__ is bool


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


# -- every resolution reads its sources again ------------------------------------------------------------------------

@pytest.mark.parametrize('change', ['env', 'variable', 'direct', 'door'])
def test_any_changed_input_is_seen_by_the_next_resolution(clean_env, change):
    """Nothing is kept between resolutions in a process: a worker that evaluates the lookup again sees the change."""
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
    second = _options.resolve(direct, variables=variables, door=door)
    assert (first.base_url, first.min_ttl, first.timeout, first.door) == (
        'https://api.eu.onelogin.com', 60, 10, _options.LOOKUP)
    expected = {'env': ('base_url', 'https://api.us.onelogin.com'),
                'variable': ('min_ttl', 90), 'direct': ('timeout', 3), 'door': ('door', _options.MODULE)}[change]
    assert getattr(second, expected[0]) == expected[1]


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
