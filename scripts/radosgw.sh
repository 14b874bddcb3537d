#!/usr/bin/env bash
# A throwaway single-node Ceph (1 monitor, 1 in-memory OSD, no manager, no auth) with radosgw on 127.0.0.1, for
# running the test suites against a real S3 implementation whose conditional writes are atomic (checked inside
# RADOS). Nothing here is fit for production.
#
#   scripts/radosgw.sh install        apt-get the Debian packages if missing (root)
#   scripts/radosgw.sh start [PORT]   start it (default port 7480; "auto": free ports for radosgw and the
#                                     monitor); prints the environment the tests read
#   scripts/radosgw.sh stop           stop it and remove its data
#   scripts/radosgw.sh env [PORT]     print the environment the tests read
#
# State lives in $S3LOCK_RADOSGW_DIR (default ${TMPDIR:-/tmp}/s3lock-radosgw); the monitor listens on
# $S3LOCK_RADOSGW_MON_PORT (default 6789). Clients must use path-style
# addressing, checksums only when required, and unquoted ETags in If-Match (radosgw 16); s3-lock's probe
# detects the last one by itself.
set -euo pipefail

DIR=${S3LOCK_RADOSGW_DIR:-${TMPDIR:-/tmp}/s3lock-radosgw}
MON_PORT=${S3LOCK_RADOSGW_MON_PORT:-6789}
ACCESS_KEY=s3lock-test
# A throwaway key for a loopback-only test server that lives for one run; not a credential.
SECRET_KEY=s3lock-test-secret

install() {
  if command -v radosgw >/dev/null && command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null; then
    return
  fi
  echo "installing Ceph (ceph-mon ceph-osd radosgw ceph-common) from Debian..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends ceph-mon ceph-osd radosgw ceph-common >/dev/null
}

print_env() {
  local port=$1
  echo "export S3LOCK_RADOSGW_ENDPOINT=http://127.0.0.1:$port"
  echo "export S3LOCK_RADOSGW_REGION=us-east-1"
  echo "export S3LOCK_RADOSGW_PATH_STYLE=true"
  echo "export S3LOCK_RADOSGW_ACCESS_KEY_ID=$ACCESS_KEY"
  echo "export S3LOCK_RADOSGW_SECRET_ACCESS_KEY=$SECRET_KEY"
}

stop() {
  for daemon in client.rgw.a osd.0 mon.a; do
    local pidfile=$DIR/run/$daemon.pid
    if [ -f "$pidfile" ]; then
      local pid
      pid=$(cat "$pidfile")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$DIR"
}

# A second cluster on the same monitor port answers our `ceph` calls with its own fsid (exit 250, "wrong fsid"),
# so refuse to start beside anything already listening instead of failing half-way.
require_free_port() {
  if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
    echo "port $1 on 127.0.0.1 is already in use (another radosgw or Ceph monitor?); stop it, or choose other" \
      "ports with RADOSGW_PORT / S3LOCK_RADOSGW_MON_PORT" >&2
    exit 1
  fi
}

start() {
  local port=$1
  install
  stop
  if [ "$port" = auto ]; then
    # Two free loopback ports, held open together so that they differ.
    read -r port MON_PORT < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
  fi
  require_free_port "$MON_PORT"
  require_free_port "$port"
  mkdir -p "$DIR"/{run,log,mon.a,osd0,rgw}
  cd "$DIR"
  local fsid
  fsid=$(cat /proc/sys/kernel/random/uuid)
  cat > ceph.conf <<CONF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$MON_PORT
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon max pg per osd = 1000
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
ms bind ipv6 = false
ms bind msgr2 = false
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
pid file = $DIR/run/\$name.pid
keyring = $DIR/keyring
osd objectstore = memstore
memstore device bytes = 1073741824
osd data = $DIR/osd\$id
mon data = $DIR/mon.\$id
osd max object name len = 256
osd max object namespace len = 64
# The OSD's own crush updates at start-up are mon commands that sometimes leave before it has the monmap; the
# monitor then refuses them ("wrong fsid"), the OSD's init fails and ceph-osd exits 250 (1 start in 4 on this
# machine kind). The script places the OSD in the crush map itself instead.
osd crush update on start = false
osd class update on start = false
[client.rgw.a]
# Without tcp_nodelay every small request waits ~45 ms for Nagle.
rgw frontends = beast endpoint=127.0.0.1:$port tcp_nodelay=1
rgw data = $DIR/rgw
debug rgw = 0
CONF
  ceph-authtool --create-keyring keyring --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool keyring --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' >/dev/null
  monmaptool --create --addv a "[v1:127.0.0.1:$MON_PORT]" --fsid "$fsid" monmap >/dev/null
  ceph-mon -c ceph.conf --mkfs -i a --monmap monmap --keyring keyring
  ceph-mon -c ceph.conf -i a
  local osd_uuid id
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  id=$(ceph -c ceph.conf osd new "$osd_uuid")
  ceph -c ceph.conf osd crush add "osd.$id" 1.0 root=default host=localhost >/dev/null
  ceph-osd -c ceph.conf -i "$id" --mkfs --osd-uuid "$osd_uuid" 2>/dev/null
  ceph-osd -c ceph.conf -i "$id" 2>/dev/null
  radosgw -c ceph.conf -n client.rgw.a
  local code=000
  for _ in $(seq 1 600); do
    code=$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$port/" || true)
    [ "$code" != "000" ] && break
    sleep 0.1
  done
  if [ "$code" = "000" ]; then
    echo "radosgw did not answer on 127.0.0.1:$port; see $DIR/log" >&2
    exit 1
  fi
  radosgw-admin -c ceph.conf user create --uid=s3lock --display-name=s3lock \
    --access-key="$ACCESS_KEY" --secret="$SECRET_KEY" >/dev/null
  echo "radosgw up on 127.0.0.1:$port" >&2
  print_env "$port"
}

case "${1:-}" in
  install) install ;;
  start) start "${2:-7480}" ;;
  stop) stop ;;
  env) print_env "${2:-7480}" ;;
  *) echo "usage: $0 install|start [PORT]|stop|env [PORT]" >&2; exit 2 ;;
esac
