#!/usr/bin/env bash
# Checks a rct2mqtt systemd unit: the directives the service depends on are present,
# `systemd-analyze verify` prints nothing (it tolerates unknown keys with a warning only, so any
# output fails), and `systemd-analyze security --offline=true` rates the exposure 2.0 or better.
#
#   tests/package/check_unit.sh UNIT [EXECUTABLE]
#
# EXECUTABLE: verify as if ExecStart named this file instead of /usr/bin/rct2mqtt (the repository's
# unit, checked before the package installs /usr/bin/rct2mqtt). Without it the unit is verified as
# installed.
set -euo pipefail
unit=${1:?usage: check_unit.sh UNIT [EXECUTABLE]}
executable=${2:-}
command -v systemd-analyze >/dev/null || { echo "systemd-analyze is missing (package systemd)" >&2; exit 1; }

failed=0
required=(
  'Type=notify'
  'ExecStart=/usr/bin/rct2mqtt -c /etc/rct2mqtt/rct2mqtt.toml'
  'ExecReload=/bin/kill -HUP $MAINPID'
  'Restart=on-failure'
  'RestartPreventExitStatus=78'
  'WatchdogSec=30s'
  'StartLimitIntervalSec=300'
  'StartLimitBurst=5'
  'User=rct2mqtt'
  'Group=rct2mqtt'
  'StateDirectory=rct2mqtt'
  'NoNewPrivileges=yes'
  'CapabilityBoundingSet='
  'ProtectSystem=strict'
  'ProtectHome=yes'
  'PrivateTmp=yes'
  'PrivateDevices=yes'
  'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX'
  'SystemCallFilter=@system-service'
  'MemoryDenyWriteExecute=yes'
  'WantedBy=multi-user.target'
)
for line in "${required[@]}"; do
  if ! grep -qxF -- "$line" "$unit"; then
    echo "$unit: missing the line '$line'" >&2
    failed=1
  fi
done
# The start limit belongs in [Unit]: systemd 252 ignores it (with a warning) in [Service].
if ! awk '/^\[/{section=$0} /^StartLimit/{if (section != "[Unit]") bad=1} END{exit bad}' "$unit"; then
  echo "$unit: StartLimit*= must be in [Unit]" >&2
  failed=1
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
checked=$dir/$(basename "$unit")
if [ -n "$executable" ]; then
  sed "s|^ExecStart=/usr/bin/rct2mqtt |ExecStart=$executable |" "$unit" >"$checked"
else
  cp "$unit" "$checked"
fi

output=$(systemd-analyze verify "$checked" 2>&1) || true
if [ -n "$output" ]; then
  printf 'systemd-analyze verify %s:\n%s\n' "$unit" "$output" >&2
  failed=1
fi

if ! output=$(systemd-analyze security --offline=true --threshold=20 "$checked" 2>&1); then
  printf '%s\n' "$output" | grep -v '^ *✓' >&2
  echo "$unit: exposure above 2.0 (systemd-analyze security --threshold=20)" >&2
  failed=1
fi
score=$(printf '%s\n' "$output" | grep -o 'Overall exposure level for .*' || true)

[ "$failed" -eq 0 ] || exit 1
echo "$unit: ${#required[@]} required directives, verify silent, ${score:-no exposure line}"
