# The project version (CMakeLists.txt) must be the upstream part of the Debian package version
# (the newest entry of packaging/debian/changelog). Run with -DVERSION=... -DCHANGELOG=...
file(STRINGS ${CHANGELOG} first LIMIT_COUNT 1)
if(NOT first MATCHES "^rct2mqtt \\(([^)]+)\\) ")
  message(FATAL_ERROR "${CHANGELOG}: first line is not 'rct2mqtt (VERSION) ...': ${first}")
endif()
set(deb_version ${CMAKE_MATCH_1})
string(REGEX REPLACE "[+~-].*" "" upstream "${deb_version}")
if(NOT upstream STREQUAL VERSION)
  message(FATAL_ERROR "CMakeLists.txt has version ${VERSION}, packaging/debian/changelog "
                      "${deb_version}: add a changelog entry (dch -v ${VERSION})")
endif()
message(STATUS "version ${VERSION} = package ${deb_version}")
