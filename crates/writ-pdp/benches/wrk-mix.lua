-- wrk script for Writ's load benchmark (crates/writ-pdp/benches/load.rs).
-- Cycles through a mix of POST bodies, one JSON request per line of the
-- file named by the first script argument; each thread starts at its own
-- offset. At the end prints one JSON line the benchmark reads.
local bodies = {}
local next_index = 1
local path_ = "/v1/is_authorized"
local threads = {}

function setup(thread)
  thread:set("offset", #threads * 997)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      bodies[#bodies + 1] = line
    end
  end
  if args[2] then
    path_ = args[2]
  end
  next_index = (offset or 0) % #bodies + 1
end

function request()
  local body = bodies[next_index]
  next_index = next_index % #bodies + 1
  return wrk.format("POST", path_, { ["Content-Type"] = "application/json" }, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
