-- wrk script: HTTP/1.1 pipelining. Every write carries DEPTH requests for the URL's path
-- (default 16; pass another after `--`), so the server sees them all in one read and should
-- answer them with one write.
--
--   wrk -t1 -c64 -d10s -s benches/pipeline.lua http://127.0.0.1:8080/plaintext -- 16

local batch

function init(args)
  local depth = tonumber(args[1]) or 16
  local requests = {}
  for i = 1, depth do
    requests[i] = wrk.format(nil, nil)
  end
  batch = table.concat(requests)
end

function request()
  return batch
end
