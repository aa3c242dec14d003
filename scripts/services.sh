#!/usr/bin/env bash
# services.sh: make sure the servers the integration tests use answer —
# Redis, PostgreSQL and MariaDB/MySQL at the addresses of DESIGN.md (or the
# APICRUD_TEST_* variables) — starting installed ones that are stopped.
# Under CI=true a server that still does not answer fails the run, naming it;
# elsewhere it is reported and the tests that need it skip themselves.
set -u

redis_addr=${APICRUD_TEST_REDIS:-127.0.0.1:6379}
pg_url=${APICRUD_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
mysql_dsn=${APICRUD_TEST_MYSQL:-root@tcp(127.0.0.1:3306)/test}

# host:port of each server.
redis_hp=$redis_addr
pg_hp=$(sed -E 's#^[a-z]+://([^@/]*@)?([^/?]+).*#\2#' <<<"$pg_url")
mysql_hp=$(sed -E 's#^.*tcp\(([^)]+)\).*#\1#' <<<"$mysql_dsn")
case $pg_hp in *:*) ;; *) pg_hp=$pg_hp:5432 ;; esac
case $mysql_hp in *:*) ;; *) mysql_hp=$mysql_hp:3306 ;; esac

answers() { # host:port
  local host=${1%:*} port=${1##*:}
  timeout 2 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
}

is_local() { case ${1%:*} in 127.*|localhost|::1|\[::1\]) return 0 ;; esac; return 1; }

start_redis() {
  command -v redis-server >/dev/null || return 1
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "${redis_hp##*:}" --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null
}

start_postgres() {
  command -v pg_ctlcluster >/dev/null || return 1
  local v
  v=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
  [ -n "$v" ] || return 1
  pg_ctlcluster --skip-systemctl-redirect "$v" main start >/dev/null 2>&1
}

start_mysql() {
  local bin
  bin=$(command -v mariadbd || command -v mysqld || ls /usr/sbin/mariadbd /usr/sbin/mysqld 2>/dev/null | head -1)
  [ -n "$bin" ] || return 1
  start-stop-daemon --start --oknodo --background --exec "$bin" >/dev/null 2>&1
}

failed=0
check() { # name host:port start-function
  local name=$1 hp=$2 start=$3
  if answers "$hp"; then
    echo "services: $name answers at $hp"
    return
  fi
  if is_local "$hp" && $start; then
    for _ in $(seq 1 30); do
      answers "$hp" && { echo "services: started $name at $hp"; return; }
      sleep 1
    done
  fi
  if [ "${CI:-}" = true ]; then
    echo "services: $name does not answer at $hp (required under CI=true)" >&2
    failed=1
  else
    echo "services: $name does not answer at $hp; tests that need it will be skipped" >&2
  fi
}

check Redis "$redis_hp" start_redis
check PostgreSQL "$pg_hp" start_postgres
check MariaDB "$mysql_hp" start_mysql
exit $failed
