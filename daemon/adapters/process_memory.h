#pragma once

#include "daemon/bridge_snapshot.h"

namespace rct::daemon {

// This process's memory as the kernel counts it: the resident set from /proc/self/statm and, of
// it, the private pages (Private_Clean + Private_Dirty) from /proc/self/smaps_rollup (Linux 4.14
// and later; 0 where it is missing). Reads two small files; zeros when they cannot be read.
MemoryFigures process_memory();

}  // namespace rct::daemon
