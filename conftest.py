"""Make this checkout importable as ansible_collections.sso.onelogin for plain pytest runs.

Under ansible-test (which copies the collection into an ansible_collections tree) nothing is
linked; otherwise a temporary tree with one symlink to this checkout is made and removed at exit.
ANSIBLE_COLLECTIONS_PATH is set for the ansible-playbook runs of the integration tests.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.abspath(__file__))


def _galaxy_name():
    """The collection's namespace and name, from galaxy.yml (PyYAML comes with ansible-core)."""
    import yaml
    with open(os.path.join(ROOT, 'galaxy.yml'), encoding='utf-8') as handle:
        meta = yaml.safe_load(handle)
    return meta['namespace'], meta['name']


def _collections_root():
    namespace, name = _galaxy_name()
    parts = ROOT.split(os.sep)
    if len(parts) >= 3 and parts[-3] == 'ansible_collections' and parts[-2:] == [namespace, name]:
        return os.sep.join(parts[:-3])
    root = tempfile.mkdtemp(prefix='sso-onelogin-collections-')
    os.makedirs(os.path.join(root, 'ansible_collections', namespace))
    os.symlink(ROOT, os.path.join(root, 'ansible_collections', namespace, name))
    atexit.register(shutil.rmtree, root, True)  # removes the link, never what it points to
    return root


COLLECTIONS_ROOT = _collections_root()
os.environ['ANSIBLE_COLLECTIONS_PATH'] = COLLECTIONS_ROOT
if COLLECTIONS_ROOT not in sys.path:
    sys.path.insert(0, COLLECTIONS_ROOT)

from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder  # noqa: E402

_AnsibleCollectionFinder(paths=[COLLECTIONS_ROOT])._install()


UNIT_TIME_LIMIT = 60  # seconds, for every test but the playbook runs; pytest.ini gives those longer


def pytest_collection_modifyitems(items):
    import pytest
    for item in items:
        if item.get_closest_marker('timeout') is None and '/tests/integration/' not in str(item.fspath):
            item.add_marker(pytest.mark.timeout(UNIT_TIME_LIMIT))
