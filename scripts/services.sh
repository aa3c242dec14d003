#!/usr/bin/env bash
# services.sh: make sure the servers the integration tests use answer —
# Redis, PostgreSQL and MariaDB/MySQL at their usual addresses (or the
# APICRUD_TEST_* variables) — starting installed ones that are stopped — and a
# private 3-master Redis Cluster (ports 7000-7002) and Redis Sentinel setup
# (primaries 7010 and 7012, replicas 7011 and 7013, Sentinel 7020), started
# from the installed redis-server unless APICRUD_TEST_REDIS_CLUSTER and
# APICRUD_TEST_REDIS_SENTINEL point elsewhere. Those keep no data on disk; their
# working files live under $APICRUD_REDIS_DIR (default $TMPDIR/apicrud-redis).
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

# The private Redis Cluster and Sentinel servers. Already running and healthy
# means reused; anything else is (re)started from scratch, since they hold
# nothing but test keys.
redis_dir=${APICRUD_REDIS_DIR:-${TMPDIR:-/tmp}/apicrud-redis}
cluster_ports="7000 7001 7002"
sentinel_port=7020

rcli() { timeout 5 redis-cli -h 127.0.0.1 "$@" 2>/dev/null; }

start_node() { # port [extra redis-server arguments...]
  local port=$1; shift
  rcli -p "$port" shutdown nosave >/dev/null
  rm -rf "${redis_dir:?}/$port"
  mkdir -p "$redis_dir/$port" || return 1
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" \
    --appendonly no --dir "$redis_dir/$port" --logfile "$redis_dir/$port/redis.log" \
    --protected-mode no "$@" >/dev/null 9>&- || return 1 # the daemon must not keep the lock
  for _ in $(seq 1 50); do
    rcli -p "$port" ping | grep -q PONG && return 0
    sleep 0.1
  done
  return 1
}

cluster_ok() { rcli -p 7000 cluster info | grep -q 'cluster_state:ok'; }

start_cluster() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null || return 1
  local p addrs=()
  for p in $cluster_ports; do
    start_node "$p" --cluster-enabled yes --cluster-config-file nodes.conf \
      --cluster-node-timeout 2000 || return 1
    addrs+=("127.0.0.1:$p")
  done
  timeout 30 redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes >/dev/null 2>&1 || return 1
  for _ in $(seq 1 100); do cluster_ok && return 0; sleep 0.1; done
  return 1
}

# Two Sentinel groups: "apicrud" (7010 + replica 7011) for the conformance
# suites, and "apicrud-failover" (7012 + replica 7013) that the failover test
# may kill and restart without disturbing the others.
sentinel_ok() { # every group has a primary that answers, with its replica
  local g port
  for g in apicrud apicrud-failover; do
    port=$(rcli -p $sentinel_port sentinel get-master-addr-by-name "$g" | sed -n 2p)
    [ -n "$port" ] || return 1
    rcli -p "$port" info replication | grep -q 'connected_slaves:1' || return 1
  done
}

start_sentinel() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null || return 1
  start_node 7010 && start_node 7011 --replicaof 127.0.0.1 7010 || return 1
  start_node 7012 && start_node 7013 --replicaof 127.0.0.1 7012 || return 1
  rcli -p $sentinel_port shutdown nosave >/dev/null
  rm -rf "${redis_dir:?}/$sentinel_port"
  mkdir -p "$redis_dir/$sentinel_port" || return 1
  local conf=$redis_dir/$sentinel_port/sentinel.conf g p
  {
    echo "port $sentinel_port"
    echo "bind 127.0.0.1"
    echo "daemonize yes"
    echo "protected-mode no"
    echo "dir $redis_dir/$sentinel_port"
    echo "logfile $redis_dir/$sentinel_port/sentinel.log"
    for g in apicrud:7010 apicrud-failover:7012; do
      p=${g#*:} g=${g%%:*}
      echo "sentinel monitor $g 127.0.0.1 $p 1"
      echo "sentinel down-after-milliseconds $g 1000"
      echo "sentinel failover-timeout $g 5000"
    done
  } >"$conf"
  redis-server "$conf" --sentinel >/dev/null 9>&- || return 1
  for _ in $(seq 1 100); do sentinel_ok && return 0; sleep 0.1; done
  return 1
}

check_private() { # name ok-function start-function
  local name=$1 ok=$2 start=$3
  if $ok; then
    echo "services: $name answers"
  elif $start; then
    echo "services: started $name"
  elif [ "${CI:-}" = true ]; then
    echo "services: could not start $name (required under CI=true)" >&2
    failed=1
  else
    echo "services: could not start $name; tests that need it will be skipped" >&2
  fi
}

check Redis "$redis_hp" start_redis
# One services.sh at a time starts the private servers. The lock is taken
# only when one of them needs starting, and given up after two minutes
# (a daemon started by an older version of this script may hold it).
if { [ -z "${APICRUD_TEST_REDIS_CLUSTER:-}" ] && ! cluster_ok; } ||
  { [ -z "${APICRUD_TEST_REDIS_SENTINEL:-}" ] && ! sentinel_ok; }; then
  mkdir -p "$redis_dir" && exec 9>"$redis_dir/.lock" &&
    { flock -w 120 9 || echo "services: $redis_dir/.lock still held after 2 min; going on without it" >&2; }
fi
if [ -z "${APICRUD_TEST_REDIS_CLUSTER:-}" ]; then
  check_private "Redis Cluster (127.0.0.1:7000-7002)" cluster_ok start_cluster
fi
if [ -z "${APICRUD_TEST_REDIS_SENTINEL:-}" ]; then
  check_private "Redis Sentinel (127.0.0.1:$sentinel_port)" sentinel_ok start_sentinel
fi
check PostgreSQL "$pg_hp" start_postgres
check MariaDB "$mysql_hp" start_mysql
exit $failed
