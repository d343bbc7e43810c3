#!/usr/bin/env bash
# Installs what is missing, prepares the database, and runs the web server + worker.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PY=.venv/bin/python
$PY manage.py migrate --noinput -v 0
$PY manage.py collectstatic --noinput -v 0
$PY manage.py ensure_admin
exec $PY manage.py serve "$@"
