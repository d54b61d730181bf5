"""Unit tests of the option definitions: the doc fragment, ConfigManager's reading of it, its memo."""

from __future__ import annotations

import json
import os
import stat
import sys

import pytest

from ansible_collections.sso.onelogin.plugins.plugin_utils import _definitions, _options

from ansible_collections.sso.onelogin.tests.unit.plugins.plugin_utils.option_cases import (
    CLIENT_ID, DOCUMENTATION, PLUGINS, SECRET, VALID)


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
    defs = _definitions.definitions()
    for name, doc in DOCUMENTATION.items():
        assert defs[name]['type'] == doc['type']
        assert defs[name].get('default') == doc.get('default')
        assert defs[name].get('choices') == doc.get('choices')
        assert defs[name].get('env') == PLUGINS[name]['env']
        assert defs[name].get('vars') == PLUGINS[name]['vars']
        assert defs[name].get('ini') == PLUGINS[name].get('ini')


# -- the run's memo of the option definitions (written by _definitions_memo) --------------------------------------------------------------------

@pytest.fixture
def run_folder(tmp_path, monkeypatch):
    """A run's private temp directory with its token cache folder, as a worker sees it."""
    from ansible import constants as C
    monkeypatch.setattr(C, 'DEFAULT_LOCAL_TMP', str(tmp_path), raising=False)
    folder = tmp_path / 'sso_onelogin_tokens'
    folder.mkdir(mode=0o700)
    monkeypatch.setattr(_definitions._memo, 'written', False)
    return folder


def _registered(name):
    from ansible import constants as C
    return C.config.get_configuration_definitions('lookup', name)


def test_the_definitions_memo_is_ansible_cores_reading_of_the_fragment(clean_env, run_folder):
    clean_env.setenv('ONELOGIN_CLIENT_SECRET', SECRET)
    _options.resolve({'client_id': CLIENT_ID})  # a resolution writes the memo, once
    memo_path = run_folder / _definitions.DEFINITIONS_MEMO
    text = memo_path.read_text()
    assert stat.S_IMODE(memo_path.stat().st_mode) == 0o600
    assert SECRET not in text
    memo = json.loads(text)
    assert memo['config_name'] == _definitions.config_name()
    assert memo['options'] == json.loads(json.dumps(_registered(_definitions.config_name())))
    for option in _options.CONNECTION_OPTIONS:
        assert memo['options'][option]['env'] == PLUGINS[option]['env']


def test_a_new_worker_takes_the_options_from_the_memo_without_parsing_the_docs(clean_env, run_folder, monkeypatch):
    from ansible import constants as C
    from ansible.plugins import loader as plugin_loader
    _definitions.definitions()
    name = _definitions.config_name()
    # A new worker: ansible-core has not registered the options and has not imported the lookup.
    monkeypatch.setitem(C.config._plugins, 'lookup', {k: v for k, v in C.config._plugins['lookup'].items() if k != name})
    monkeypatch.setattr(plugin_loader.lookup_loader, '_module_cache', {})
    for module in [m for m in sys.modules if m.startswith('ansible_collections.sso.onelogin.plugins.lookup.')]:
        monkeypatch.delitem(sys.modules, module)

    def no_parse(*args, **kwargs):
        raise AssertionError('ansible-core parsed the documentation although the memo was there')
    monkeypatch.setattr(plugin_loader, 'add_fragments', no_parse)
    lookup = plugin_loader.lookup_loader.get(_definitions.LOOKUP_NAME)
    assert lookup is not None
    assert set(_options.CONNECTION_OPTIONS) <= set(_registered(name))
    clean_env.setenv('ONELOGIN_REGION', 'eu')
    settings = _options.resolve(dict(VALID), variables={'onelogin_min_ttl': 42})
    assert (settings.base_url, settings.min_ttl, settings.timeout) == ('https://api.eu.onelogin.com', 42, 10)


@pytest.mark.parametrize('memo', ['', '{not json', '[]', '{"format": "sso.onelogin/definitions/0"}', 'stamp'])
def test_a_memo_that_cannot_be_used_is_ignored(clean_env, run_folder, monkeypatch, memo):
    from ansible import constants as C
    name = _definitions.config_name()
    if memo == 'stamp':  # written by another ansible-core version
        stamp = dict(_definitions.memo_stamp(), ansible_core='0.0.1', config_name=name,
                     options={option: {} for option in _options.CONNECTION_OPTIONS})
        memo = json.dumps(stamp)
    (run_folder / _definitions.DEFINITIONS_MEMO).write_text(memo)
    monkeypatch.setitem(C.config._plugins, 'lookup', {k: v for k, v in C.config._plugins['lookup'].items() if k != name})
    assert _definitions.preload_definitions() is False
    assert not C.config.has_configuration_definition('lookup', name)


def test_the_memo_makes_a_private_run_folder_when_there_is_none(clean_env, tmp_path, monkeypatch):
    """With cache=persistent no run cache makes the folder; the memo must not depend on it (every worker would
    parse the documentation again)."""
    from ansible import constants as C
    monkeypatch.setattr(C, 'DEFAULT_LOCAL_TMP', str(tmp_path), raising=False)
    monkeypatch.setattr(_definitions._memo, 'written', False)
    _definitions.definitions()
    folder = tmp_path / 'sso_onelogin_tokens'
    assert os.listdir(str(folder)) == [_definitions.DEFINITIONS_MEMO]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / _definitions.DEFINITIONS_MEMO).stat().st_mode) == 0o600


def test_a_memo_through_a_symlinked_run_folder_is_not_written(clean_env, tmp_path, monkeypatch):
    from ansible import constants as C
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir(mode=0o700)
    run_tmp = tmp_path / 'run'
    run_tmp.mkdir()
    (run_tmp / 'sso_onelogin_tokens').symlink_to(elsewhere)
    monkeypatch.setattr(C, 'DEFAULT_LOCAL_TMP', str(run_tmp), raising=False)
    monkeypatch.setattr(_definitions._memo, 'written', False)
    _definitions.definitions()  # an optimisation only: no error, and nothing written through the link
    assert os.listdir(str(elsewhere)) == []
