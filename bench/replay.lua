-- Replays pre-generated raw HTTP requests round-robin, one pool file per wrk thread.
-- Usage: wrk -s replay.lua <url> -- <pool stem>   (thread N reads "<stem>.N", written by wire.py)
-- done() prints one line "WRK_RESULT {json}"; "wraps" counts how often a thread ran out of
-- requests and started over, which a target that rejects replayed requests must never do.

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

local pool = {}
local size = 0
local cursor = 0
wraps = 0

local function load(path)
  local file = assert(io.open(path, "rb"))
  local data = file:read("*a")
  file:close()
  local pos = 1
  while pos <= #data do
    local newline = data:find("\n", pos, true)
    local length = tonumber(data:sub(pos, newline - 1))
    pool[#pool + 1] = data:sub(newline + 1, newline + length)
    pos = newline + length + 1
  end
  size = #pool
  assert(size > 0, "empty pool file " .. path)
end

function init(args)
  load(args[1] .. "." .. thread_index)
end

function request()
  cursor = cursor + 1
  if cursor > size then
    cursor = 1
    wraps = wraps + 1
  end
  return pool[cursor]
end

function done(summary, latency, requests)
  local total_wraps = 0
  for _, thread in ipairs(threads) do
    total_wraps = total_wraps + thread:get("wraps")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
      .. '"mean_us":%.1f,"max_us":%d,"non2xx":%d,"connect_errors":%d,"read_errors":%d,'
      .. '"write_errors":%d,"timeouts":%d,"wraps":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.mean, latency.max, e.status, e.connect, e.read,
    e.write, e.timeout, total_wraps))
end
