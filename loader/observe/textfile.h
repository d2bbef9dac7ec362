// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// `stats --textfile DIR`: the Prometheus exposition as DIR/dupgre.prom for
// node_exporter's textfile collector (Debian: /var/lib/prometheus/node-exporter;
// OpenWrt's prometheus-node-exporter-lua-textfile: /var/prometheus).
#pragma once

#include <string>

namespace dupgre {

inline constexpr const char *textfile_name = "dupgre.prom";

// Writes content to dir/dupgre.prom atomically: a temporary file in dir
// (".dupgre.prom.XXXXXX", which the collector ignores), fsync, rename over
// the old file, fsync of dir. A reader sees the old file or the new one,
// never a part. Throws Error (one line) when dir is missing, not a
// directory or not writable; leaves no temporary file behind.
void write_textfile(const std::string &dir, const std::string &content);

}  // namespace dupgre
