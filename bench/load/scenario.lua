-- wrk script of the load scenarios: counts every non-2xx answer (wrk itself counts only >= 400)
-- and prints one JSON line for run_load.py. Arguments after "--":
--   get                    repeat the request given on the command line (headers via -H)
--   fresh                  the same with a query parameter of its own on every request, so that
--                          no cached page answers it (tickets.list_cache): what computing it costs
--   create <contact_id>    POST /api/v1/tickets/, each request with its own Idempotency-Key

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  mode = args[1] or "get"
  contact = args[2]
  ok, bad, statuses = 0, 0, ""
  if mode == "create" or mode == "fresh" then
    run = tostring(os.time())
  end
end

function request()
  if mode == "fresh" then
    counter = counter + 1
    local separator = string.find(wrk.path, "?", 1, true) and "&" or "?"
    return wrk.format(nil, wrk.path .. separator .. string.format("fresh=%s-%d-%d", run, id, counter))
  end
  if mode ~= "create" then
    return wrk.format(nil, nil)
  end
  counter = counter + 1
  local key = string.format("load-%s-%d-%d", run, id, counter)
  local body = string.format(
    '{"subject": "Load %d/%d", "body": "Paczki nie wychodza z magazynu.", "contact": %s}',
    id, counter, contact)
  -- wrk.format replaces wrk.headers (the -H ones, e.g. Authorization) by the table it gets: copy them.
  local headers = {["Content-Type"] = "application/json", ["Idempotency-Key"] = key}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  return wrk.format("POST", "/api/v1/tickets/", headers, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    bad = bad + 1
    if #statuses < 40 then
      statuses = statuses .. tostring(status) .. " "
    end
  end
end

function done(summary, latency, requests)
  local good, failed, seen = 0, 0, ""
  for _, thread in ipairs(threads) do
    good = good + thread:get("ok")
    failed = failed + thread:get("bad")
    seen = seen .. thread:get("statuses")
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "ok": %d, "non_2xx": %d, "statuses": "%s", ' ..
    '"socket_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"mean_us": %.1f}\n',
    summary.requests, summary.duration, good, failed, seen, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
