#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the tests, as the unprivileged
# `postgres` user (PostgreSQL refuses to run as root), listening on
# 127.0.0.1 only, and prints the URL the tests read from
# WEIQUAN_TEST_POSTGRES:
#
#   export WEIQUAN_TEST_POSTGRES=$(scripts/postgres-test.sh)
#
# Every test makes a schema of its own in the one database, so the cluster
# is shared by all of them. It lives in /tmp/weiquan-postgres-test (or
# $PGTEST_DIR) and keeps running; a second call reuses it.
# `scripts/postgres-test.sh restart` restarts the running cluster (fast
# shutdown: open connections are cut), as scripts/cluster.py does.
set -euo pipefail
dir=${PGTEST_DIR:-/tmp/weiquan-postgres-test}
port=${PGTEST_PORT:-54329}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ]; then
  echo "PostgreSQL is not installed: apt-get install postgresql" >&2
  exit 1
fi
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
url="postgres://weiquan@127.0.0.1:$port/weiquan_test"
if [ "${1:-}" = restart ]; then
  as_postgres "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -s -m fast restart
  exit 0
fi
if ! as_postgres "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
  if [ ! -f "$dir/PG_VERSION" ]; then
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    as_postgres "$bin/initdb" -D "$dir" -U postgres -A trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  as_postgres "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -s \
    -o "-h 127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=off" start
  as_postgres "$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 <<SQL >/dev/null
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'weiquan') THEN CREATE ROLE weiquan LOGIN; END IF;
END \$\$;
SELECT 'CREATE DATABASE weiquan_test OWNER weiquan' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'weiquan_test')
\gexec
SQL
fi
echo "$url"
