"""Unit tests of the run-scoped token cache: the file on disk, its permissions, and its lock."""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import signal
import stat
import threading
import time

import pytest

from ansible_collections.sso.onelogin.plugins.plugin_utils import _cache
from ansible_collections.sso.onelogin.plugins.plugin_utils._cache import FORMAT, TokenCache
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError
from ansible_collections.sso.onelogin.plugins.plugin_utils._token_source import obtain

KEY = 'a' * 64
NOW = float(int(time.time()))  # records are read back against the real clock: an expiry within bounds
RECORD = {
    'access_token': 'tok-0123456789abcdef',
    'token_type': 'bearer',
    'created_at': '2023-11-14T22:13:20Z',
    'expires_at': NOW + 3600,
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
    ('no-token', json.dumps({'format': FORMAT, 'expires_at': NOW + 3600})),
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


# -- D3: the folder is pinned: opened once per use, checked on the descriptor, used through it ----------------------

def persistent(directory, **kwargs):
    return TokenCache(directory, persistent=True, where='the cache_dir option (ONELOGIN_CACHE_DIR)', **kwargs)


def test_the_persistent_folder_is_checked_at_every_use_not_once(cache_dir):
    with persistent(cache_dir).entry(KEY) as entry:
        entry.write(dict(RECORD))
    os.chmod(cache_dir, 0o777)  # opened up after a first, good use
    with pytest.raises(OneLoginError) as caught:
        with persistent(cache_dir).entry(KEY):
            pytest.fail('the cache used a folder that became writable by others')
    message = str(caught.value)
    assert cache_dir in message and 'writable by group or others' in message and 'ONELOGIN_CACHE_DIR' in message


def test_a_persistent_folder_that_is_a_symlink_is_refused(tmp_path):
    private = tmp_path / 'private'
    private.mkdir(mode=0o700)
    link = str(tmp_path / 'link')
    os.symlink(str(private), link)
    with pytest.raises(OneLoginError) as caught:
        with persistent(link).entry(KEY):
            pytest.fail('the cache followed a symbolic link')
    message = str(caught.value)
    assert link in message and 'symbolic link' in message and 'ONELOGIN_CACHE_DIR' in message
    assert os.listdir(str(private)) == []


def test_a_symlinked_parent_is_resolved_once_and_the_folder_pinned(tmp_path):
    # A link among the parents is resolved by the kernel at the open, once: the use stays in that folder.
    first, second = tmp_path / 'first', tmp_path / 'second'
    for folder in (first, second):
        (folder / 'tokens').mkdir(parents=True, mode=0o700)
    link = tmp_path / 'link'
    os.symlink(str(first), str(link))
    with persistent(str(link / 'tokens')).entry(KEY) as entry:
        os.unlink(str(link))
        os.symlink(str(second), str(link))  # repointed while the entry is held
        entry.write(dict(RECORD))
        assert entry.read() == RECORD
    assert os.listdir(str(second / 'tokens')) == []
    assert sorted(os.listdir(str(first / 'tokens'))) == [KEY + '.json', KEY + '.lock']


@pytest.mark.parametrize('kind', ['run', 'persistent'])
def test_an_entry_keeps_using_the_folder_it_opened(cache_dir, kind):
    cache = TokenCache(cache_dir) if kind == 'run' else persistent(cache_dir)
    write(cache_dir, dict(RECORD, access_token='tok-old'))
    moved = cache_dir + '.moved'
    with cache.entry(KEY) as entry:
        os.rename(cache_dir, moved)  # the folder is swapped for another one while in use
        os.mkdir(cache_dir, 0o700)
        with open(entry_path(cache_dir), 'w', encoding='utf-8') as handle:
            handle.write(json.dumps(dict(RECORD, format=FORMAT, access_token='tok-planted')))
        assert entry.read()['access_token'] == 'tok-old'
        entry.write(dict(RECORD, access_token='tok-new'))
        assert entry.remove() is True
        entry.write(dict(RECORD, access_token='tok-newer'))
    assert sorted(os.listdir(cache_dir)) == [KEY + '.json']  # untouched: still only the planted file
    with open(entry_path(moved), encoding='utf-8') as handle:
        assert json.load(handle)['access_token'] == 'tok-newer'


def test_a_persistent_folder_of_another_user_is_refused_on_the_descriptor(cache_dir, monkeypatch):
    os.mkdir(cache_dir, 0o700)
    if os.geteuid() == 0:
        os.chown(cache_dir, 65534, 65534)
    else:
        other = os.geteuid() + 1
        monkeypatch.setattr(_cache.os, 'geteuid', lambda: other)
    with pytest.raises(OneLoginError) as caught:
        with persistent(cache_dir).entry(KEY):
            pytest.fail('an entry in a folder of another user')
    assert 'owned by another user' in str(caught.value) and cache_dir in str(caught.value)
    assert os.listdir(cache_dir) == []


def test_a_persistent_path_that_is_a_file_is_refused(cache_dir):
    with open(cache_dir, 'w', encoding='utf-8') as handle:
        handle.write('')
    with pytest.raises(OneLoginError) as caught:
        with persistent(cache_dir).entry(KEY):
            pytest.fail('an entry in a file')
    assert 'not a folder' in str(caught.value) and 'ONELOGIN_CACHE_DIR' in str(caught.value)


def test_folders_the_cache_creates_are_0700_whatever_the_umask(tmp_path):
    deep = tmp_path / 'made' / 'by' / 'the-cache' / 'tokens'
    run_folder = tmp_path / 'run-folder'
    previous = os.umask(0o002)
    try:
        with persistent(str(deep)).entry(KEY) as entry:
            entry.write(dict(RECORD))
    finally:
        os.umask(previous)
    for folder in (tmp_path / 'made', tmp_path / 'made' / 'by', tmp_path / 'made' / 'by' / 'the-cache', deep):
        assert stat.S_IMODE(os.stat(str(folder)).st_mode) == 0o700, folder
    previous = os.umask(0o277)  # would make a mkdir(0700) folder 0500
    try:
        with TokenCache(str(run_folder)).entry(KEY) as entry:
            entry.write(dict(RECORD))
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(str(run_folder)).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(entry_path(str(run_folder))).st_mode) == 0o600


def test_a_missing_folder_is_not_created_when_creation_is_off(cache_dir):
    with TokenCache(cache_dir, create=False).entry(KEY) as entry:
        assert entry is None
    with persistent(cache_dir, create=False).entry(KEY) as entry:
        assert entry is None
    assert not os.path.lexists(cache_dir)


def test_temporary_files_have_random_names_and_do_not_follow_links(cache_dir, tmp_path):
    write(cache_dir, dict(RECORD))
    victim = tmp_path / 'victim'
    victim.write_text('keep')
    for guess in ('.entry-', '.entry-0', '.entry-tmp'):
        os.symlink(str(victim), os.path.join(cache_dir, guess))
    write(cache_dir, dict(RECORD, access_token='tok-2'))
    assert victim.read_text() == 'keep'
    assert read(cache_dir)['access_token'] == 'tok-2'


# -- D8: what is read back from a cache file is bounded -----------------------------------------------------------

ABSURD = [
    ('expiry-infinity', 'Infinity'),
    ('expiry-minus-infinity', '-Infinity'),
    ('expiry-nan', 'NaN'),
    ('expiry-1e300', '1e300'),
    ('expiry-minus-1e300', '-1e300'),
    ('expiry-1e400', '1e400'),
    ('expiry-too-far-ahead', repr(NOW + 11 * 36000)),
    ('expiry-long-past', repr(NOW - 2 * 86400)),
    ('expiry-true', 'true'),
]


@pytest.mark.parametrize('expiry', [row[1] for row in ABSURD], ids=[row[0] for row in ABSURD])
def test_an_absurd_expiry_is_a_miss(cache_dir, expiry):
    write(cache_dir, dict(RECORD))
    text = json.dumps(dict(RECORD, format=FORMAT, expires_at='EXPIRY')).replace('"EXPIRY"', expiry)
    with open(entry_path(cache_dir), 'w', encoding='utf-8') as handle:
        handle.write(text)
    assert read(cache_dir) is None


BAD_FIELDS = [
    ('token-empty', {'access_token': ''}),
    ('token-newline', {'access_token': 'tok-1\nX-Injected: 1'}),
    ('token-nul', {'access_token': 'tok\x00'}),
    ('token-del', {'access_token': 'tok\x7f'}),
    ('token-not-ascii', {'access_token': 'tok-\u00e9'}),
    ('token-huge', {'access_token': 'a' * 100000}),
    ('created-at-a-number', {'created_at': 1700000000}),
    ('created-at-null', {'created_at': None}),
    ('created-at-a-list', {'created_at': ['2023']}),
    ('token-type-null', {'token_type': None}),
    ('token-type-a-dict', {'token_type': {}}),
    ('account-id-a-string', {'account_id': '555555'}),
    ('account-id-a-bool', {'account_id': True}),
    ('account-id-huge', {'account_id': 10 ** 30}),
    ('api-url-a-number', {'api_url': 5}),
    ('minted-by-a-number', {'minted_by': 7}),
    ('client-id-a-list', {'client_id': ['x']}),
]


@pytest.mark.parametrize('change', [row[1] for row in BAD_FIELDS], ids=[row[0] for row in BAD_FIELDS])
def test_a_field_out_of_bounds_is_a_miss(cache_dir, change):
    write(cache_dir, dict(RECORD))
    with open(entry_path(cache_dir), 'w', encoding='utf-8') as handle:
        json.dump(dict(RECORD, format=FORMAT, **change), handle)
    assert read(cache_dir) is None


def test_a_huge_file_is_a_miss(cache_dir):
    write(cache_dir, dict(RECORD))
    with open(entry_path(cache_dir), 'w', encoding='utf-8') as handle:
        json.dump(dict(RECORD, format=FORMAT, padding='x' * (_cache.MAX_FILE + 1)), handle)
    assert read(cache_dir) is None


@pytest.mark.parametrize('offset', [-_cache.MAX_BEHIND, 0, _cache.MAX_AHEAD])
def test_records_at_the_bounds_are_read_and_make_a_fact(cache_dir, offset):
    from ansible_collections.sso.onelogin.plugins.plugin_utils._token_source import as_fact
    write(cache_dir, dict(RECORD, expires_at=NOW + offset))
    with TokenCache(cache_dir).entry(KEY) as entry:
        record = entry.read(NOW)
    assert record['expires_at'] == NOW + offset
    fact = as_fact(record, now=lambda: NOW)
    assert fact['expires_in'] == max(0, offset)


# -- D13: a lock that is a symlink, an entry that is a folder: a clear error ----------------------------------------

def make_fifo(path):
    os.mkfifo(path, 0o600)


OBSTACLES = [
    ('lock-symlink', '.lock', lambda path, target: os.symlink(target, path)),
    ('lock-dangling-symlink', '.lock', lambda path, target: os.symlink(target + '-missing', path)),
    ('lock-folder', '.lock', lambda path, target: os.mkdir(path)),
    ('lock-fifo', '.lock', lambda path, target: make_fifo(path)),
    ('entry-folder', '.json', lambda path, target: os.mkdir(path)),
    ('entry-symlink', '.json', lambda path, target: os.symlink(target, path)),
    ('entry-fifo', '.json', lambda path, target: make_fifo(path)),
]


@pytest.mark.timeout(20)  # opening a FIFO for reading can block: a shorter limit than the others'
@pytest.mark.parametrize('kind', ['run', 'persistent'])
@pytest.mark.parametrize('suffix, make', [row[1:] for row in OBSTACLES], ids=[row[0] for row in OBSTACLES])
def test_a_cache_file_that_is_not_a_file_is_a_clear_error(cache_dir, tmp_path, kind, suffix, make):
    target = tmp_path / 'target'
    target.write_text(json.dumps(dict(RECORD, format=FORMAT, access_token='tok-through-a-link')))
    os.mkdir(cache_dir, 0o700)
    obstacle = os.path.join(cache_dir, KEY + suffix)
    make(obstacle, str(target))
    cache = TokenCache(cache_dir) if kind == 'run' else persistent(cache_dir)
    with pytest.raises(OneLoginError) as caught:
        with cache.entry(KEY) as entry:
            entry.read()
            entry.write(dict(RECORD))
    message = str(caught.value)
    assert obstacle in message and 'Remove it' in message
    assert 'Unexpected' not in message
    assert json.loads(target.read_text())['access_token'] == 'tok-through-a-link'  # nothing written through a link
