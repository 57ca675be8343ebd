-- wrk script for bench/run.sh: POSTs one GraphQL request body, read from the JSON file given
-- after `--` (build it with `bench/gql.py body`), and counts what wrk itself does not:
--   * responses outside 2xx (wrk's own "Non-2xx or 3xx" line lumps 3xx with success),
--   * 2xx responses whose body carries a top-level `"errors"` member (with
--     `application/json` a failed field is still answered 200, so status codes alone hide it).
-- done() prints one machine-readable line, `BENCH requests=… non2xx=… body_errors=…`, that
-- run.sh parses next to wrk's `--latency` distribution.
--
-- Usage: wrk -t2 -c32 -d20s --latency -s bench/graphql.lua http://127.0.0.1:8123/graphql -- BODY.json [API_KEY]

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   local path = args[1]
   if path == nil then
      error("usage: wrk ... -s bench/graphql.lua URL -- BODY.json")
   end
   local file = assert(io.open(path, "rb"))
   wrk.body = file:read("*a")
   file:close()
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   -- The spec's media type: request errors (parse, validation, complexity) come back 4xx.
   wrk.headers["Accept"] = "application/graphql-response+json"
   -- An API key after the body: the request is made as its holder.
   if args[2] ~= nil and args[2] ~= "" then
      wrk.headers["Authorization"] = "Bearer " .. args[2]
   end
   responses = 0
   non2xx = 0
   body_errors = 0
   first_bad = ""
   -- wrk.init builds the (static) request from wrk.* after this returns.
end

function response(status, headers, body)
   responses = responses + 1
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
      if first_bad == "" then
         first_bad = tostring(status) .. " " .. string.sub(body or "", 1, 300)
      end
   elseif body ~= nil and string.find(body, '"errors":', 1, true) then
      body_errors = body_errors + 1
      if first_bad == "" then
         first_bad = tostring(status) .. " " .. string.sub(body, 1, 300)
      end
   end
end

function done(summary, latency, requests)
   local responses_total, non2xx_total, body_errors_total, sample = 0, 0, 0, ""
   for _, thread in ipairs(threads) do
      responses_total = responses_total + (thread:get("responses") or 0)
      non2xx_total = non2xx_total + (thread:get("non2xx") or 0)
      body_errors_total = body_errors_total + (thread:get("body_errors") or 0)
      local bad = thread:get("first_bad") or ""
      if sample == "" then sample = bad end
   end
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d responses=%d bytes=%d duration_us=%d non2xx=%d body_errors=%d "
         .. "socket_connect=%d socket_read=%d socket_write=%d timeouts=%d "
         .. "p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
      summary.requests, responses_total, summary.bytes, summary.duration, non2xx_total,
      body_errors_total,
      e.connect, e.read, e.write, e.timeout,
      latency:percentile(50.0), latency:percentile(90.0), latency:percentile(99.0), latency.max))
   if sample ~= "" then
      io.write("BENCH_FIRST_BAD " .. string.gsub(sample, "\n", " ") .. "\n")
   end
end
