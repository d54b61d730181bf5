#!/usr/bin/env bash
# The whole test suite: unit and integration tests (pytest) on every ansible-core leg.
# Usage: tests/utils/run-tests.sh [pytest args...]
# Legs: $SSO_ONELOGIN_LEGS (default: "core-2.16 core-2.21", one on each side of the 2.19 templating change).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
LEGS=${SSO_ONELOGIN_LEGS:-core-2.16 core-2.21}
failed=()
for leg in $LEGS; do
  venv=$(bash tests/utils/venv.sh "$leg")
  echo "=== $leg: $("$venv/bin/ansible" --version | head -n 1), $("$venv/bin/python" --version)"
  if ! "$venv/bin/python" -m pytest "$@"; then
    failed+=("$leg")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED legs: ${failed[*]}"
  exit 1
fi
echo "All legs passed: $LEGS"
