-- POST /auth/token/refresh/ with a refresh token used once each (rotation: a reused one would be
-- theft). The token file has one token a line; thread i of n takes lines i, i+n, i+2n...
local threads, counter = {}, 0
function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  tokens = {}
  local n, line_no = tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    if line_no % n == index then table.insert(tokens, line) end
    line_no = line_no + 1
  end
  position = 0
end
function request()
  position = position + 1
  local token = assert(tokens[position], "out of refresh tokens: make more")
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, '{"refresh": "' .. token .. '"}')
end
