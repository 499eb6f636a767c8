"""Drive the official Python MCP SDK client (PyPI `mcp==2.3.0`) from a test.

Run with the venv that tests/clients/install.sh builds:

    CACHE_DIR/venv/bin/python py_client.py [--mode default|legacy] [--header 'Name: value']...
        [--ops JSON] [--timeout-ms N] (--http URL | --stdio CMD [ARGS...])

`--stdio` must come last: everything after it is the server command. The
server inherits this process's full environment (the SDK would otherwise pass
only HOME/PATH/... and drop e.g. RUST_LOG). Its stderr goes to our stderr.

--mode default  the SDK's own default (`Client(mode="auto")`): probe
                `server/discover` at 2026-07-28 (stateless, no initialize); on
                any JSON-RPC error / HTTP 4xx / unparsable or non-modern result
                fall back to the legacy `initialize` handshake.
--mode legacy   `Client(mode="legacy")`: `initialize` at 2025-11-25 only.

stdout carries one JSON object per line, nothing else:
    {"op":"connect","ok":true,"protocolVersion":..,"era":"modern"|"legacy","serverInfo":..,"sessionId":..}
    or, if connecting failed, {"op":"connect","ok":false,...error fields as for call...} and exit 1
    {"op":"list","tools":[<Tool as parsed by the SDK>...]}
    {"op":"call","ok":true,"result":<CallToolResult as parsed by the SDK>}
    {"op":"call","ok":false,"error":"..","code":<JSON-RPC code|null>,"httpStatus":<int|null>,"errorType":".."}
    {"op":"sleep","ms":N}
A failing op never stops the remaining ops. Exit 0 once all ops ran; exit 1
(also with a message on stderr) if connecting failed; exit 2 on bad usage.

Note on errors: over HTTP the SDK turns a non-2xx answer without a JSON-RPC
body into a synthetic JSON-RPC error (404 with a session -> -32600 "Session
terminated"; 404 before a session -> -32601; other statuses -> -32603), and
never exposes the status itself. We therefore record HTTP statuses with an
httpx response hook and report the last >= 400 one seen during the op as
`httpStatus`, so tests can assert on the real status.
Set MCP_CLIENT_DEBUG=1 to get the SDK's debug logging on stderr.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

import anyio
import httpx2
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

USAGE = (
    "usage: py_client.py [--mode default|legacy] [--header 'Name: value']... [--ops JSON]"
    " [--timeout-ms N] (--http URL | --stdio CMD [ARGS...])"
)


def die_usage(msg: str) -> None:
    print(f"py_client: {msg}\n{USAGE}", file=sys.stderr)
    sys.exit(2)


def parse_args(argv: list[str]) -> dict[str, Any]:
    # Hand-rolled rather than argparse: `--stdio` swallows the rest verbatim,
    # including arguments that look like our own options.
    opts: dict[str, Any] = {"mode": "default", "headers": {}, "ops": [{"op": "list"}], "timeout_ms": 30000}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--stdio":
            opts["stdio"] = argv[i + 1 :]
            if not opts["stdio"]:
                die_usage("--stdio needs a command")
            break
        if i + 1 >= len(argv):
            die_usage(f"{arg} needs a value")
        val = argv[i + 1]
        i += 2
        if arg == "--http":
            opts["http"] = val
        elif arg == "--mode":
            if val not in ("default", "legacy"):
                die_usage(f"bad --mode {val!r}")
            opts["mode"] = val
        elif arg == "--header":
            name, sep, value = val.partition(":")
            if not sep or not name.strip():
                die_usage(f"bad --header {val!r}")
            opts["headers"][name.strip()] = value.strip()
        elif arg == "--ops":
            opts["ops"] = json.loads(val)
            if not isinstance(opts["ops"], list):
                die_usage("--ops must be a JSON array")
        elif arg == "--timeout-ms":
            opts["timeout_ms"] = int(val)
        else:
            die_usage(f"unknown option {arg!r}")
    if ("http" in opts) == ("stdio" in opts):
        die_usage("exactly one of --http / --stdio is required")
    return opts


def emit(obj: dict[str, Any]) -> None:
    print(json.dumps(obj), flush=True)


def dump(model: Any) -> Any:
    # exclude_unset: print what the server sent, not the SDK's defaults
    # (e.g. isError=false, resultType="complete" when absent on the wire).
    return None if model is None else model.model_dump(by_alias=True, mode="json", exclude_unset=True)


class HttpTrace:
    """Remembers HTTP statuses and the session id, which the SDK hides."""

    def __init__(self) -> None:
        self.error_statuses: list[int] = []
        self.session_id: str | None = None

    async def on_response(self, response: httpx2.Response) -> None:
        # POSTs only: the legacy GET stream fails in the background (e.g. 405)
        # and must not be blamed on whatever op happens to be running.
        if response.status_code >= 400 and response.request.method == "POST":
            self.error_statuses.append(response.status_code)
        sid = response.headers.get("mcp-session-id")
        if sid:
            self.session_id = sid


def error_fields(e: BaseException, trace: HttpTrace) -> dict[str, Any]:
    # anyio task groups wrap transport failures (e.g. connection refused);
    # report the first real cause, not the group.
    while isinstance(e, BaseExceptionGroup) and e.exceptions:
        e = e.exceptions[0]
    out: dict[str, Any] = {
        "ok": False,
        "error": e.message if isinstance(e, MCPError) else str(e),
        "code": e.code if isinstance(e, MCPError) else None,
        "httpStatus": trace.error_statuses[-1] if trace.error_statuses else None,
        "errorType": type(e).__name__,
    }
    if isinstance(e, MCPError) and e.data is not None:
        out["data"] = e.data
    return out


async def run_op(client: Client, op: dict[str, Any], trace: HttpTrace) -> dict[str, Any]:
    kind = op.get("op")
    if kind == "sleep":
        await anyio.sleep(op.get("ms", 0) / 1000)
        return {"op": "sleep", "ms": op.get("ms", 0)}
    trace.error_statuses.clear()
    try:
        if kind == "list":
            # cache_mode="bypass": every list op must reach the server, even
            # if an earlier one returned a ttlMs > 0.
            result = await client.list_tools(cache_mode="bypass")
            return {"op": "list", "tools": [dump(t) for t in result.tools]}
        if kind == "call":
            result = await client.call_tool(op["name"], op.get("args") or {})
            return {"op": "call", "ok": True, "result": dump(result)}
        return {"op": kind, "ok": False, "error": f"unknown op {kind!r}", "code": None, "httpStatus": None}
    except Exception as e:  # an op failure is data for the test, not a crash
        return {"op": kind, **error_fields(e, trace)}


async def main(opts: dict[str, Any]) -> int:
    trace = HttpTrace()
    timeout_s = opts["timeout_ms"] / 1000
    mode = "legacy" if opts["mode"] == "legacy" else "auto"
    async with httpx2.AsyncClient(
        headers=opts["headers"],
        # Same timeouts as the SDK's create_mcp_http_client; trust_env=False so
        # a proxy variable in the environment can never divert loopback traffic.
        timeout=httpx2.Timeout(30.0, read=300.0),
        trust_env=False,
        event_hooks={"response": [trace.on_response]},
    ) as http:
        if "http" in opts:
            server: Any = streamable_http_client(opts["http"], http_client=http)
        else:
            cmd = opts["stdio"]
            server = StdioServerParameters(command=cmd[0], args=cmd[1:], env=dict(os.environ))
        client = Client(server, mode=mode, read_timeout_seconds=timeout_s)
        try:
            await client.__aenter__()
        except Exception as e:  # incl. ExceptionGroup from the transport's task group
            print(f"py_client: connect failed: {type(e).__name__}: {e!r}", file=sys.stderr)
            emit({"op": "connect", **error_fields(e, trace)})
            return 1
        try:
            info = client.server_info
            emit(
                {
                    "op": "connect",
                    "ok": True,
                    "protocolVersion": client.protocol_version,
                    "era": "modern" if client.protocol_version in MODERN_PROTOCOL_VERSIONS else "legacy",
                    "serverInfo": dump(info),
                    "sessionId": trace.session_id,
                }
            )
            for op in opts["ops"]:
                emit(await run_op(client, op, trace))
        finally:
            try:
                # Closing sends DELETE for a legacy HTTP session; a failure
                # there must not turn a completed run into a failed one.
                await client.__aexit__(None, None, None)
            except BaseException as e:  # noqa: BLE001
                print(f"py_client: warning: close failed: {e!r}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    if os.environ.get("MCP_CLIENT_DEBUG"):
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    sys.exit(anyio.run(main, parse_args(sys.argv[1:])))
