-- prometheus-node-exporter-lua collector: dupgre's counters, read from the
-- pinned BPF maps at each scrape (no daemon, nothing to configure).
--
-- dupgre-ctl writes complete exposition text (HELP, TYPE, samples), so its
-- lines go to the exporter as they are, as the exporter's own textfile
-- collector does: through the global file `out` (openwrt/packages
-- 00d420e801, 2025, in 24.10 since da86e7841e), else the global output()
-- of the exporters before it; no metric name is listed here, and counters
-- dupgre-ctl adds or renames reach Prometheus unchanged. When dupgre-ctl
-- fails, scrape() raises its message: the exporter logs it and reports
-- node_scrape_collector_success{collector="dupgre"} 0.
local ctl = os.getenv("DUPGRE_CTL") or "/usr/sbin/dupgre-ctl"

local function scrape()
  -- Lua 5.1's close() of a pipe does not return the exit status: the shell
  -- appends it.
  local f = assert(io.popen(ctl .. " stats --format prometheus 2>&1; echo \"exit $?\""))
  local text = f:read("*a")
  f:close()
  local body, status = text:match("^(.-)exit (%d+)\n$")
  if status ~= "0" then
    error("dupgre-ctl stats failed: " .. string.gsub(body or text, "\n+$", ""), 0)
  end
  for line in body:gmatch("[^\n]+") do
    if out then
      out:write(line, "\n")
    else
      output(line)
    end
  end
end

return { scrape = scrape }
