#!/usr/bin/env bash
# Start a throw-away Nautobot on 127.0.0.1 for tests/collect/test_nautobot_live.py (opt-in; as root on Debian).
#   bash tests/collect/nautobot_server.sh start [DIR]   -> prints NETVET_NAUTOBOT_URL=... NETVET_NAUTOBOT_TOKEN=...
#   bash tests/collect/nautobot_server.sh stop [DIR]
# Needs: Debian packages postgresql and redis-server; Nautobot in its own virtualenv (DIR/venv, created here with
# `pip install nautobot`: its Django pins must not meet netvet's environment). Time on the 2-core machine:
# pip install ~1 min, `nautobot-server migrate` ~14 min (832 s measured), start-up ~30 s.
set -euo pipefail
cmd=${1:-start}
DIR=${2:-/tmp/netvet-nautobot}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGPORT=55432 REDISPORT=56379 WEBPORT=58080
TOKEN=${NETVET_NAUTOBOT_TOKEN:-0123456789abcdef0123456789abcdef0123abcd}
export NAUTOBOT_ROOT=$DIR/root NAUTOBOT_DB_HOST=127.0.0.1 NAUTOBOT_DB_PORT=$PGPORT NAUTOBOT_DB_USER=postgres \
  NAUTOBOT_DB_PASSWORD=unused NAUTOBOT_DB_NAME=nautobot NAUTOBOT_REDIS_HOST=127.0.0.1 NAUTOBOT_REDIS_PORT=$REDISPORT \
  NAUTOBOT_ALLOWED_HOSTS='*' NAUTOBOT_SECRET_KEY=netvet-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz
if [ "$cmd" = stop ]; then
  [ -f "$DIR/web.pid" ] && kill "$(cat "$DIR/web.pid")" 2>/dev/null || true
  redis-cli -p $REDISPORT shutdown nosave 2>/dev/null || true
  su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $DIR/pg stop -m fast" >/dev/null 2>&1 || true
  exit 0
fi
mkdir -p "$DIR"
[ -x "$DIR/venv/bin/nautobot-server" ] || { python3 -m venv "$DIR/venv" && "$DIR/venv/bin/pip" install -q nautobot; }
if [ ! -f "$DIR/pg/PG_VERSION" ]; then
  mkdir -p "$DIR/pg" && chown postgres "$DIR/pg"
  su postgres -s /bin/sh -c "$PGBIN/initdb -D $DIR/pg -A trust -U postgres" >/dev/null
fi
su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $DIR/pg -o '-p $PGPORT -k $DIR/pg -c listen_addresses=127.0.0.1' \
  -l $DIR/pg/pg.log start -w" >/dev/null
psql -h 127.0.0.1 -p $PGPORT -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='nautobot'" | grep -q 1 \
  || psql -h 127.0.0.1 -p $PGPORT -U postgres -c "CREATE DATABASE nautobot" >/dev/null
redis-server --port $REDISPORT --bind 127.0.0.1 --daemonize yes --save '' --appendonly no >/dev/null
[ -f "$NAUTOBOT_ROOT/nautobot_config.py" ] || "$DIR/venv/bin/nautobot-server" init >/dev/null
"$DIR/venv/bin/nautobot-server" migrate >"$DIR/migrate.log" 2>&1
"$DIR/venv/bin/nautobot-server" shell -c "
from nautobot.users.models import Token, User
u, _ = User.objects.get_or_create(username='netvet-test', defaults={'is_superuser': True, 'is_staff': True})
Token.objects.get_or_create(user=u, key='$TOKEN')
" >/dev/null
nohup "$DIR/venv/bin/nautobot-server" runserver 127.0.0.1:$WEBPORT --noreload --insecure >"$DIR/web.log" 2>&1 &
echo $! >"$DIR/web.pid"
for _ in $(seq 1 120); do
  curl -sf -H "Authorization: Token $TOKEN" "http://127.0.0.1:$WEBPORT/api/status/" >/dev/null && break
  sleep 1
done
echo "NETVET_NAUTOBOT_URL=http://127.0.0.1:$WEBPORT NETVET_NAUTOBOT_TOKEN=$TOKEN"
