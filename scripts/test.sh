#!/usr/bin/env bash
# The whole test suite: installs what is missing, then runs every test on SQLite and the
# database-facing tests again on a throwaway PostgreSQL server (and a Redis server for the scale-out tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export PATH="$PWD/.venv/bin:$PATH"

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
PG_DIR=$(mktemp -d /tmp/cliper-pg.XXXXXX)
free_port() { python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PG_PORT=$(free_port)
REDIS_PORT=$(free_port)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_servers() {
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" stop -m fast >/dev/null 2>&1 || true
  [ -f "$PG_DIR/redis.pid" ] && kill "$(cat "$PG_DIR/redis.pid")" 2>/dev/null || true
  rm -rf "$PG_DIR"
}
trap stop_servers EXIT
[ "$(id -u)" -eq 0 ] && chown postgres "$PG_DIR"
as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
  -o "-h 127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c full_page_writes=off" start >/dev/null
# A throwaway Redis for the scale-out tests (two workers on PostgreSQL + the Redis broker).
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --daemonize yes \
  --dir "$PG_DIR" --pidfile "$PG_DIR/redis.pid" --logfile "$PG_DIR/redis.log"
export CLIPER_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"

echo "== ruff: lint and format"
ruff check .
ruff format --check .

status=0
echo "== SQLite: the whole suite"
python -m pytest "$@" || status=$?
echo "== PostgreSQL $PG_PORT: model, queue and orchestration tests"
DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/cliper" python -m pytest -m postgres "$@" || status=$?
exit $status
