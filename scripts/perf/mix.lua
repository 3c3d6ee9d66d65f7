-- wrk script: requests the paths listed in the file named by $WRK_PATHS in
-- turn (each thread starts at a different place) and, when done, writes the
-- figures as one JSON object to $WRK_JSON.
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do
  paths[#paths + 1] = line
end
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("next", counter * 7)
end

function request()
  next = next % #paths + 1
  return wrk.format("GET", paths[next])
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  local file = io.open(os.getenv("WRK_JSON"), "w")
  file:write(string.format(
    '{"requests": %d, "seconds": %.3f, "rps": %.1f, "errors": %d, "bytes": %d, ' ..
    '"p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f}\n',
    summary.requests, seconds, summary.requests / seconds, errors, summary.bytes,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
  file:close()
end
