"""Unit tests of secret removal: every form of a secret is scrubbed, and a bug's message is one scrubbed line."""

from __future__ import annotations

from ansible_collections.sso.onelogin.plugins.plugin_utils import _scrub


def test_derived_forms_of_a_secret_are_scrubbed():
    secret = 'p@ss w/rd\u00e9"'
    text = ' | '.join((secret, 'p%40ss%20w%2Frd%C3%A9%22', 'p%40ss+w%2Frd%C3%A9%22', repr(secret)[1:-1],
                       '"p@ss w/rd\\u00e9\\""'[1:-1]))
    assert _scrub.scrub(text, [secret]).count(_scrub.REDACTED) == 5
    basic = _scrub.basic_credentials('id', secret)
    assert _scrub.scrub('Basic ' + basic, [basic]) == 'Basic ' + _scrub.REDACTED


def test_an_unexpected_error_is_one_line_scrubbed_before_it_is_cut():
    secret = 's3cret-' + 'x' * 40
    message = None
    try:
        raise ValueError('a' * 280 + secret)
    except ValueError as exc:
        message = _scrub.unexpected(exc, [secret])
    assert secret[:10] not in message and '\n' not in message and message.endswith('Please report it.')
