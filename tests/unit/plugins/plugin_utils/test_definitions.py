"""Unit tests of the option definitions: the doc fragment, and the table of ansible-core's reading of it."""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest

from ansible_collections.sso.onelogin.plugins.plugin_utils import _definitions, _options

from ansible_collections.sso.onelogin.tests.unit.plugins.plugin_utils.option_cases import DOCUMENTATION, PLUGINS, VALID


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


def test_the_definitions_are_the_fragment():
    defs = _definitions.definitions()
    for name, doc in DOCUMENTATION.items():
        assert defs[name]['type'] == doc['type']
        assert defs[name].get('default') == doc.get('default')
        assert defs[name].get('choices') == doc.get('choices')
        assert defs[name].get('env') == PLUGINS[name]['env']
        assert defs[name].get('vars') == PLUGINS[name]['vars']
        assert defs[name].get('ini') == PLUGINS[name].get('ini')


# -- the option table: ansible-core's reading of the documentation, generated --------------------------------------

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
LOOKUPS = {'sso.onelogin.onelogin_token': 'TOKEN_LOOKUP', 'sso.onelogin.onelogin_api': 'API_LOOKUP'}


def _generator():
    spec = importlib.util.spec_from_file_location('option_table', os.path.join(ROOT, 'tests', 'utils', 'option_table.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_option_table_is_what_the_generator_writes_from_the_documentation():
    generator = _generator()
    with open(generator.TARGET, encoding='utf-8') as table:
        committed = table.read()
    assert committed == generator.render(), 'the documentation of an option changed: run make option-table'


@pytest.mark.parametrize('lookup', sorted(LOOKUPS))
def test_the_table_is_ansible_cores_reading_of_each_lookups_documentation(lookup):
    assert getattr(_definitions, LOOKUPS[lookup]) == _generator().documented_options(lookup)


def _registered(name):
    from ansible import constants as C
    return C.config.get_configuration_definitions('lookup', name)


@pytest.mark.parametrize('lookup', sorted(LOOKUPS))
def test_a_new_worker_loads_a_lookup_without_parsing_its_documentation(clean_env, monkeypatch, lookup):
    from ansible import constants as C
    from ansible.plugins import loader as plugin_loader
    module_name = 'ansible_collections.sso.onelogin.plugins.lookup.' + lookup.rsplit('.', 1)[1]
    # A new worker: ansible-core has registered no lookup options and has not imported the lookups.
    monkeypatch.setitem(C.config._plugins, 'lookup', {})
    monkeypatch.setattr(plugin_loader.lookup_loader, '_module_cache', {})
    for module in [m for m in sys.modules if m.startswith('ansible_collections.sso.onelogin.plugins.lookup.')]:
        monkeypatch.delitem(sys.modules, module)

    def no_parse(*args, **kwargs):
        raise AssertionError('ansible-core parsed the documentation of %s' % lookup)
    monkeypatch.setattr(plugin_loader, 'add_fragments', no_parse)
    plugin = plugin_loader.lookup_loader.get(lookup)
    assert plugin is not None and plugin._load_name == module_name  # the name ansible-core files the options under
    assert _registered(module_name) is getattr(_definitions, LOOKUPS[lookup])
    clean_env.setenv('ONELOGIN_REGION', 'eu')
    settings = _options.resolve(dict(VALID), variables={'onelogin_min_ttl': 42})
    assert (settings.base_url, settings.min_ttl, settings.timeout) == ('https://api.eu.onelogin.com', 42, 10)


def test_register_keeps_the_definitions_ansible_core_has(monkeypatch):
    from ansible import constants as C
    theirs = {'client_id': {'type': 'str'}}
    monkeypatch.setitem(C.config._plugins, 'lookup', {'some.lookup': theirs})
    _definitions.register('some.lookup', _definitions.TOKEN_LOOKUP)
    _definitions.register('other.lookup', _definitions.TOKEN_LOOKUP)
    assert _registered('some.lookup') is theirs
    assert _registered('other.lookup') is _definitions.TOKEN_LOOKUP
