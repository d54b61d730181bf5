"""The module and lookup documentation render with ansible-doc (DOCUMENTATION, EXAMPLES, RETURN)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ANSIBLE_DOC = os.path.join(os.path.dirname(sys.executable), 'ansible-doc')

pytestmark = pytest.mark.integration


CONNECTION_OPTIONS = ('client_id', 'client_secret', 'region', 'subdomain', 'api_url', 'token_api', 'validate_certs',
                      'timeout', 'min_ttl', 'retry_timeout', 'cache', 'cache_dir')


@pytest.mark.parametrize('plugin_type, name, returns', [
    ('module', 'sso.onelogin.onelogin_token', 'expires_at'),
    ('lookup', 'sso.onelogin.onelogin_token', 'expires_at'),
    ('module', 'sso.onelogin.onelogin_rate_limit_info', 'remaining'),
])
def test_ansible_doc_renders(plugin_type, name, returns):
    run = subprocess.run([ANSIBLE_DOC, '-t', plugin_type, name], capture_output=True,
                         text=True, timeout=120, env=dict(os.environ, ANSIBLE_NOCOLOR='1'), check=False)
    assert run.returncode == 0, run.stderr
    text = run.stdout
    assert 'ONELOGIN_CLIENT_SECRET' in text and 'ONELOGIN_CACHE_DIR' in text
    for option in CONNECTION_OPTIONS:
        assert option in text
    assert returns in text
    assert 'WARNING' not in run.stderr


def test_ansible_doc_json_has_the_module_attributes_and_return():
    run = subprocess.run([ANSIBLE_DOC, '--json', 'sso.onelogin.onelogin_token'], capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    import json
    doc = json.loads(run.stdout)['sso.onelogin.onelogin_token']
    assert doc['doc']['attributes']['check_mode']['support'] == 'full'
    assert doc['doc']['options']['force']['type'] == 'bool'
    fact = doc['return']['ansible_facts']['contains']['onelogin_token']['contains']
    assert set(fact) == {'access_token', 'token_type', 'expires_in', 'expires_at', 'created_at', 'account_id',
                         'api_url'}
    assert doc['doc']['options']['state']['choices'] == ['present', 'absent']
    assert doc['return']['revoked']['type'] == 'bool'
