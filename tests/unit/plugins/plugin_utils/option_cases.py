"""Values shared by the tests of the options model (_definitions, _options, _settings)."""

from __future__ import annotations

import secrets

import pytest
import yaml

from ansible_collections.sso.onelogin.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.sso.onelogin.plugins.plugin_utils import _options
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError

# A distinctive secret: if it shows up in a message or a repr, the test fails.
SECRET = 'sekrit-' + secrets.token_hex(16)
CLIENT_ID = 'client-' + secrets.token_hex(6)
VALID = {'client_id': CLIENT_ID, 'client_secret': SECRET}

DOCUMENTATION = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']
PLUGINS = yaml.safe_load(ModuleDocFragment.PLUGINS)['options']


def env_name(option):
    return 'ONELOGIN_' + option.upper()


def says_all(message, says):
    for text in (says,) if isinstance(says, str) else says:
        assert text in message


def refusal(direct, door=_options.LOOKUP):
    with pytest.raises(OneLoginError) as caught:
        _options.resolve(direct, door=door)
    return str(caught.value)
