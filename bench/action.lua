-- wrk script: POST BODY to each of PATHS (comma-separated) in turn, with a bearer token (TOKEN).
-- More paths than connections: two requests in flight never act on the same order (no 409s).
wrk.method = "POST"
wrk.body = os.getenv("BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
local paths = {}
for path in string.gmatch(os.getenv("PATHS"), "[^,]+") do table.insert(paths, path) end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format(nil, paths[i])
end
