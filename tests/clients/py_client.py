"""Drive the official Python MCP SDK client (PyPI `mcp==2.3.0`) from a test.

Run with the venv that tests/clients/install.sh builds:

    CACHE_DIR/venv/bin/python py_client.py [--mode default|legacy] [--header 'Name: value']...
        [--ops JSON] [--timeout-ms N] [--elicit JSON] [--sample TEXT] [--roots JSON]
        [--log-level LEVEL] (--http URL | --stdio CMD [ARGS...])

`--stdio` must come last: everything after it is the server command. The
server inherits this process's full environment (the SDK would otherwise pass
only HOME/PATH/... and drop e.g. RUST_LOG). Its stderr goes to our stderr.

--mode default  the SDK's own default (`Client(mode="auto")`): probe
                `server/discover` at 2026-07-28 (stateless, no initialize); on
                any JSON-RPC error / HTTP 4xx / unparsable or non-modern result
                fall back to the legacy `initialize` handshake.
--mode legacy   `Client(mode="legacy")`: `initialize` at 2025-11-25 only.

Client features (each declares its capability only when given; the SDK declares
a capability exactly when its callback is set):
--elicit JSON      `elicitation_callback`: answer every elicitation with this
                   ElicitResult, e.g. '{"action":"accept","content":{"name":"Ada"}}'
--sample TEXT      `sampling_callback`: answer every sampling/createMessage with an
                   assistant text message TEXT (model "test-model", stopReason "endTurn")
--roots JSON       `list_roots_callback`: answer roots/list with this array of Root
--log-level LEVEL  on a legacy connection, `logging/setLevel` LEVEL right after
                   connecting; on a 2026-07-28 one, `Client(log_level=LEVEL)`, which
                   stamps `io.modelcontextprotocol/logLevel` in every request's `_meta`
                   (the era's per-request opt-in; setLevel no longer exists there).
In 2026-07-28 the server asks for input through an `input_required` result instead
of a request; `Client.call_tool` runs the same callbacks and retries the call.

stdout carries one JSON object per line, nothing else:
    {"op":"connect","ok":true,"protocolVersion":..,"era":"modern"|"legacy","serverInfo":..,"sessionId":..}
    or, if connecting failed, {"op":"connect","ok":false,...error fields as for call...} and exit 1
    {"op":"setLevel","ok":true,"level":"..","via":"logging/setLevel"|"_meta"} (or the error
    fields) when --log-level is given
    {"op":"list","tools":[<Tool as parsed by the SDK>...]}
    {"op":"call","ok":true,"result":<CallToolResult as parsed by the SDK>,"logs":[..],"requests":[..]}
    {"op":"call","ok":false,"error":"..","code":<JSON-RPC code|null>,"httpStatus":<int|null>,"errorType":"..",
     "logs":[..],"requests":[..]}
    {"op":"subscribe","ok":true,"uri":".."} (or the error fields) for {"op":"subscribe","uri":".."},
    which sends resources/subscribe for that uri (`Client.subscribe_resource`; the method
    is gone in 2026-07-28, so expect an error there)
    {"op":"changes","methods":[..],"updated":[..]} for {"op":"changes","count":N,"ms":M}
    (both optional, default 1 and 5000): waits up to M ms until at least N notifications
    have been recorded, then reports all of them (since connecting, not just since the
    last changes op). "methods" lists, in arrival order, every
    notifications/tools/list_changed, notifications/prompts/list_changed,
    notifications/resources/list_changed and notifications/resources/updated method the
    SDK handed to our `message_handler`; "updated" lists the uri of each
    notifications/resources/updated among them, in arrival order. On a legacy connection
    these arrive outside any call, on the session's GET stream (or the connection itself
    over stdio); a 2026-07-28 connection has no such stream unless one listens
    (`subscriptions/listen`, not done here), so there "changes" may well stay empty.
    The SDK opens the GET stream in the background after connecting, so a change raised
    right after connecting can be missed; put a short {"op":"sleep","ms":..} first.
    {"op":"sleep","ms":N}
A call op {"op":"call","name":..,"args":..,"progress":true} passes a progress
callback (the SDK then sends a progress token), and its line gets
"progress":[{"progress":N,"total":N,"message":".."(if any)},...] in arrival order.
"logs" lists the notifications/message that arrived while the call was in flight,
in arrival order, as {"level":..,"data":..,"logger":..(if any)}; "requests" likewise
lists the server's requests for input the callbacks answered, as {"method":..,"params":..}.
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
import warnings
from typing import Any

import anyio
import anyio.lowlevel
import httpx2
import mcp_types as types
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

USAGE = (
    "usage: py_client.py [--mode default|legacy] [--header 'Name: value']... [--ops JSON]"
    " [--timeout-ms N] [--elicit JSON] [--sample TEXT] [--roots JSON] [--log-level LEVEL]"
    " (--http URL | --stdio CMD [ARGS...])"
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
        elif arg == "--elicit":
            opts["elicit"] = json.loads(val)
        elif arg == "--sample":
            opts["sample"] = val
        elif arg == "--roots":
            opts["roots"] = json.loads(val)
            if not isinstance(opts["roots"], list):
                die_usage("--roots must be a JSON array")
        elif arg == "--log-level":
            opts["log_level"] = val
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


class CallRecord:
    """What the server sends a client while one call is in flight."""

    def __init__(self, progress: bool) -> None:
        self.logs: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.progress: list[dict[str, Any]] | None = [] if progress else None

    async def on_progress(self, progress: float, total: float | None, message: str | None) -> None:
        assert self.progress is not None
        entry: dict[str, Any] = {"progress": progress, "total": total}
        if message is not None:
            entry["message"] = message
        self.progress.append(entry)

    def fields(self) -> dict[str, Any]:
        # Copies: a callback that fires after the call settled must not change the line.
        out: dict[str, Any] = {"logs": list(self.logs), "requests": list(self.requests)}
        if self.progress is not None:
            out["progress"] = list(self.progress)
        return out


class Callbacks:
    """The client's answers to the server (from --elicit/--sample/--roots) and its log sink."""

    def __init__(self, opts: dict[str, Any]) -> None:
        self.opts = opts
        self.current: CallRecord | None = None
        # Change notifications, kept for the `changes` op: every method, and the
        # uri of each resources/updated.
        self.changes: list[str] = []
        self.updated: list[str] = []

    def kwargs(self) -> dict[str, Any]:
        # The SDK advertises a capability exactly when its callback is given.
        out: dict[str, Any] = {"logging_callback": self.on_log, "message_handler": self.on_message}
        if "elicit" in self.opts:
            out["elicitation_callback"] = self.on_elicit
        if "sample" in self.opts:
            out["sampling_callback"] = self.on_sample
        if "roots" in self.opts:
            out["list_roots_callback"] = self.on_list_roots
        return out

    def _note(self, kind: str, entry: dict[str, Any]) -> None:
        if self.current is not None:
            getattr(self.current, kind).append(entry)

    async def on_log(self, params: types.LoggingMessageNotificationParams) -> None:
        entry: dict[str, Any] = {"level": params.level, "data": params.data}
        if params.logger is not None:
            entry["logger"] = params.logger
        self._note("logs", entry)

    async def on_message(self, message: Any) -> None:
        # Gets every server notification the session surfaces (after the typed
        # callbacks), and transport exceptions, which are none of our business here.
        if isinstance(message, types.ResourceUpdatedNotification):
            self.changes.append(message.method)
            self.updated.append(message.params.uri)
        elif isinstance(
            message,
            (
                types.ToolListChangedNotification,
                types.PromptListChangedNotification,
                types.ResourceListChangedNotification,
            ),
        ):
            self.changes.append(message.method)
        elif isinstance(message, Exception) and os.environ.get("MCP_CLIENT_DEBUG"):
            print(f"py_client: transport error: {message!r}", file=sys.stderr)
        await anyio.lowlevel.checkpoint()

    async def on_elicit(self, ctx: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        self._note("requests", {"method": "elicitation/create", "params": dump(params)})
        return types.ElicitResult.model_validate(self.opts["elicit"])

    async def on_sample(self, ctx: Any, params: types.CreateMessageRequestParams) -> types.CreateMessageResult:
        self._note("requests", {"method": "sampling/createMessage", "params": dump(params)})
        return types.CreateMessageResult(
            role="assistant",
            content=types.TextContent(type="text", text=self.opts["sample"]),
            model="test-model",
            stop_reason="endTurn",
        )

    async def on_list_roots(self, ctx: Any) -> types.ListRootsResult:
        self._note("requests", {"method": "roots/list", "params": None})
        return types.ListRootsResult(roots=[types.Root.model_validate(r) for r in self.opts["roots"]])


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


async def run_op(client: Client, op: dict[str, Any], trace: HttpTrace, callbacks: Callbacks) -> dict[str, Any]:
    kind = op.get("op")
    if kind == "sleep":
        await anyio.sleep(op.get("ms", 0) / 1000)
        return {"op": "sleep", "ms": op.get("ms", 0)}
    if kind == "changes":
        deadline = anyio.current_time() + op.get("ms", 5000) / 1000
        while len(callbacks.changes) < op.get("count", 1) and anyio.current_time() < deadline:
            await anyio.sleep(0.02)
        return {"op": "changes", "methods": list(callbacks.changes), "updated": list(callbacks.updated)}
    trace.error_statuses.clear()
    try:
        if kind == "list":
            # cache_mode="bypass": every list op must reach the server, even
            # if an earlier one returned a ttlMs > 0.
            result = await client.list_tools(cache_mode="bypass")
            return {"op": "list", "tools": [dump(t) for t in result.tools]}
        if kind == "call":
            record = CallRecord(bool(op.get("progress")))
            callbacks.current = record
            try:
                result = await client.call_tool(
                    op["name"],
                    op.get("args") or {},
                    progress_callback=record.on_progress if record.progress is not None else None,
                )
                return {"op": "call", "ok": True, "result": dump(result), **record.fields()}
            except Exception as e:
                return {"op": "call", **error_fields(e, trace), **record.fields()}
            finally:
                callbacks.current = None
        if kind == "subscribe":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MCPDeprecationWarning)
                await client.subscribe_resource(op["uri"])
            return {"op": "subscribe", "ok": True, "uri": op["uri"]}
        return {"op": kind, "ok": False, "error": f"unknown op {kind!r}", "code": None, "httpStatus": None}
    except Exception as e:  # an op failure is data for the test, not a crash
        return {"op": kind, **error_fields(e, trace)}


async def set_log_level(client: Client, level: str, modern: bool, trace: HttpTrace) -> dict[str, Any]:
    if modern:
        # Client(log_level=...) already stamps it on every request.
        return {"op": "setLevel", "ok": True, "level": level, "via": "_meta"}
    trace.error_statuses.clear()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            await client.set_logging_level(level)  # type: ignore[arg-type]
        return {"op": "setLevel", "ok": True, "level": level, "via": "logging/setLevel"}
    except Exception as e:
        return {"op": "setLevel", **error_fields(e, trace)}


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
        callbacks = Callbacks(opts)
        client = Client(
            server,
            mode=mode,
            read_timeout_seconds=timeout_s,
            # No effect on a legacy connection (there logging/setLevel governs, see below).
            log_level=opts.get("log_level"),
            **callbacks.kwargs(),
        )
        try:
            await client.__aenter__()
        except Exception as e:  # incl. ExceptionGroup from the transport's task group
            print(f"py_client: connect failed: {type(e).__name__}: {e!r}", file=sys.stderr)
            emit({"op": "connect", **error_fields(e, trace)})
            return 1
        try:
            info = client.server_info
            modern = client.protocol_version in MODERN_PROTOCOL_VERSIONS
            emit(
                {
                    "op": "connect",
                    "ok": True,
                    "protocolVersion": client.protocol_version,
                    "era": "modern" if modern else "legacy",
                    "serverInfo": dump(info),
                    "sessionId": trace.session_id,
                }
            )
            if "log_level" in opts:
                emit(await set_log_level(client, opts["log_level"], modern, trace))
            for op in opts["ops"]:
                emit(await run_op(client, op, trace, callbacks))
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
