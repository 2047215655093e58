-- wrk script: every request buys fresh stock items (ids read from a file, never reused).
-- usage: wrk ... -s bench/buy.lua URL -- IDS_FILE IDS_PER_REQUEST ACCESS_KEY [SKIP]
-- SKIP ids at the start of the file are passed over (an earlier run bought them).
local ids = {}
local next_id = 1
local per_request = 1

function init(args)
  for line in io.lines(args[1]) do
    ids[#ids + 1] = line
  end
  per_request = tonumber(args[2])
  next_id = 1 + tonumber(args[4] or "0")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "AccessKey " .. args[3]
end

function request()
  local chosen = {}
  for i = 1, per_request do
    chosen[i] = '"' .. ids[((next_id - 1) % #ids) + 1] .. '"'
    next_id = next_id + 1
  end
  wrk.body = '{"numberStockItemIds":[' .. table.concat(chosen, ",") .. ']}'
  return wrk.format()
end
