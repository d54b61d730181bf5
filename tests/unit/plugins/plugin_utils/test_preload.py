"""Unit tests of _preload: the lookups' engine modules come from Python's bytecode cache, not from compile()."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys

import pytest

from ansible_collections.sso.onelogin.plugins.plugin_utils import _preload

PLUGIN_UTILS = os.path.dirname(os.path.abspath(_preload.__file__))
COLLECTION = os.path.dirname(os.path.dirname(PLUGIN_UTILS))


def engine_imports_at_load(name):
    """The engine modules that module ``name`` imports when it is loaded (not those its functions import)."""
    with open(os.path.join(PLUGIN_UTILS, name + '.py'), encoding='utf-8') as handle:
        tree = ast.parse(handle.read())
    found = set()
    statements = list(tree.body)
    while statements:
        node = statements.pop()
        if isinstance(node, (ast.If, ast.Try)):  # still run at load time
            statements.extend(ast.iter_child_nodes(node))
        elif isinstance(node, ast.ImportFrom) and node.module == _preload.PACKAGE:
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or '').startswith(_preload.PACKAGE + '.'):
            found.add(node.module.rsplit('.', 1)[1])
    return found


@pytest.mark.parametrize('path_name', ['TOKEN_PATH', 'MINT_PATH', 'API_PATH'])
def test_every_module_comes_after_the_engine_modules_it_imports(path_name):
    names = getattr(_preload, path_name)
    assert len(set(names)) == len(names)
    for position, name in enumerate(names):
        missing = engine_imports_at_load(name) - set(names[:position])
        assert not missing, '%s imports %s, which %s does not load before it' % (name, sorted(missing), path_name)


def test_the_token_path_is_what_the_token_lookup_imports_when_loaded():
    # ... and the api lookup's first import: both doors import _options (and the token lookup _token_source).
    assert {'_options', '_token_source', '_errors'} <= set(_preload.TOKEN_PATH)
    assert engine_imports_at_load('_token_source') | engine_imports_at_load('_options') <= set(_preload.TOKEN_PATH)


@pytest.fixture
def scratch_package(tmp_path, monkeypatch):
    """The engine package, pointed at an empty folder for the test; what the test loads is unloaded after it."""
    package = sys.modules[_preload.PACKAGE]
    monkeypatch.setattr(package, '__path__', [str(tmp_path)])
    monkeypatch.setattr(sys, 'dont_write_bytecode', False)
    loaded = []
    yield tmp_path, loaded
    for name in loaded:
        sys.modules.pop('%s.%s' % (_preload.PACKAGE, name), None)
        if name in vars(package):
            delattr(package, name)


def test_a_module_is_loaded_with_bytecode_under_its_engine_name(scratch_package):
    folder, loaded = scratch_package
    (folder / '_scratch_first.py').write_text('VALUE = 41\n', encoding='utf-8')
    (folder / '_scratch_second.py').write_text(
        'from %s._scratch_first import VALUE\nANSWER = VALUE + 1\n' % _preload.PACKAGE, encoding='utf-8')
    loaded.extend(['_scratch_first', '_scratch_second'])

    _preload.preload(('_scratch_first', '_scratch_second'))

    module = sys.modules[_preload.PACKAGE + '._scratch_second']
    assert module.ANSWER == 42
    assert module.__name__ == _preload.PACKAGE + '._scratch_second'
    assert getattr(sys.modules[_preload.PACKAGE], '_scratch_second') is module
    assert type(module.__spec__.loader).__name__ == 'SourceFileLoader'
    assert os.path.isfile(module.__cached__)  # the bytecode was written beside the source


def test_a_module_already_imported_is_left_as_it_is(scratch_package, monkeypatch):
    folder, loaded = scratch_package
    (folder / '_scratch_seen.py').write_text('FRESH = True\n', encoding='utf-8')
    loaded.append('_scratch_seen')
    earlier = type(sys)('earlier')
    monkeypatch.setitem(sys.modules, _preload.PACKAGE + '._scratch_seen', earlier)

    _preload.preload(('_scratch_seen',))

    assert sys.modules[_preload.PACKAGE + '._scratch_seen'] is earlier
    assert not hasattr(earlier, 'FRESH')


def test_a_missing_file_is_left_to_the_ordinary_import(scratch_package):
    _preload.preload(('_scratch_absent',))
    assert _preload.PACKAGE + '._scratch_absent' not in sys.modules


def test_a_module_that_fails_to_load_is_not_left_half_loaded(scratch_package):
    folder, loaded = scratch_package
    (folder / '_scratch_broken.py').write_text('raise RuntimeError("broken on purpose")\n', encoding='utf-8')
    loaded.append('_scratch_broken')
    with pytest.raises(RuntimeError, match='broken on purpose'):
        _preload.preload(('_scratch_broken',))
    assert _preload.PACKAGE + '._scratch_broken' not in sys.modules


# -- in a fresh process, as a forked worker loads the lookup --------------------------------------------------------

LOAD_SCRIPT = r'''
import builtins, json, os, sys
compiled = []
real_compile = builtins.compile
def recording_compile(source, filename, *args, **kwargs):
    compiled.append(os.path.basename(str(filename)))
    return real_compile(source, filename, *args, **kwargs)
builtins.compile = recording_compile
from ansible.plugins.loader import init_plugin_loader, lookup_loader
init_plugin_loader([sys.argv[1]])
lookup = lookup_loader.get('sso.onelogin.onelogin_token')
assert lookup is not None
if sys.argv[2] == 'miss':  # the worker that mints: nothing listens on port 9, so the exchange fails at once
    try:
        lookup.run([], variables={}, api_url='http://127.0.0.1:9', client_id='id', client_secret='s' * 32,
                   retry_timeout=0, timeout=5)
    except Exception as exc:
        assert 'OneLogin' in str(exc), exc
    else:
        raise AssertionError('the exchange did not fail')
package = 'ansible_collections.sso.onelogin.plugins.plugin_utils'
loaders = {name.rsplit('.', 1)[1]: type(module.__spec__.loader).__name__
           for name, module in sys.modules.items() if name.startswith(package + '.')}
from ansible_collections.sso.onelogin.plugins.plugin_utils import _timeutil  # not preloaded: the ordinary import
print(json.dumps({'compiled': compiled, 'loaders': loaders}))
'''


def load_lookup_in_a_fresh_process(collections, local_tmp, write_bytecode=True, miss=False):
    env = dict(os.environ, ANSIBLE_LOCAL_TEMP=str(local_tmp), ANSIBLE_COLLECTIONS_PATH=str(collections))
    env.pop('PYTHONDONTWRITEBYTECODE', None)
    if not write_bytecode:
        env['PYTHONDONTWRITEBYTECODE'] = '1'
    run = subprocess.run([sys.executable, '-c', LOAD_SCRIPT, str(collections), 'miss' if miss else 'load'], env=env,
                         capture_output=True, text=True, timeout=50, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def copy_of_the_collection(tmp_path):
    """A copy of the collection without bytecode, in an ansible_collections tree; the tree's root."""
    collections = tmp_path / 'collections'
    copy = collections / 'ansible_collections' / 'sso' / 'onelogin'
    for part in ('plugins', 'meta'):
        shutil.copytree(os.path.join(COLLECTION, part), str(copy / part),
                        ignore=shutil.ignore_patterns('__pycache__'))
    shutil.copy(os.path.join(COLLECTION, 'galaxy.yml'), str(copy / 'galaxy.yml'))
    return collections


ENGINE_FILES = {'%s.py' % name for name in _preload.TOKEN_PATH}


def test_a_worker_loads_the_token_lookups_engine_without_compiling_it(tmp_path):
    collections = copy_of_the_collection(tmp_path)
    engine = ENGINE_FILES

    first = load_lookup_in_a_fresh_process(collections, tmp_path)
    assert {first['loaders'][name] for name in _preload.TOKEN_PATH} == {'SourceFileLoader'}
    assert set(engine) <= set(first['compiled'])  # no bytecode yet: compiled, and the bytecode written

    later = load_lookup_in_a_fresh_process(collections, tmp_path)
    assert {later['loaders'][name] for name in _preload.TOKEN_PATH} == {'SourceFileLoader'}
    assert not set(engine) & set(later['compiled']), later['compiled']
    assert '_timeutil.py' in later['compiled']  # what ansible-core's collection loader imports, it compiles


def test_the_worker_that_mints_loads_what_a_mint_needs_without_compiling_it(tmp_path):
    collections = copy_of_the_collection(tmp_path)
    mint = {'%s.py' % name for name in _preload.MINT_PATH} - ENGINE_FILES

    first = load_lookup_in_a_fresh_process(collections, tmp_path, miss=True)
    assert mint <= set(first['compiled'])  # no bytecode yet: compiled, and the bytecode written

    later = load_lookup_in_a_fresh_process(collections, tmp_path, miss=True)
    assert {later['loaders'][name] for name in _preload.MINT_PATH} == {'SourceFileLoader'}
    assert not mint & set(later['compiled']), later['compiled']


def test_where_python_may_not_write_bytecode_a_collection_compiled_once_is_not_compiled_again(tmp_path):
    # What the lookups guide advises for PYTHONDONTWRITEBYTECODE or a read-only collection: python -m compileall.
    collections = copy_of_the_collection(tmp_path)
    plugins = collections / 'ansible_collections' / 'sso' / 'onelogin' / 'plugins'

    without = load_lookup_in_a_fresh_process(collections, tmp_path, write_bytecode=False)
    assert ENGINE_FILES <= set(without['compiled'])
    assert not list(plugins.glob('*/__pycache__'))  # nothing written

    run = subprocess.run([sys.executable, '-m', 'compileall', '-q', str(plugins)], capture_output=True, text=True,
                         timeout=50, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    compiled_once = load_lookup_in_a_fresh_process(collections, tmp_path, write_bytecode=False)
    assert not ENGINE_FILES & set(compiled_once['compiled']), compiled_once['compiled']
