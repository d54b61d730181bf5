"""The one fake clock of the tests: ``now()`` that a test moves, and ``sleep()`` that advances it instead of waiting.

Import it as ``ansible_collections.sso.onelogin.tests.unit.clock``. Pass ``now=clock`` and ``sleep=clock.sleep``
to whatever takes them (``_token_source.obtain/revoke``, ``_client.exchange/revoke/rate_limit``) and
``clock=clock`` to the emulator, so that a test never waits for real time, and a code path that would wait
fails fast instead.
"""

from __future__ import annotations

T0 = 1700000000.0  # 2023-11-14T22:13:20Z


class FakeClock:
    """A clock the test moves by hand; ``sleep`` advances it and records the wait.

    More than ``max_sleeps`` waits mean a loop that does not end (say waits of 0 s): the test fails then,
    instead of spinning until its time limit.
    """

    def __init__(self, start=T0, max_sleeps=200):
        self.start = self.now = start
        self.sleeps = []
        self.max_sleeps = max_sleeps

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        assert len(self.sleeps) <= self.max_sleeps, 'a wait loop that does not end: %r' % (self.sleeps[:10],)
        self.now += seconds


def never_sleep(seconds):
    """A ``sleep`` for calls that have no reason to wait: any wait fails the test at once."""
    raise AssertionError('slept for %r seconds where there was no reason to wait' % (seconds,))
