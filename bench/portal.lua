-- wrk script for the portal: cycle through prepared requests, one per line of $BENCH_REQUESTS,
-- tab-separated: METHOD, PATH, Cookie header, form body (may be empty).
local prepared = {}
for line in io.lines(os.getenv("BENCH_REQUESTS")) do
  local method, target, cookie, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t?(.*)$")
  prepared[#prepared + 1] = { method, target, cookie, body }
end

local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  stride = tonumber(os.getenv("BENCH_THREADS")) or 1
  position = id or 0
end

function request()
  local item = prepared[(position % #prepared) + 1]
  position = position + stride
  local headers = { ["Cookie"] = item[3] }
  local body = nil
  if item[4] ~= "" then
    body = item[4]
    headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  return wrk.format(item[1], item[2], headers, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), errors.status, errors.connect + errors.read + errors.write + errors.timeout
  ))
end
