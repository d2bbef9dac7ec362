-- What prometheus-node-exporter-lua (openwrt/packages,
-- utils/prometheus-node-exporter-lua/files/usr/bin/prometheus-node-exporter-lua)
-- gives a collector, and how it runs one, for Debian's lua5.1: the globals
-- space_split(), get_contents(), print_metric(), metric() and the writer,
-- API "out": the buffered file `out` that collectors out:write() to (since
-- 00d420e801, 2025; 24.10 since da86e7841e), or API "output": the function
-- output() of the exporters before it, which `out` replaced;
-- the collector loaded with require("prometheus-collectors.NAME"); its
-- scrape() called under pcall, an error written to stderr; then the gauge
-- node_scrape_collector_success{collector="NAME"}. The exporter serves
-- the page through uhttpd; here it goes to stdout. Not modelled: the duration gauge
-- (luasocket's clock) and the HTTP side.
--
-- usage: lua5.1 exporter-harness.lua DIR NAME [out|output]
--        (DIR/prometheus-collectors/NAME.lua; default: out)
local dir, name, api = arg[1], arg[2], arg[3] or "out"
package.path = dir .. "/?.lua;" .. package.path

function space_split(s)
  local elements = {}
  for element in s:gmatch("%S+") do
    elements[#elements + 1] = element
  end
  return elements
end

function get_contents(filename)
  local f = io.open(filename, "rb")
  if not f then return "" end
  local contents = f:read("*a")
  f:close()
  return contents
end

local function write_line(str)
  io.write(str, "\n")
end
if api == "out" then
  out = io.output()
else
  output = write_line
end

function print_metric(metric_name, labels, value)
  if value == nil then return end
  local label_string = ""
  if labels then
    local parts = {}
    for label, v in pairs(labels) do
      parts[#parts + 1] = label .. '="' .. v .. '"'
    end
    label_string = "{" .. table.concat(parts, ",") .. "}"
  end
  write_line(string.format("%s%s %s", metric_name, label_string, value))
end

function metric(metric_name, mtype, labels, value)
  write_line("# TYPE " .. metric_name .. " " .. mtype)
  local outputter = function(l, v) print_metric(metric_name, l, v) end
  if value then outputter(labels, value) end
  return outputter
end

local success = metric("node_scrape_collector_success", "gauge")
local collector = require("prometheus-collectors." .. name)
local ok, err = pcall(collector.scrape)
if not ok then
  io.stderr:write(tostring(err), "\n")
end
success({ collector = name }, ok and 1 or 0)
