#!/usr/bin/env bash
# Tests the built .deb on this machine, without a running systemd (docs/packaging.md §7):
#   1. archive contents, control data (Depends covers every library the daemon links), conffiles,
#      lintian without errors
#   2. dpkg -i: service user, conffile owner and mode, enable link, installed unit (verify,
#      security), --check-config on the installed configuration
#   3. the installed daemon as the service user against the installed `rctclient simulator` and a
#      Mosquitto on a free loopback port: a value topic arrives, a clean stop publishes offline
#   4. upgrades keep an edited conffile (reinstall; a newer version with a changed conffile and
#      --force-confold)
#   5. dpkg --purge leaves no user, state, configuration, binaries or enable links
#
#   tests/package/package_test.sh [DEB]    (default build/packages/rct2mqtt_<version>_<arch>.deb)
#
# It installs and purges the package, so it needs root and a machine where rct2mqtt is not in use:
# exit 77 (skipped) when not root or when rct2mqtt (package or user) already exists; 0 = passed.
set -euo pipefail
cd "$(dirname "$0")/../.."

skip() { echo "SKIPPED: package tests: $*"; exit 77; }
fail() { echo "FAILED: package tests: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

[ "$(id -u)" -eq 0 ] || skip "they install the package and need root"
if dpkg-query -W -f='${Status}' rct2mqtt 2>/dev/null | grep -qv 'not-installed$' ||
   getent passwd rct2mqtt >/dev/null || getent group rct2mqtt >/dev/null ||
   [ -e /etc/rct2mqtt ] || [ -e /var/lib/rct2mqtt ]; then
  skip "rct2mqtt (package, configuration, state, user or group) exists here and would be purged"
fi

arch=$(dpkg --print-architecture)
version=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)
deb=${1:-build/packages/rct2mqtt_${version}_${arch}.deb}
[ -f "$deb" ] || fail "no package $deb (build it with: bash scripts/package.sh)"
changes=${deb%.deb}.changes
conffile=/etc/rct2mqtt/rct2mqtt.toml
state=/var/lib/rct2mqtt
export DEBIAN_FRONTEND=noninteractive

tmp=$(mktemp -d)
chmod 0755 "$tmp"
# A unit of the same name in /etc or /usr/local (an admin's copy, a `cmake --install`) shadows the
# package's: deb-systemd-helper would enable that one. Set aside for the test, restored after.
shadows=()
for unit in /etc/systemd/system/rct2mqtt.service /usr/local/lib/systemd/system/rct2mqtt.service; do
  if [ -e "$unit" ] || [ -L "$unit" ]; then
    mkdir -p "$tmp/shadows$(dirname "$unit")"
    mv "$unit" "$tmp/shadows$unit"
    shadows+=("$unit")
    echo "note: $unit would shadow the package's unit; set aside until the test ends"
  fi
done
pids=()
cleanup() {
  local rc=$?
  trap - EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if dpkg-query -W -f='${Status}' rct2mqtt 2>/dev/null | grep -qv 'not-installed'; then
    dpkg --purge rct2mqtt >/dev/null 2>&1 || true
  fi
  getent passwd rct2mqtt >/dev/null && userdel rct2mqtt 2>/dev/null
  getent group rct2mqtt >/dev/null && groupdel rct2mqtt 2>/dev/null
  for unit in "${shadows[@]}"; do mv "$tmp/shadows$unit" "$unit"; done
  rm -rf "$tmp" "$state" /etc/rct2mqtt
  exit $rc
}
trap cleanup EXIT

# Polls until "$@" succeeds or $1 seconds pass.
wait_for() {
  local seconds=$1; shift
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
exited() { ! kill -0 "$1" 2>/dev/null; }

echo "-- 1. archive: $deb"
dpkg-deb -x "$deb" "$tmp/root"
dpkg-deb -e "$deb" "$tmp/control"
unit_path=lib/systemd/system/rct2mqtt.service
[ -e "$tmp/root/$unit_path" ] || unit_path=usr/lib/systemd/system/rct2mqtt.service
# The HTTP module of the metrics endpoint, loaded only with [metrics] (docs/architecture.md §9).
module=./usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/rct2mqtt/rct2mqtt-http.so
expected=$(printf '%s\n' ./etc/rct2mqtt/rct2mqtt.toml "./$unit_path" ./usr/bin/rct2mqtt "$module" \
  ./usr/bin/rctclient ./usr/share/doc/rct2mqtt/README.md ./usr/share/doc/rct2mqtt/changelog.gz \
  ./usr/share/doc/rct2mqtt/copyright ./usr/share/doc/rct2mqtt/examples/rct2mqtt.toml \
  ./usr/share/lintian/overrides/rct2mqtt ./usr/share/man/man1/rctclient.1.gz \
  ./usr/share/man/man8/rct2mqtt.8.gz $(printf './usr/share/doc/rct2mqtt/%s ' docs/*.md) \
  $(cd examples && find . -type f | sed 's|^\./|./usr/share/doc/rct2mqtt/examples/|') | sort)
listing=$(dpkg-deb -c "$deb")
actual=$(awk '$1 !~ /^d/ {print $6}' <<<"$listing" | sort)
[ "$actual" = "$expected" ] ||
  fail "files in the package differ from the expected set:
$(diff <(echo "$expected") <(echo "$actual") || true)"
ok "files: $(echo "$actual" | wc -l) as expected"
grep -Eq '^-rw-r----- root/root .* \./etc/rct2mqtt/rct2mqtt\.toml$' <<<"$listing" ||
  fail "the configuration is not 0640 root in the archive"
grep -Eq '^-rwxr-xr-x root/root .* \./usr/bin/rct2mqtt$' <<<"$listing" ||
  fail "/usr/bin/rct2mqtt is not 0755 root"
for f in usr/bin/rct2mqtt usr/bin/rctclient "$module"; do
  ! grep -Eq '\.(debug_info|symtab) ' <<<"$(readelf -S "$tmp/root/$f")" || fail "/${f#./} is not stripped"
done
ok "modes: configuration 0640, executables 0755, executables and module stripped"

field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = rct2mqtt ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version), changelog says $version"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture: $(field Architecture), not $arch"
depends=$(field Depends)
depends_names=" $(echo "$depends" | sed 's/([^)]*)//g; s/[,|]/ /g' | tr -s ' ') "
[[ $depends_names == *" adduser "* ]] || fail "Depends lacks adduser: $depends"
# Every library the executables and the module link directly (DT_NEEDED, resolved here by ldd) must come from a
# package in Depends.
needed=()
for f in usr/bin/rct2mqtt usr/bin/rctclient "$module"; do
  resolved=$(ldd "$tmp/root/$f")
  for soname in $(readelf -d "$tmp/root/$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
    lib=$(awk -v s="$soname" '$1 == s && $2 == "=>" {print $3}' <<<"$resolved")
    [ -n "$lib" ] || fail "/${f#./} needs $soname, which does not resolve here"
    needed+=("$lib")
  done
done
for lib in $(printf '%s\n' "${needed[@]}" | sort -u); do
  # dpkg knows a library by one of its /lib and /usr/lib (usrmerge) names.
  real=$(readlink -f "$lib")
  owner=$(dpkg -S "$real" 2>/dev/null || dpkg -S "${real#/usr}" 2>/dev/null || true)
  owner=${owner%%: *}      # "libfmt9:amd64: /usr/lib/..." -> "libfmt9:amd64"
  [ -n "$owner" ] || fail "no package owns $lib ($real)"
  # The library's package, or a name it provides (libspdlog1.10 provides libspdlog1.10-fmt9).
  names="${owner%%:*} $(dpkg-query -W -f='${Provides}\n' "$owner" | sed 's/([^)]*)//g; s/,/ /g')"
  found=false
  for name in $names; do [[ $depends_names == *" $name "* ]] && found=true; done
  $found || fail "Depends lacks ${owner%%:*} (for $lib): $depends"
done
ok "control: rct2mqtt $version $arch; Depends: $depends"
grep -qx "$conffile" "$tmp/control/conffiles" || fail "$conffile is not a conffile"
ok "conffiles: $(tr '\n' ' ' <"$tmp/control/conffiles")"

# Lintian runs unprivileged (it unpacks what it checks) on copies in the temporary directory: the
# .changes with every .deb it lists (rct2mqtt, rct2mqtt-dbgsym), else the .deb alone.
mkdir "$tmp/lintian"
if [ -f "$changes" ]; then
  cp "$changes" "$(dirname "$deb")"/*_"${version}_${arch}".{deb,buildinfo} "$tmp/lintian/"
  lintian_target=$tmp/lintian/$(basename "$changes")
else
  cp "$deb" "$tmp/lintian/"
  lintian_target=$tmp/lintian/$(basename "$deb")
fi
chmod -R a+rX "$tmp/lintian"
if ! lintian_out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$tmp/lintian" \
                   TMPDIR="$tmp/lintian" lintian --fail-on error --tag-display-limit 0 \
                   "$lintian_target" 2>&1); then
  printf '%s\n' "$lintian_out" >&2
  fail "lintian reports errors"
fi
ok "lintian: no errors ($(printf '%s\n' "$lintian_out" | grep -c '^W:' || true) warnings)"
printf '%s\n' "$lintian_out" | grep -E '^[WEI]:' | sed 's/^/   /' || true

echo "-- 2. install"
dpkg -i "$deb" >"$tmp/dpkg-install.log" 2>&1 || { cat "$tmp/dpkg-install.log"; fail "dpkg -i failed"; }
[ "$(dpkg-query -W -f='${Status}' rct2mqtt)" = "install ok installed" ] || fail "not installed"
IFS=: read -r _ _ uid gid _ home shell < <(getent passwd rct2mqtt) || fail "no user rct2mqtt"
[ "$uid" -lt 1000 ] || fail "rct2mqtt is not a system user (uid $uid)"
[ "$(getent group rct2mqtt | cut -d: -f3)" = "$gid" ] || fail "rct2mqtt's primary group is not rct2mqtt"
[ "$home" = "$state" ] || fail "rct2mqtt's home is $home, not $state"
[[ $shell == */nologin ]] || fail "rct2mqtt has a login shell: $shell"
ok "user: rct2mqtt uid $uid gid $gid home $home shell $shell"
[ "$(stat -c %U:%G:%a "$conffile")" = root:rct2mqtt:640 ] ||
  fail "$conffile is $(stat -c %U:%G:%a "$conffile"), not root:rct2mqtt:640"
ok "configuration: $(stat -c '%U:%G %a' "$conffile")"
dpkg-query -W -f='${Conffiles}\n' rct2mqtt | grep -q "^ $conffile " || fail "dpkg lists no conffile"
wants=/etc/systemd/system/multi-user.target.wants/rct2mqtt.service
[ "$(readlink -f "$wants")" = "$(readlink -f "/$unit_path")" ] || fail "not enabled: no $wants"
ok "enabled: $wants"
[ "$(rct2mqtt --version)" = "rct2mqtt ${version%%[+~-]*}" ] || fail "rct2mqtt --version: $(rct2mqtt --version)"
bash tests/package/check_unit.sh "/$unit_path" || fail "the installed unit fails its checks"
runuser -u rct2mqtt -- rct2mqtt --check-config -c "$conffile" >"$tmp/check.out" 2>&1 ||
  { cat "$tmp/check.out"; fail "rct2mqtt --check-config on the installed configuration failed"; }
ok "--check-config as rct2mqtt: exit 0"
rc=0
runuser -u nobody -- rct2mqtt --check-config -c "$conffile" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 78 ] || fail "another user read the configuration (--check-config exit $rc, not 78)"
ok "--check-config as nobody: exit 78 (unreadable)"
if [ -d /run/systemd/system ]; then
  # A booted systemd: postinst has started the service; with the shipped configuration it runs.
  wait_for 60 systemctl is-active --quiet rct2mqtt || fail "rct2mqtt.service is not active"
  ok "rct2mqtt.service is active"
else
  echo "note: systemd is not running here: the service start is not tested"
fi

echo "-- 3. the installed daemon against the installed simulator and Mosquitto"
setpriv --reuid=nobody --regid=nogroup --clear-groups \
  rctclient simulator --host 127.0.0.1 --port 0 --time-scale 60 >"$tmp/simulator.out" 2>"$tmp/simulator.log" &
pids+=($!)
wait_for 15 grep -q '^listening on ' "$tmp/simulator.out" || fail "the simulator does not listen"
sim_port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/simulator.out")
mqtt_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$mqtt_port" >"$tmp/mosquitto.conf"
"$(command -v mosquitto || echo /usr/sbin/mosquitto)" -c "$tmp/mosquitto.conf" >"$tmp/mosquitto.log" 2>&1 &
pids+=($!)
wait_for 15 listening "$mqtt_port" || fail "Mosquitto does not listen on $mqtt_port"
ok "simulator on 127.0.0.1:$sim_port, Mosquitto on 127.0.0.1:$mqtt_port"

# The installed configuration, pointed at them, with the metrics endpoint on.
metrics_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
config=$tmp/rct2mqtt.toml
sed -e "s|^uri = .*|uri = \"tcp://127.0.0.1:$mqtt_port\"|" \
    -e "s|^host = .*|host = \"127.0.0.1\"|" \
    -e "s|^port = 8899$|port = $sim_port|" \
    -e "s|^fast_interval = .*|fast_interval = 2|" \
    -e "s|^#listen = .*|listen = \"127.0.0.1:$metrics_port\"|" "$conffile" >"$config"
chown root:rct2mqtt "$config"
chmod 0640 "$config"
runuser -u rct2mqtt -- rct2mqtt --check-config -c "$config" >"$tmp/check.out" 2>&1 ||
  { cat "$tmp/check.out"; fail "--check-config on the test configuration"; }
grep -q "port = $sim_port" "$tmp/check.out" || fail "the test configuration does not take effect"
# What StateDirectory= sets up before systemd starts the service.
install -d -o rct2mqtt -g rct2mqtt -m 0750 "$state"
setpriv --reuid=rct2mqtt --regid=rct2mqtt --init-groups --no-new-privs \
  env -u JOURNAL_STREAM -u NOTIFY_SOCKET -u WATCHDOG_USEC STATE_DIRECTORY="$state" \
  /usr/bin/rct2mqtt -c "$config" 2>"$tmp/rct2mqtt.log" &
daemon=$!
pids+=($daemon)
sub() { mosquitto_sub -h 127.0.0.1 -p "$mqtt_port" -C 1 -W "$2" -v -t "$1" 2>/dev/null || true; }
soc=$(sub 'rct2mqtt/+/battery/soc' 30)
[[ $soc =~ ^rct2mqtt/[^/]+/battery/soc\ [0-9.]+$ ]] || {
  tail -n 30 "$tmp/rct2mqtt.log"; fail "no battery SOC value published (got '$soc')"; }
ok "published: $soc"
# The metrics endpoint answers: the installed daemon found its installed HTTP module.
metrics=$(python3 -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' \
  "http://127.0.0.1:$metrics_port/metrics" 2>&1 || true)
grep -q '^rct2mqtt_uptime_seconds ' <<<"$metrics" || {
  tail -n 30 "$tmp/rct2mqtt.log"; fail "no metrics from the installed daemon (got '${metrics:0:200}')"; }
ok "metrics: $(grep -c '^rct2mqtt_' <<<"$metrics") samples on 127.0.0.1:$metrics_port"
[ "$(sub rct2mqtt/bridge/status 10)" = "rct2mqtt/bridge/status online" ] || fail "bridge not online"
kill -TERM "$daemon"
wait_for 15 exited "$daemon" || fail "rct2mqtt did not stop within 15 s of SIGTERM"
rc=0
wait "$daemon" || rc=$?
[ "$rc" -eq 0 ] || { tail -n 30 "$tmp/rct2mqtt.log"; fail "rct2mqtt exited $rc after SIGTERM"; }
[ "$(sub rct2mqtt/bridge/status 10)" = "rct2mqtt/bridge/status offline" ] ||
  fail "no retained offline after a clean stop"
files=$(find "$state" -mindepth 1 | wc -l)
[ "$files" -gt 0 ] || fail "nothing persisted in $state"
[ -z "$(find "$state" ! -user rct2mqtt)" ] || fail "files in $state not owned by rct2mqtt"
ok "SIGTERM: exit 0, bridge offline, $files file(s) persisted in $state"

echo "-- 4. upgrades keep an edited configuration"
sed -i 's/^level = "info"$/level = "debug"/' "$conffile"
echo "# edited by the package test" >>"$conffile"
edited() {
  grep -qx 'level = "debug"' "$conffile" && grep -qx '# edited by the package test' "$conffile" &&
    [ "$(stat -c %U:%G:%a "$conffile")" = root:rct2mqtt:640 ]
}
dpkg -i "$deb" </dev/null >"$tmp/dpkg-reinstall.log" 2>&1 || { cat "$tmp/dpkg-reinstall.log"; fail "reinstall failed"; }
edited || fail "reinstalling the same version lost the edit or the mode"
ok "reinstall of $version: edit kept, root:rct2mqtt 640"
# A newer version whose own configuration changed too: dpkg would ask; confold keeps the admin's.
dpkg-deb -R "$deb" "$tmp/next"
next_version="$version+pkgtest1"
sed -i "s/^Version: .*/Version: $next_version/" "$tmp/next/DEBIAN/control"
echo "# changed in $next_version" >>"$tmp/next$conffile"
(cd "$tmp/next" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
  xargs -0 md5sum >DEBIAN/md5sums)
dpkg-deb --root-owner-group -Zgzip -b "$tmp/next" "$tmp/next.deb" >/dev/null
dpkg -i --force-confold "$tmp/next.deb" </dev/null >"$tmp/dpkg-upgrade.log" 2>&1 ||
  { cat "$tmp/dpkg-upgrade.log"; fail "upgrade to $next_version failed"; }
[ "$(dpkg-query -W -f='${Version}' rct2mqtt)" = "$next_version" ] || fail "not upgraded"
edited || fail "the upgrade lost the edit or the mode"
grep -qx "# changed in $next_version" "$conffile.dpkg-dist" || fail "no $conffile.dpkg-dist"
getent passwd rct2mqtt >/dev/null || fail "the upgrade lost the user"
runuser -u rct2mqtt -- rct2mqtt --check-config -c "$conffile" >/dev/null ||
  fail "--check-config after the upgrade"
ok "upgrade to $next_version (--force-confold): edit kept, new file as .dpkg-dist"

echo "-- 5. purge"
dpkg --purge rct2mqtt >"$tmp/dpkg-purge.log" 2>&1 || { cat "$tmp/dpkg-purge.log"; fail "purge failed"; }
dpkg-query -W -f='${Status}' rct2mqtt 2>/dev/null | grep -q 'not-installed' ||
  ! dpkg-query -W rct2mqtt >/dev/null 2>&1 || fail "dpkg still knows rct2mqtt after purge"
left=()
getent passwd rct2mqtt >/dev/null && left+=("user rct2mqtt")
getent group rct2mqtt >/dev/null && left+=("group rct2mqtt")
for path in "$state" /etc/rct2mqtt /usr/bin/rct2mqtt /usr/bin/rctclient "/$unit_path" "$wants" \
            /usr/share/doc/rct2mqtt /var/lib/systemd/deb-systemd-helper-enabled/rct2mqtt.service.dsh-also \
            /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/rct2mqtt.service; do
  [ -e "$path" ] || [ -L "$path" ] && left+=("$path")
done
[ ${#left[@]} -eq 0 ] || fail "left after purge: ${left[*]}"
ok "purge: no user, group, state, configuration, binaries, unit or enable links left"
echo "package tests passed"
