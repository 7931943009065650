-- POST signed Stripe events, each once: the file has "<Stripe-Signature>\t<body>" a line;
-- thread i of n takes lines i, i+n, ...
local counter = 0
function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
end
function init(args)
  events = {}
  local n, line_no = tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    if line_no % n == index then
      local signature, body = line:match("^([^\t]+)\t(.*)$")
      table.insert(events, {signature, body})
    end
    line_no = line_no + 1
  end
  position = 0
end
function request()
  position = position + 1
  local event = assert(events[position], "out of signed events: make more")
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["Stripe-Signature"] = event[1]}, event[2])
end
