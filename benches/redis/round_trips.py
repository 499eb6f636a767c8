"""Redis round trips per tools/call on a live legacy session, from Redis's own INFO commandstats.

    python3 benches/redis/round_trips.py [--profile debug|release]

Starts a redis-server on a free port, then `hello` (no session state), `notebook` (a state
change per call) and `oauth` (the caller's `User<T>` state, read by `notes` and changed by
`add_note`, the caller authenticated by an API key) with `--store redis://...`, and counts the
commands Redis ran during 200 calls. Build the examples first
(`cargo build --examples --features redis,oauth`).
"""
import json, subprocess, time, re, socket, os, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROFILE = sys.argv[sys.argv.index("--profile") + 1] if "--profile" in sys.argv else "debug"

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

port = free_port()
redis = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
time.sleep(0.5)
def stats():
    out = subprocess.run(["redis-cli", "-p", str(port), "INFO", "commandstats"], capture_output=True, text=True).stdout
    total = 0; per = {}
    for line in out.splitlines():
        m = re.match(r"cmdstat_(\S+):calls=(\d+)", line)
        if m: per[m.group(1)] = int(m.group(2)); total += int(m.group(2))
    return total, per
import http.client
KEY = "rtt(notes:read notes:write)=rtt-key"
def serve(example):
    env = dict(os.environ, MCP_API_KEYS=KEY) if example == "oauth" else os.environ
    p = subprocess.Popen([str(ROOT / "target" / PROFILE / "examples" / example), "--http", "127.0.0.1:0", "--store", f"redis://127.0.0.1:{port}/"], stderr=subprocess.PIPE, text=True, env=env)
    while True:
        line = p.stderr.readline()
        m = re.search(r"http://([^/]+)(/\S*)", line)
        if m: return p, m.group(1), m.group(2)
def post(auth, path, body, headers={}):
    h, pt = auth.split(":")
    c = http.client.HTTPConnection(h, int(pt)); hd = {"content-type": "application/json", "accept": "application/json, text/event-stream", "authorization": "Bearer rtt-key"}; hd.update(headers)
    c.request("POST", path, json.dumps(body), hd); r = c.getresponse(); data = r.read(); sid = r.getheader("mcp-session-id"); c.close(); return r.status, data, sid
def measure(example, tool, args, n=200):
    p, auth, path = serve(example)
    st, _, sid = post(auth, path, {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"rtt","version":"1"}}})
    hdr = {"mcp-session-id": sid, "mcp-protocol-version": "2025-11-25"}
    post(auth, path, {"jsonrpc":"2.0","method":"notifications/initialized"}, hdr)
    post(auth, path, {"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":tool,"arguments":args(0)}}, hdr)
    time.sleep(0.2)
    before, pb = stats()
    for i in range(n):
        st, data, _ = post(auth, path, {"jsonrpc":"2.0","id":10+i,"method":"tools/call","params":{"name":tool,"arguments":args(i)}}, hdr)
        assert st == 200, data
    time.sleep(0.2)
    after, pa = stats()
    p.kill(); p.wait()
    diff = {k: pa.get(k,0)-pb.get(k,0) for k in pa if pa.get(k,0)-pb.get(k,0)}
    diff.pop("info", None)
    total = sum(diff.values())
    print(f"{example} {tool}: {total/n:.3f} Redis commands per call over {n} calls; {diff}")
measure("hello", "add", lambda i: {"a": i, "b": 1})
measure("notebook", "note", lambda i: {"text": f"n{i}"})
measure("oauth", "notes", lambda i: {})
measure("oauth", "add_note", lambda i: {"text": f"n{i}"}, n=100)
redis.kill()
