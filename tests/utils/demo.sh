#!/usr/bin/env bash
# The demo: one token for many hosts.
#  - Without ONELOGIN_CLIENT_ID/ONELOGIN_CLIENT_SECRET in the environment it starts the bundled
#    OneLogin emulator on 127.0.0.1 and points the playbook at it.
#  - With them (plus ONELOGIN_SUBDOMAIN or ONELOGIN_API_URL), the same playbook runs against your
#    tenant; the credential needs a scope that may read users.
# Knobs: DEMO_HOSTS (default 40), DEMO_FORKS (default 10), ONELOGIN_TOKEN_API (v2 or v1).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HOSTS=${DEMO_HOSTS:-40}
FORKS=${DEMO_FORKS:-10}
VENV=$(bash "$ROOT/tests/utils/venv.sh" "${SSO_ONELOGIN_DEMO_LEG:-core-2.21}")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sso-onelogin-demo.XXXXXX")
EMULATOR_PID=
cleanup() {
  if [ -n "$EMULATOR_PID" ]; then kill "$EMULATOR_PID" 2>/dev/null || true; wait "$EMULATOR_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# The collection, as Ansible expects to find it: <path>/ansible_collections/sso/onelogin. With
# SSO_ONELOGIN_COLLECTIONS_PATH (an installed copy, as the artifact gate of make test uses) the
# playbook is the copy's own sso.onelogin.demo, else this checkout's playbooks/demo.yml.
if [ -n "${SSO_ONELOGIN_COLLECTIONS_PATH:-}" ]; then
  export ANSIBLE_COLLECTIONS_PATH="$SSO_ONELOGIN_COLLECTIONS_PATH"
  PLAYBOOK=sso.onelogin.demo
else
  mkdir -p "$WORK/collections/ansible_collections/sso"
  ln -s "$ROOT" "$WORK/collections/ansible_collections/sso/onelogin"
  export ANSIBLE_COLLECTIONS_PATH="$WORK/collections"
  PLAYBOOK="$ROOT/playbooks/demo.yml"
fi

{
  echo "[all]"
  for i in $(seq 1 "$HOSTS"); do printf 'node%03d\n' "$i"; done
  printf '\n[all:vars]\nansible_connection=local\nansible_python_interpreter="{{ ansible_playbook_python }}"\n'
} > "$WORK/inventory.ini"

if [ -z "${ONELOGIN_CLIENT_ID:-}" ] || [ -z "${ONELOGIN_CLIENT_SECRET:-}" ]; then
  MODE=emulator
  export ONELOGIN_CLIENT_ID="demo-client"
  ONELOGIN_CLIENT_SECRET="demo-$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(16))')"
  export ONELOGIN_CLIENT_SECRET
  "$VENV/bin/python" "$ROOT/tests/emulator/onelogin_emulator.py" --max-runtime 3600 \
      --port-file "$WORK/emulator.port" > "$WORK/emulator.url" 2>"$WORK/emulator.log" &
  EMULATOR_PID=$!
  for _ in $(seq 1 100); do [ -s "$WORK/emulator.url" ] && break; sleep 0.1; done
  ONELOGIN_API_URL=$(head -n 1 "$WORK/emulator.url")
  [ -n "$ONELOGIN_API_URL" ] || { echo "The emulator did not start:"; cat "$WORK/emulator.log"; exit 1; }
  export ONELOGIN_API_URL
  echo "Started the OneLogin emulator at $ONELOGIN_API_URL"
else
  MODE=tenant
  echo "Using your OneLogin tenant (ONELOGIN_* variables)"
fi

echo "Running $PLAYBOOK on $HOSTS hosts with $FORKS forks (token API ${ONELOGIN_TOKEN_API:-v2}) ..."
ANSIBLE_NOCOLOR=1 "$VENV/bin/ansible-playbook" -i "$WORK/inventory.ini" --forks "$FORKS" \
    "$PLAYBOOK" | tee "$WORK/play.log" | grep -E '^(PLAY|TASK|fatal|ERROR)|hosts served|exchanges made|expires at' || true
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] || { echo "The playbook failed (exit $status):"; tail -n 30 "$WORK/play.log"; exit "$status"; }

echo
echo "== Summary ($MODE)"
echo "hosts in the play: $HOSTS"
if [ "$MODE" = emulator ]; then
  "$VENV/bin/python" - "$ONELOGIN_API_URL" <<'PY'
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + '/__emulator__/stats', timeout=10) as answer:
    stats = json.load(answer)
print('hosts served (API calls answered 200): %d' % stats['api_200'])
print('API calls rejected (401): %d' % stats['api_401'])
print('token exchanges that reached OneLogin: %d' % stats['exchanges'])
PY
else
  grep -E 'hosts served|exchanges made' "$WORK/play.log" | sed 's/^ *"//; s/",\{0,1\}$//'
fi
