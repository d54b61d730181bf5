#!/usr/bin/env bash
# The benchmark (docs/performance.md): make sure the bench environment exists (ansible-core as in
# the newest test leg, plus matplotlib for the charts and pyinstrument for profiling), then run
# benchmarks/run.py in it with the given arguments.
# Usage: tests/utils/bench.sh [run.py args...]   e.g. --sizes full --check  |  --sizes smoke --pairs 1 --check
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=$(bash "$ROOT/tests/utils/venv.sh" bench)
"$VENV/bin/python" -c 'import matplotlib' 2>/dev/null || {
  echo "bench.sh: matplotlib is missing from $VENV; remove that folder and run again" >&2; exit 1; }
cd "$ROOT"
exec "$VENV/bin/python" benchmarks/run.py "$@"
