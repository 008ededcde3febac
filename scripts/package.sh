#!/usr/bin/env bash
# Builds the Debian package rct2mqtt_<version>_<arch>.deb:
#
#   bash scripts/package.sh                 # for this machine's architecture
#   bash scripts/package.sh --arch arm64    # cross-built: Raspberry Pi 3/4/5/Zero 2 W, 64-bit OS
#   bash scripts/package.sh --arch armhf    # cross-built: ARMv7, Raspberry Pi 2/3/4/5, 32-bit OS
#   bash scripts/package.sh --no-debug      # no debug info, no -dbgsym package (CI: quicker)
#
# --no-debug drops -g and the rct2mqtt-dbgsym package. The .deb's executables are stripped either
# way and GCC generates the same code with and without -g, so they behave the same; debug info is
# about a third of the compile time.
#
# dpkg-buildpackage needs debian/ at the source root, so the tracked source tree is staged under
# build/package/<arch>/src with packaging/debian as debian/. Missing tools and build dependencies
# are installed first (as root; for a cross-build the foreign architecture is added to dpkg and
# the :<arch> libraries are installed beside the native ones). The .deb files end up in
# build/packages/; the last line printed is the path of the rct2mqtt .deb.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; }
arch=""
debug=true
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch=${2:?--arch needs an architecture}; shift 2 ;;
    --arch=*) arch=${1#--arch=}; shift ;;
    --no-debug) debug=false; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

source scripts/packages.sh
bash scripts/deps.sh "${RCT_PACKAGE_PACKAGES[@]}"

build_arch=$(dpkg --print-architecture)
host_arch=${arch:-$build_arch}

# One version: the project's (CMakeLists.txt) must be the upstream part of the package's.
cmake_version=$(sed -n 's/^project(rct2mqtt VERSION \([0-9][0-9.]*\).*/\1/p' CMakeLists.txt)
deb_version=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)
if [ -z "$cmake_version" ] || [ "${deb_version%%[+~-]*}" != "$cmake_version" ]; then
  echo "version mismatch: CMakeLists.txt says '$cmake_version', packaging/debian/changelog" \
       "says '$deb_version'; add a changelog entry (dch -v $cmake_version)" >&2
  exit 1
fi

stage=build/package/$host_arch
out=build/packages
rm -rf "$stage"
mkdir -p "$stage/src" "$out"
# The working tree's tracked and new (not ignored) files: uncommitted edits are packaged, build
# output is not. Without git (an unpacked tarball), everything but build/.
if git rev-parse --show-toplevel >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf - | tar -C "$stage/src" -xf -
else
  tar --exclude=./build --exclude=./.git -cf - . | tar -C "$stage/src" -xf -
fi
# Dereferenced: debian/rct2mqtt.service is a link to the repository's systemd/rct2mqtt.service.
cp -rL "$stage/src/packaging/debian" "$stage/src/debian"

buildpackage_args=(-us -uc -b)
if [ "$host_arch" != "$build_arch" ]; then
  if ! dpkg --print-foreign-architectures | grep -qx "$host_arch"; then
    [ "$(id -u)" -eq 0 ] || { echo "run as root to add the $host_arch architecture" >&2; exit 1; }
    echo "adding the dpkg architecture $host_arch"
    dpkg --add-architecture "$host_arch"
    # A failing index would break every later apt-get update on this machine: undo.
    if ! apt-get update -qq; then
      dpkg --remove-architecture "$host_arch" || true
      echo "apt-get update failed with $host_arch added; removed $host_arch again" >&2
      exit 1
    fi
  fi
  bash scripts/deps.sh "crossbuild-essential-$host_arch"
  buildpackage_args+=(-a "$host_arch" -Pcross,nocheck)
fi
if ! (cd "$stage/src" && dpkg-checkbuilddeps -a "$host_arch" >/dev/null 2>&1); then
  [ "$(id -u)" -eq 0 ] || {
    (cd "$stage/src" && dpkg-checkbuilddeps -a "$host_arch") || true
    echo "run as root to install the build dependencies above" >&2
    exit 1
  }
  echo "installing the build dependencies for $host_arch"
  DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -qq -a "$host_arch" "./$stage/src" >/dev/null
fi

build_options="nocheck parallel=$(nproc)"
if ! $debug; then
  build_options+=" noautodbgsym"
  export DEB_CFLAGS_STRIP=-g DEB_CXXFLAGS_STRIP=-g
fi
echo "building the $host_arch package in $stage (dpkg-buildpackage ${buildpackage_args[*]}," \
     "DEB_BUILD_OPTIONS=$build_options)"
log=$stage/build.log
if ! (cd "$stage/src" &&
      DEB_BUILD_OPTIONS="$build_options${DEB_BUILD_OPTIONS:+ $DEB_BUILD_OPTIONS}" \
        dpkg-buildpackage "${buildpackage_args[@]}") >"$log" 2>&1; then
  tail -n 60 "$log"
  echo "dpkg-buildpackage failed (log: $log)" >&2
  exit 1
fi

rm -f "$out"/rct2mqtt*_"$host_arch".*
mv "$stage"/*.deb "$stage"/*.changes "$stage"/*.buildinfo "$out"/
ls -l "$out"/*_"$deb_version"_"$host_arch".*
echo "$out/rct2mqtt_${deb_version}_${host_arch}.deb"
