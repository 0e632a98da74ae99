#!/usr/bin/env bash
# Installs (or upgrades) shardwise-agent as a systemd service on Raspberry Pi OS / Debian (arm64).
# Run as root from a checkout of the repository:   sudo deploy/install-pi.sh
# Idempotent: re-running upgrades the code and the unit, and never overwrites agent.yaml or agent.env.
# Steps and their reasons: docs/raspberry-pi.md.
set -euo pipefail

PREFIX=/opt/shardwise
CONF_DIR=/etc/shardwise
STATE_DIR=/var/lib/shardwise
UNIT=/etc/systemd/system/shardwise-agent.service
SRC="$(cd "$(dirname "$0")/.." && pwd)"

die() { echo "install-pi: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (sudo $0)"
command -v node >/dev/null || die "Node.js 20 or newer is required (from your distribution or the official binaries)"
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
[ "$NODE_MAJOR" -ge 20 ] || die "Node.js $(node --version) found; 20 or newer is required"
command -v npm >/dev/null || die "npm is required"
[ -f "$SRC/package-lock.json" ] || die "run from a checkout of the repository ($SRC has no package-lock.json)"
command -v systemd-notify >/dev/null || echo "install-pi: note: systemd-notify not found; edit the unit to Type=simple and remove WatchdogSec=" >&2

# 1. A system user without a login shell or home directory of its own.
if ! id shardwise >/dev/null 2>&1; then
  useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home --shell /usr/sbin/nologin shardwise
fi

# 2. The code in /opt/shardwise (owned by root: the service cannot modify itself).
install -d -m 0755 "$PREFIX"
for item in agent bench docs deploy package.json package-lock.json tsconfig.json README.md LICENSE; do
  [ -e "$SRC/$item" ] || continue
  rm -rf "${PREFIX:?}/$item"
  cp -a "$SRC/$item" "$PREFIX/"
done
chown -R root:root "$PREFIX"
(cd "$PREFIX" && npm ci --omit=dev --no-audit --no-fund && npm run build)

# 3. Configuration: an example to start from, and a root-only file for secrets.
install -d -m 0750 -o root -g shardwise "$CONF_DIR"
if [ ! -e "$CONF_DIR/agent.yaml" ]; then
  install -m 0640 -o root -g shardwise "$SRC/deploy/examples/minimal.yaml" "$CONF_DIR/agent.yaml"
  echo "install-pi: wrote $CONF_DIR/agent.yaml from deploy/examples/minimal.yaml: edit it"
fi
if [ ! -e "$CONF_DIR/agent.env" ]; then
  install -m 0600 -o root -g root /dev/null "$CONF_DIR/agent.env"
  printf '%s\n' '# Read by systemd (as root) before the agent starts; referenced as ${VAR} in agent.yaml.' \
    '# AWS_ACCESS_KEY_ID=...' '# AWS_SECRET_ACCESS_KEY=...' '# MQTT_PASSWORD=...' >"$CONF_DIR/agent.env"
fi

# 4. The unit.
install -m 0644 "$SRC/deploy/shardwise-agent.service" "$UNIT"
systemctl daemon-reload
if command -v systemd-analyze >/dev/null; then systemd-analyze verify "$UNIT"; fi

# 5. Check the configuration as the service user, then enable and (re)start.
# (agent.env is loaded as systemd would, so ${VAR} references resolve; simple KEY=VALUE lines only.)
if (set -a; . "$CONF_DIR/agent.env"; set +a
    runuser -u shardwise -- /usr/bin/env node "$PREFIX/dist/shardwise-agent.mjs" --config "$CONF_DIR/agent.yaml" --check >/dev/null); then
  systemctl enable shardwise-agent.service
  systemctl restart shardwise-agent.service
  echo "install-pi: running. Check: curl -s 127.0.0.1:9464/healthz ; journalctl -u shardwise-agent -f"
else
  echo "install-pi: $CONF_DIR/agent.yaml does not validate (see above); fix it, then: systemctl enable --now shardwise-agent" >&2
  exit 2
fi
