"""The module and lookup documentation render with ansible-doc (DOCUMENTATION, EXAMPLES, RETURN)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ANSIBLE_DOC = os.path.join(os.path.dirname(sys.executable), 'ansible-doc')

pytestmark = pytest.mark.integration


CONNECTION_OPTIONS = ('client_id', 'client_secret', 'region', 'subdomain', 'api_url', 'token_api', 'validate_certs',
                      'timeout', 'min_ttl', 'retry_timeout', 'cache', 'cache_dir')
EXTRA_OPTIONS = {
    ('module', 'sso.onelogin.onelogin_token'): {'state', 'force', 'access_token'},
    ('lookup', 'sso.onelogin.onelogin_token'): {'output'},
    ('module', 'sso.onelogin.onelogin_rate_limit_info'): set(),
}


@pytest.mark.parametrize('plugin_type, name, returns', [
    ('module', 'sso.onelogin.onelogin_token', 'expires_at'),
    ('lookup', 'sso.onelogin.onelogin_token', 'expires_at'),
    ('module', 'sso.onelogin.onelogin_rate_limit_info', 'remaining'),
])
def test_ansible_doc_renders(plugin_type, name, returns):
    run = subprocess.run([ANSIBLE_DOC, '-t', plugin_type, name], capture_output=True,
                         text=True, timeout=120, env=dict(os.environ, ANSIBLE_NOCOLOR='1'), check=False)
    assert run.returncode == 0, run.stderr
    assert 'ONELOGIN_CLIENT_SECRET' in run.stdout and 'ONELOGIN_CACHE_DIR' in run.stdout
    assert 'WARNING' not in run.stderr
    run = subprocess.run([ANSIBLE_DOC, '--json', '-t', plugin_type, name], capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)[name]
    options = set(doc['doc']['options'])
    assert set(CONNECTION_OPTIONS) <= options  # names, not substrings: cache is not found inside cache_dir
    assert options - set(CONNECTION_OPTIONS) == EXTRA_OPTIONS[(plugin_type, name)]
    assert returns in json.dumps(doc['return'])


def test_ansible_doc_json_has_the_module_attributes_and_return():
    run = subprocess.run([ANSIBLE_DOC, '--json', 'sso.onelogin.onelogin_token'], capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)['sso.onelogin.onelogin_token']
    assert doc['doc']['attributes']['check_mode']['support'] == 'full'
    assert doc['doc']['options']['force']['type'] == 'bool'
    fact = doc['return']['ansible_facts']['contains']['onelogin_token']['contains']
    assert set(fact) == {'access_token', 'token_type', 'expires_in', 'expires_at', 'created_at', 'account_id',
                         'api_url'}
    assert doc['doc']['options']['state']['choices'] == ['present', 'absent']
    assert doc['return']['revoked']['type'] == 'bool'
