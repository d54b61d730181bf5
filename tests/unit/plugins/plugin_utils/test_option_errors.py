"""Unit tests of what the options core says and hides when it refuses: where options are set, the secrets."""

from __future__ import annotations

import pytest

from ansible_collections.sso.onelogin.plugins.plugin_utils import _option_errors, _options

from ansible_collections.sso.onelogin.tests.unit.plugins.plugin_utils.option_cases import env_name


# -- where each option can be set ------------------------------------------------------------------------------------

@pytest.mark.parametrize('option', [name for name in _options.CONNECTION_OPTIONS if name != 'client_secret'])
def test_describe_sources_names_the_ini_key(clean_env, option):
    for door in (_options.LOOKUP, _options.MODULE):
        text = _option_errors.describe_sources(option, door)
        assert '%s in the [onelogin] section of ansible.cfg' % option in text
        assert env_name(option) in text


def test_describe_sources_never_offers_ansible_cfg_for_the_secret(clean_env):
    for door in (_options.LOOKUP, _options.MODULE):
        text = _option_errors.describe_sources('client_secret', door)
        assert 'ansible.cfg' not in text
        assert 'ONELOGIN_CLIENT_SECRET' in text


def test_describe_sources_per_door(clean_env):
    lookup = _option_errors.describe_sources('client_id', _options.LOOKUP)
    assert 'the lookup keyword client_id=' in lookup
    assert 'the variable onelogin_client_id' in lookup
    module = _option_errors.describe_sources('client_id', _options.MODULE)
    assert 'module_defaults' in module
    assert 'onelogin_client_id' not in module
    assert 'lookup keyword' not in module


# -- candidate secrets ----------------------------------------------------------------------------------------------

def test_candidate_secrets_from_every_source(clean_env):
    assert _option_errors.candidate_secrets({}) == []
    assert _option_errors.candidate_secrets({'client_secret': 'from-direct', 'client_id': 'not-a-secret'}) == ['from-direct']
    clean_env.setenv('ONELOGIN_CLIENT_SECRET', 'from-env')
    clean_env.setenv('ONELOGIN_CLIENT_ID', 'env-id')
    found = _option_errors.candidate_secrets({'client_secret': 'from-direct'},
                                             variables={'onelogin_client_secret': 'from-vars', 'onelogin_client_id': 'x'})
    assert sorted(found) == ['from-direct', 'from-env', 'from-vars']
    assert _option_errors.candidate_secrets({}) == ['from-env']


def test_candidate_secrets_survive_broken_variables(clean_env):
    class Broken(dict):
        def get(self, *args):
            raise RuntimeError('undefined variable')

    assert _option_errors.candidate_secrets({'client_secret': 'from-direct'}, variables=Broken(x=1)) == ['from-direct']
    assert _option_errors.candidate_secrets({'client_secret': ''}, variables={'onelogin_client_secret': 7}) == []
