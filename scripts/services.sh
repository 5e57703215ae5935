#!/usr/bin/env bash
# Install and start what the tests talk to, when it is not already there (safe to run again):
#   - Debian packages when missing: python3-venv, redis-server, postgresql, clamav-daemon, chromium;
#   - Redis on 127.0.0.1:6379;
#   - PostgreSQL on 127.0.0.1:5432 with user `postgres` trusted from 127.0.0.1 and a database
#     `test` (a cluster is created when the machine has none).
# Needs root or sudo only when something must be installed or configured.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

pg_bin_dir() { { ls -d /usr/lib/postgresql/*/bin 2>/dev/null || true; } | sort -V | tail -1; }

need_apt=()
python3 -c "import ensurepip" >/dev/null 2>&1 || need_apt+=(python3-venv)
command -v redis-server >/dev/null || need_apt+=(redis-server)
if ! command -v pg_ctlcluster >/dev/null || ! command -v pg_isready >/dev/null || [ -z "$(pg_bin_dir)" ]; then
  need_apt+=(postgresql)
fi
command -v clamd >/dev/null || [ -x /usr/sbin/clamd ] || need_apt+=(clamav-daemon)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
# clamav-daemon's package may start a system clamd/freshclam; the tests run their own.

# ------------------------------------------------------------------ Redis
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting redis-server on 127.0.0.1:6379"
  mkdir -p /tmp/hubjobs-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp/hubjobs-redis --logfile /tmp/hubjobs-redis/redis.log
  for _ in $(seq 1 50); do redis-cli -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

# ------------------------------------------------------------------ PostgreSQL
if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  version="$(basename "$(dirname "$(pg_bin_dir)")")"
  if [ ! -d "/etc/postgresql/$version/main" ]; then
    # A machine with the server package but no cluster (or the package just installed without one).
    echo "creating PostgreSQL $version cluster 'main' on port 5432"
    $SUDO pg_createcluster "$version" main --port 5432 >/dev/null
  fi
  echo "starting PostgreSQL $version on 127.0.0.1:5432"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 100); do pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && break; sleep 0.1; done
fi
pg_isready -h 127.0.0.1 -p 5432 >/dev/null || { echo "PostgreSQL is not answering on 127.0.0.1:5432" >&2; exit 1; }

# The tests connect as `postgres` from 127.0.0.1 without a password: trust that one address
# (Debian's default asks for a password) when it is refused, then reload the server.
if ! psql -h 127.0.0.1 -U postgres -d postgres -w -tAc "SELECT 1" >/dev/null 2>&1; then
  hba="$({ ls /etc/postgresql/*/main/pg_hba.conf 2>/dev/null || true; } | sort -V | tail -1)"
  if [ -z "$hba" ]; then
    echo "cannot connect as postgres to 127.0.0.1:5432 and found no pg_hba.conf to allow it" >&2
    exit 1
  fi
  echo "trusting user postgres from 127.0.0.1 in $hba (for the tests)"
  # Prepend: the first matching line wins.
  $SUDO sed -i '1i host all postgres 127.0.0.1/32 trust  # added by scripts/services.sh for the tests' "$hba"
  version="$(basename "$(dirname "$(dirname "$hba")")")"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  for _ in $(seq 1 50); do
    psql -h 127.0.0.1 -U postgres -d postgres -w -tAc "SELECT 1" >/dev/null 2>&1 && break; sleep 0.1
  done
fi
psql -h 127.0.0.1 -U postgres -d postgres -w -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -d postgres -w -c "CREATE DATABASE test" >/dev/null
