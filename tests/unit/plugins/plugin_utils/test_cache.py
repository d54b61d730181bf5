"""Unit tests of the run-scoped token cache: the file on disk, its permissions, and its lock."""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import signal
import stat
import threading

import pytest

from ansible_collections.sso.onelogin.plugins.plugin_utils import _cache
from ansible_collections.sso.onelogin.plugins.plugin_utils._cache import FORMAT, TokenCache
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError
from ansible_collections.sso.onelogin.plugins.plugin_utils._token_source import obtain

KEY = 'a' * 64
RECORD = {
    'access_token': 'tok-0123456789abcdef',
    'token_type': 'bearer',
    'created_at': '2023-11-14T22:13:20Z',
    'expires_at': 1700036000.0,
    'account_id': 555555,
    'api_url': 'https://acme.onelogin.com',
    'token_api': 'v2',
    'client_id': 'client-1',
    'minted_by': None,
}


@pytest.fixture
def cache_dir(tmp_path):
    return str(tmp_path / 'tokens')


def entry_path(directory, key=KEY):
    return os.path.join(directory, key + '.json')


def write(directory, record, key=KEY):
    with TokenCache(directory).entry(key) as entry:
        entry.write(record)


def read(directory, key=KEY):
    with TokenCache(directory).entry(key) as entry:
        return entry.read()


def test_round_trip(cache_dir):
    assert read(cache_dir) is None  # nothing there yet: a miss
    write(cache_dir, dict(RECORD))
    assert read(cache_dir) == RECORD
    with open(entry_path(cache_dir), encoding='utf-8') as handle:
        assert json.load(handle)['format'] == 'sso.onelogin/token-cache/1'


def test_a_new_write_replaces_the_old_record(cache_dir):
    write(cache_dir, dict(RECORD))
    write(cache_dir, dict(RECORD, access_token='tok-new', minted_by='task-9'))
    stored = read(cache_dir)
    assert stored['access_token'] == 'tok-new'
    assert stored['minted_by'] == 'task-9'
    assert [name for name in os.listdir(cache_dir) if name.startswith('.entry-')] == []  # no temp file left


def test_entries_are_per_key(cache_dir):
    write(cache_dir, dict(RECORD), key='b' * 64)
    assert read(cache_dir, key='c' * 64) is None
    assert read(cache_dir, key='b' * 64)['access_token'] == RECORD['access_token']


def test_file_is_0600_and_folder_0700_whatever_the_umask(cache_dir):
    previous = os.umask(0)
    try:
        write(cache_dir, dict(RECORD))
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(cache_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(entry_path(cache_dir)).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.join(cache_dir, KEY + '.lock')).st_mode) == 0o600
    assert os.stat(entry_path(cache_dir)).st_uid == os.geteuid()


def test_an_existing_open_folder_is_made_private(cache_dir):
    os.mkdir(cache_dir)
    os.chmod(cache_dir, 0o755)
    write(cache_dir, dict(RECORD))
    assert stat.S_IMODE(os.stat(cache_dir).st_mode) == 0o700


def test_the_secret_and_unknown_keys_are_never_written(cache_dir):
    secret = 'secret-never-on-disk-31415'
    write(cache_dir, dict(RECORD, client_secret=secret, refresh_token='refresh-xyz', password=secret))
    with open(entry_path(cache_dir), encoding='utf-8') as handle:
        text = handle.read()
    assert secret not in text
    assert 'refresh-xyz' not in text
    assert set(json.loads(text)) == set(RECORD) | {'format'}
    assert read(cache_dir) == RECORD


def test_the_real_flow_never_writes_the_secret(cache_dir, emulator, settings_for):
    settings = settings_for(emulator)
    outcome = obtain(settings, cache=TokenCache(cache_dir))
    assert outcome.minted
    names = os.listdir(cache_dir)
    assert settings.cache_key + '.json' in names
    for name in names:
        with open(os.path.join(cache_dir, name), 'rb') as handle:
            content = handle.read()
        assert emulator.client_secret.encode() not in content
    with open(entry_path(cache_dir, settings.cache_key), encoding='utf-8') as handle:
        stored = json.load(handle)
    assert stored['access_token'] == outcome.record['access_token']
    assert 'client_secret' not in stored


VALID_TEXT = json.dumps(dict(RECORD, format=FORMAT))

BAD_CONTENTS = [
    ('not-json', '{not json at all'),
    ('truncated', VALID_TEXT[:len(VALID_TEXT) // 2]),
    ('empty', ''),
    ('not-utf8', b'\xff\xfe\x00garbage'),
    ('a-list', json.dumps([dict(RECORD, format=FORMAT)])),
    ('a-string', json.dumps('sso.onelogin/token-cache/1')),
    ('foreign-format', json.dumps(dict(RECORD, format='sso.onelogin/token-cache/2'))),
    ('no-format', json.dumps(RECORD)),
    ('token-not-a-string', json.dumps(dict(RECORD, format=FORMAT, access_token=12345))),
    ('no-token', json.dumps({'format': FORMAT, 'expires_at': 1700036000.0})),
    ('expiry-a-string', json.dumps(dict(RECORD, format=FORMAT, expires_at='2023-11-15T08:13:20Z'))),
    ('expiry-null', json.dumps(dict(RECORD, format=FORMAT, expires_at=None))),
]


@pytest.mark.parametrize('content', [row[1] for row in BAD_CONTENTS], ids=[row[0] for row in BAD_CONTENTS])
def test_an_untrustworthy_file_is_a_miss_and_the_next_write_fixes_it(cache_dir, content):
    write(cache_dir, dict(RECORD))  # creates the folder the way the cache does
    mode = 'wb' if isinstance(content, bytes) else 'w'
    with open(entry_path(cache_dir), mode) as handle:
        handle.write(content)
    assert read(cache_dir) is None
    write(cache_dir, dict(RECORD, access_token='tok-fixed'))
    assert read(cache_dir) == dict(RECORD, access_token='tok-fixed')


def test_valid_text_written_by_hand_is_accepted(cache_dir):
    # The counterpart of the test above: the same file, intact, is a hit.
    write(cache_dir, dict(RECORD))
    with open(entry_path(cache_dir), 'w', encoding='utf-8') as handle:
        handle.write(VALID_TEXT)
    assert read(cache_dir) == RECORD


# -- the folder must be ours --------------------------------------------------------------------------------------

def assert_refused(directory):
    with pytest.raises(OneLoginError) as caught:
        with TokenCache(directory).entry(KEY):
            pytest.fail('the cache handed out an entry in an untrusted folder')
    assert directory in str(caught.value)
    assert 'refusing' in str(caught.value)


def test_a_file_in_place_of_the_folder_is_refused(cache_dir):
    with open(cache_dir, 'w', encoding='utf-8') as handle:
        handle.write('not a folder')
    assert_refused(cache_dir)


def test_a_symlink_to_a_folder_is_refused(tmp_path, cache_dir):
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir(mode=0o700)
    os.symlink(str(elsewhere), cache_dir)
    assert_refused(cache_dir)
    assert os.listdir(str(elsewhere)) == []  # nothing was created through the link


def test_a_dangling_symlink_is_refused(tmp_path, cache_dir):
    target = tmp_path / 'does-not-exist'
    os.symlink(str(target), cache_dir)
    assert_refused(cache_dir)
    assert not target.exists()


def test_a_folder_owned_by_someone_else_is_refused(cache_dir, monkeypatch):
    os.mkdir(cache_dir, 0o700)
    if os.geteuid() == 0:
        os.chown(cache_dir, 65534, 65534)  # really someone else's
    else:
        # Without root the folder cannot be given away: make the cache believe it runs as another user.
        other = os.geteuid() + 1
        monkeypatch.setattr(_cache.os, 'geteuid', lambda: other)
    assert_refused(cache_dir)
    assert os.listdir(cache_dir) == []


def test_a_folder_that_cannot_be_created_is_reported(tmp_path):
    missing_parent = str(tmp_path / 'no' / 'such' / 'parent')
    with pytest.raises(OneLoginError) as caught:
        with TokenCache(missing_parent).entry(KEY):
            pytest.fail('an entry without a folder')
    assert missing_parent in str(caught.value)


def test_the_default_folder_is_inside_the_runs_local_temp(monkeypatch, tmp_path):
    from ansible import constants as C
    monkeypatch.setattr(C, 'DEFAULT_LOCAL_TMP', str(tmp_path), raising=False)
    assert TokenCache().directory == os.path.join(str(tmp_path), 'sso_onelogin_tokens')


# -- the lock -------------------------------------------------------------------------------------------------------

def _hold_the_lock(directory, held, release):
    """Child: take the entry, say so, and hold it until killed."""
    with TokenCache(directory).entry(KEY) as entry:
        entry.write(dict(RECORD, access_token='tok-from-the-killed-child'))
        held.set()
        release.wait()  # never set: the parent kills this process


def lock_is_free(directory, key=KEY):
    fd = os.open(os.path.join(directory, key + '.lock'), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def test_a_killed_lock_holder_does_not_block_the_next_entry(cache_dir):
    context = multiprocessing.get_context('fork')
    held, release = context.Event(), context.Event()
    child = context.Process(target=_hold_the_lock, args=(cache_dir, held, release), daemon=True)
    child.start()
    try:
        assert held.wait(timeout=30), 'the child never took the lock'
        assert not lock_is_free(cache_dir)  # the child really holds it
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.join(timeout=30)
    assert child.exitcode == -signal.SIGKILL

    result = {}

    def take_entry():
        with TokenCache(cache_dir).entry(KEY) as entry:
            result['read'] = entry.read()
            entry.write(dict(RECORD, access_token='tok-after'))

    watchdog = threading.Thread(target=take_entry, daemon=True)
    watchdog.start()
    watchdog.join(timeout=10)
    assert not watchdog.is_alive(), 'entry() is still blocked by the lock of a dead process'
    assert result['read']['access_token'] == 'tok-from-the-killed-child'  # what it wrote before dying survives
    assert read(cache_dir)['access_token'] == 'tok-after'


def test_the_lock_is_held_inside_the_entry_and_released_after(cache_dir):
    with TokenCache(cache_dir).entry(KEY):
        assert not lock_is_free(cache_dir)
    assert lock_is_free(cache_dir)


def test_the_lock_is_released_when_the_body_raises(cache_dir):
    with pytest.raises(RuntimeError):
        with TokenCache(cache_dir).entry(KEY):
            raise RuntimeError('boom')
    assert lock_is_free(cache_dir)


def test_the_lock_serialises_two_threads(cache_dir):
    order = []
    inside = threading.Event()
    let_go = threading.Event()

    def first():
        with TokenCache(cache_dir).entry(KEY):
            order.append('first in')
            inside.set()
            let_go.wait(timeout=30)
            order.append('first out')

    def second():
        with TokenCache(cache_dir).entry(KEY):
            order.append('second in')

    one = threading.Thread(target=first, daemon=True)
    one.start()
    assert inside.wait(timeout=10)
    two = threading.Thread(target=second, daemon=True)
    two.start()
    assert not lock_is_free(cache_dir)
    let_go.set()
    one.join(timeout=10)
    two.join(timeout=10)
    assert not one.is_alive() and not two.is_alive()
    assert order == ['first in', 'first out', 'second in']
