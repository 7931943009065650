-- GET with a bearer token: wrk ... URL -- <token file>
function init(args)
  wrk.headers["Authorization"] = "Bearer " .. assert(io.open(args[1])):read("*l")
end
