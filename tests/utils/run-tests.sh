#!/usr/bin/env bash
# Unit and integration tests (pytest) on every ansible-core leg of the version matrix.
# Usage: tests/utils/run-tests.sh [pytest args...]
# Legs: $SSO_ONELOGIN_LEGS (default: ansible-core 2.16, 2.18 and 2.19 on Python 3.11, and the newest on 3.12).
# The legs on either end of the matrix ($SSO_ONELOGIN_FULL_LEGS, default 2.16 and the newest, which sit on
# either side of the 2.19 templating change) run every test; the legs in between skip the tests marked
# slow (long plays, the retry of every fault kind), which wait more than they test ansible-core.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
LEGS=${SSO_ONELOGIN_LEGS:-core-2.16 core-2.18 core-2.19 core-2.21}
FULL_LEGS=${SSO_ONELOGIN_FULL_LEGS:-core-2.16 core-2.21}
failed=()
for leg in $LEGS; do
  venv=$(bash tests/utils/venv.sh "$leg")
  selection=()
  case " $FULL_LEGS " in
    *" $leg "*) ;;
    *) selection=(-m "not slow") ;;
  esac
  version=$("$venv/bin/python" -c 'import ansible.release, sys; print("ansible-core %s, Python %s" % (ansible.release.__version__, sys.version.split()[0]))')
  echo "=== $leg: $version${selection:+ (without the slow tests)}"
  start=$SECONDS
  if ! "$venv/bin/python" -m pytest "${selection[@]}" "$@"; then
    failed+=("$leg")
  fi
  echo "=== $leg took $((SECONDS - start)) s"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED legs: ${failed[*]}"
  exit 1
fi
echo "All legs passed: $LEGS"
