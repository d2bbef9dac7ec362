-- prometheus-node-exporter-lua collector: dupgre's counters, read from the
-- pinned BPF maps at each scrape (no daemon, nothing to configure).
local function scrape()
  local f = io.popen("/usr/sbin/dupgre-ctl stats --format prometheus 2>/dev/null")
  if not f then return end
  output(f:read("*a"))
  f:close()
end

return { scrape = scrape }
