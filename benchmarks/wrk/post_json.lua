-- POST the same JSON body on every request: wrk ... URL -- <body file> [<bearer token file>]
function init(args)
  local body = assert(io.open(args[1])):read("*a")
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
  if args[2] then
    wrk.headers["Authorization"] = "Bearer " .. assert(io.open(args[2])):read("*l")
  end
end
