# Package lists, sourced by the other scripts. Debian 12 (bookworm) names.
RCT_BUILD_PACKAGES=(
  ca-certificates g++ cmake ninja-build pkg-config
  libpaho-mqttpp-dev libpaho-mqtt-dev libssl-dev libasio-dev libtomlplusplus-dev libspdlog-dev
  libsystemd-dev nlohmann-json3-dev libcli11-dev libcpp-httplib-dev
)
RCT_RUN_PACKAGES=(mosquitto mosquitto-clients)
RCT_TEST_PACKAGES=(catch2 clang libclang-rt-14-dev clang-format clang-tidy mosquitto
  mosquitto-clients openssl python3 lintian systemd prometheus)
# scripts/package.sh: the Debian package build (its build dependencies come from debian/control).
RCT_PACKAGE_PACKAGES=(dpkg-dev debhelper)
# Node.js and npm for the Node-RED test (scripts/node-red.sh), installed only when `node` or `npm`
# is missing: a Node.js from elsewhere (e.g. with npm built in) is used as it is.
RCT_NODE_RED_PACKAGES=(nodejs npm)
