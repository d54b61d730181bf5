"""Unit tests of the error type: messages keep their values apart, and only the values are scrubbed."""

from __future__ import annotations

import ast
import os


from ansible_collections.sso.onelogin.plugins.plugin_utils import _errors


def test_every_error_message_is_a_literal_with_its_values_apart():
    """A message built with % before it reaches OneLoginError would be neither scrubbed nor safe to scrub."""
    plugins = os.path.join(os.path.dirname(os.path.abspath(_errors.__file__)), '..')
    checked = 0
    for folder, dummy, files in os.walk(plugins):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding='utf-8') as handle:
                tree = ast.parse(handle.read(), path)
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and getattr(node.func, 'id', getattr(node.func, 'attr', None)) in (
                        'OneLoginError', 'extended'):
                    first = node.args[0] if node.args else None
                    literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
                    assert literal, '%s:%d builds its message before OneLoginError' % (path, node.lineno)
                    checked += 1
    assert checked > 30
