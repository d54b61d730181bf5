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


import pytest  # noqa: E402

UNIT_TIME_LIMIT = 60  # seconds, for every test but the playbook runs; pytest.ini gives those longer
# pytest-timeout's signal method bounds a test less than it seems: its alarm fails the test once, and pytest-timeout
# disarms it as soon as a phase fails (for pdb's post-mortem, with or without pdb). So whatever runs after a failure,
# a timeout or any other (a finally block, a fixture's teardown), had no limit: one that waited, say for forked
# workers, held the suite for many minutes. Here the alarm stays armed, and repeats every TIME_LIMIT_REPEAT seconds,
# until the test's teardown is over; only pdb disarms it.
TIME_LIMIT_REPEAT = 10


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker('timeout') is None and '/tests/integration/' not in str(item.fspath):
            item.add_marker(pytest.mark.timeout(UNIT_TIME_LIMIT))


_ALARM = {'armed': False}


def _disarm():
    import signal
    if _ALARM['armed']:
        _ALARM['armed'] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_timeout_set_timer(item, settings):
    """pytest-timeout's signal method and handler (the threads' stacks, then the test fails), with a repeating alarm.

    The thread method, and a test run outside the main thread, are left to pytest-timeout (None: not handled here).
    """
    import signal
    import threading
    import pytest_timeout
    if settings.method != 'signal' or threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        __tracebackhide__ = True
        pytest_timeout.timeout_sigalrm(item, settings)

    # pytest-timeout calls this when the test ends and when a phase fails: only func_only ends the limit there.
    item.cancel_timeout = _disarm if settings.func_only else (lambda: None)
    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, settings.timeout, TIME_LIMIT_REPEAT)
    _ALARM['armed'] = True
    return True


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item):
    yield
    _disarm()  # the test, its teardown included, is over


@pytest.hookimpl(tryfirst=True)
def pytest_exception_interact(node):
    if node.config.getoption('usepdb', False):
        _disarm()  # a post-mortem pdb session takes its time


@pytest.hookimpl(tryfirst=True)
def pytest_enter_pdb():
    _disarm()
