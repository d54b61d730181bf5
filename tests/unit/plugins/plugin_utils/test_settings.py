"""Unit tests of the settings: the checks of the resolved values, their messages, and the base URL."""

from __future__ import annotations

import base64
import os
import re
import stat

import pytest

from ansible_collections.sso.onelogin.plugins.plugin_utils import _options, _settings, _token_source
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError

from ansible_collections.sso.onelogin.tests.unit.plugins.plugin_utils.option_cases import (
    CLIENT_ID, REFUSALS, SECRET, VALID, env_name, refusal, says_all)


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
    assert _settings.base_url_from(values) == expected


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
# REFUSALS (option_cases) is the one table of what the settings validation refuses; the doors run a sample of it.

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
    message = refusal(_direct(change))  # the lookup door's message
    says_all(message, says)
    for option in named:
        assert option in message
        assert env_name(option) in message
        assert 'lookup keyword %s=' % option in message
        assert 'variable onelogin_%s' % option in message
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
        _settings.base_url_from({'region': 'ap'})
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
