-- wrk script for bench/run-http.sh: PUT a 100-byte value to a fresh key on
-- every request, /kv/w<thread>-<n> (the URL given to wrk must end in /kv/).
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  wrk.method = "PUT"
  wrk.body = string.rep("v", 100)
  wrk.headers["Content-Type"] = "application/octet-stream"
end
function request()
  counter = counter + 1
  return wrk.format("PUT", wrk.path .. "w" .. tostring(tid) .. "-" .. tostring(counter))
end
