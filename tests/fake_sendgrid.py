"""A fake SendGrid v3 API on a local port, so the real anymail SendGrid backend runs in tests.

Answers each POST /v3/mail/send with the next scripted status (202 once the script runs out)
and records every request body. `delay` makes every answer take that long (a slow provider, so
that a fault test can kill a worker in the middle of a batch).
"""

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeSendGrid:
    def __init__(self, statuses: list[int] | None = None, *, delay: float = 0.0) -> None:
        self.statuses = list(statuses or [])
        self.delay = delay
        self.in_progress = 0  # requests received and not yet answered
        self.requests: list[dict] = []
        self.delivered: list[dict] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with fake._lock:
                    fake.in_progress += 1
                if fake.delay:
                    time.sleep(fake.delay)
                with fake._lock:
                    fake.in_progress -= 1
                    status = fake.statuses.pop(0) if fake.statuses else 202
                    fake.requests.append(
                        {
                            "path": self.path,
                            "body": body,
                            "status": status,
                            "authorization": self.headers.get("Authorization", ""),
                        }
                    )
                    if status == 202:
                        fake.delivered.append(body)
                payload = b"" if status == 202 else json.dumps({"errors": [{"message": f"fake {status}"}]}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client died waiting (a fault test killed the worker): sent all the same

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v3/"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "FakeSendGrid":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def recipients(self) -> list[str]:
        return [p["email"] for body in self.delivered for pers in body["personalizations"] for p in pers["to"]]

    def deliveries_per_recipient(self) -> Counter:
        with self._lock:
            return Counter(self.recipients())

    def subjects(self) -> list[str]:
        return [body["subject"] for body in self.delivered]
