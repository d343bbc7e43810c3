#!/usr/bin/env bash
# The whole test suite: installs what is missing, then runs every test on SQLite and the
# database-facing tests again on a throwaway PostgreSQL server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export PATH="$PWD/.venv/bin:$PATH"

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
PG_DIR=$(mktemp -d /tmp/cliper-pg.XXXXXX)
PG_PORT=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_pg() { as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" stop -m fast >/dev/null 2>&1 || true; rm -rf "$PG_DIR"; }
trap stop_pg EXIT
[ "$(id -u)" -eq 0 ] && chown postgres "$PG_DIR"
as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
  -o "-h 127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c full_page_writes=off" start >/dev/null

echo "== ruff: lint and format"
ruff check .
ruff format --check .

status=0
echo "== SQLite: the whole suite"
python -m pytest "$@" || status=$?
echo "== PostgreSQL $PG_PORT: model, queue and orchestration tests"
DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/cliper" python -m pytest -m postgres "$@" || status=$?
exit $status
