// Drive the official TypeScript MCP SDK client (@modelcontextprotocol/sdk 1.32.x) from a test.
//
//   MCP_CLIENT_NODE_MODULES=CACHE_DIR/node/node_modules node ts_client.mjs \
//       [--header 'Name: value']... [--ops JSON] [--timeout-ms N] [--elicit JSON] [--sample TEXT]
//       [--roots JSON] [--log-level LEVEL] (--http URL | --stdio CMD [ARGS...])
//
// Finding the SDK: this script lives in the repo, the SDK in the cache dir that
// tests/clients/install.sh fills, and ESM `import` ignores NODE_PATH. So we build
// a CommonJS `require` rooted at $MCP_CLIENT_NODE_MODULES (falling back to normal
// lookup from the cwd) and load the SDK through its package `exports`; that picks
// the SDK's CJS build, compiled from the same sources as its ESM build.
//
// `--stdio` must come last: everything after it is the server command. The server
// inherits our full environment (the SDK would otherwise pass only HOME/PATH/...)
// and our stderr.
//
// TS 1.32.x only speaks the legacy handshake (initialize at 2025-11-25), so there
// is no --mode here; the flag is accepted and ignored for symmetry with py_client.
//
// Client features (each declares its capability only when given):
//   --elicit JSON      declare `elicitation` and answer every elicitation/create with this
//                      ElicitResult, e.g. '{"action":"accept","content":{"name":"Ada"}}'
//   --sample TEXT      declare `sampling` and answer every sampling/createMessage with an
//                      assistant text message TEXT (model "test-model", stopReason "endTurn")
//   --roots JSON       declare `roots` and answer roots/list with this array of Root
//   --log-level LEVEL  send logging/setLevel LEVEL right after connecting
//   --oauth URL        authenticate with the SDK's OAuth flow (discovery from the server's 401,
//                      dynamic registration, authorization code with PKCE, token), URL being
//                      the redirect URI; the authorization URL is followed at once, as a user
//                      who approves would, and the connect line gets "authorized":true
//
// stdout carries one JSON object per line, nothing else:
//   {"op":"connect","ok":true,"protocolVersion":..,"era":"legacy","serverInfo":..,"sessionId":..}
//   or, if connecting failed, {"op":"connect","ok":false,...error fields as for call...} and exit 1
//   {"op":"setLevel","ok":true,"level":"..","via":"logging/setLevel"} (or the error fields) when
//   --log-level is given
//   {"op":"list","tools":[<Tool as parsed by the SDK>...]}
//   {"op":"call","ok":true,"result":<CallToolResult as parsed by the SDK>,"logs":[..]}
//   {"op":"call","ok":false,"error":"..","code":<JSON-RPC code or HTTP status|null>,"httpStatus":<int|null>,"errorType":"..","logs":[..]}
//   {"op":"subscribe","ok":true,"uri":".."} (or the error fields) for {"op":"subscribe","uri":".."},
//   which sends resources/subscribe for that uri
//   {"op":"changes","methods":[..],"updated":[..]} for {"op":"changes","count":N,"ms":M} (both
//   optional, default 1 and 5000): waits up to M ms until at least N notifications have been
//   recorded, then reports all of them (since connecting, not just since the last changes op).
//   "methods" lists, in arrival order, every notifications/tools/list_changed,
//   notifications/prompts/list_changed, notifications/resources/list_changed and
//   notifications/resources/updated method that arrived, whatever the stream (the server sends
//   them outside calls: on the session's GET stream, or the connection itself over stdio); "updated"
//   lists the uri of each notifications/resources/updated among them, in arrival order.
//   The client opens the GET stream in the background after connecting, so a change raised
//   right after connecting can be missed; put a short {"op":"sleep","ms":..} first.
//   {"op":"sleep","ms":N}
// A call op {"op":"call","name":..,"args":..,"progress":true} sends a progress token, and its
// line gets "progress":[{"progress":N,"total":N,"message":".."(if any)},...] in arrival order.
// "logs" lists the notifications/message that arrived while the call was in flight, in
// arrival order, as {"level":..,"data":..,"logger":..(if any)}; "requests" likewise lists the
// server-to-client requests the client answered, as {"method":..,"params":..}.
// A failing op never stops the remaining ops. Exit 0 once all ops ran; exit 1
// (also with a message on stderr) if connecting failed; exit 2 on bad usage.
// Set MCP_CLIENT_DEBUG=1 to log transport errors (e.g. a failed GET stream) to stderr.

import { createRequire } from 'node:module';
import path from 'node:path';

const USAGE =
    "usage: ts_client.mjs [--header 'Name: value']... [--ops JSON] [--timeout-ms N] [--elicit JSON] [--sample TEXT]" +
    ' [--roots JSON] [--log-level LEVEL] (--http URL | --stdio CMD [ARGS...])';

function dieUsage(msg) {
    process.stderr.write(`ts_client: ${msg}\n${USAGE}\n`);
    process.exit(2);
}

function parseArgs(argv) {
    // Hand-rolled: `--stdio` swallows the rest verbatim, even option-like words.
    const opts = { headers: {}, ops: [{ op: 'list' }], timeoutMs: 30000 };
    for (let i = 0; i < argv.length; ) {
        const arg = argv[i];
        if (arg === '--stdio') {
            opts.stdio = argv.slice(i + 1);
            if (opts.stdio.length === 0) dieUsage('--stdio needs a command');
            break;
        }
        if (i + 1 >= argv.length) dieUsage(`${arg} needs a value`);
        const val = argv[i + 1];
        i += 2;
        if (arg === '--http') opts.http = val;
        else if (arg === '--mode') {
            if (val !== 'default' && val !== 'legacy') dieUsage(`bad --mode ${val}`);
        } else if (arg === '--header') {
            const colon = val.indexOf(':');
            if (colon <= 0) dieUsage(`bad --header ${val}`);
            opts.headers[val.slice(0, colon).trim()] = val.slice(colon + 1).trim();
        } else if (arg === '--ops') {
            opts.ops = JSON.parse(val);
            if (!Array.isArray(opts.ops)) dieUsage('--ops must be a JSON array');
        } else if (arg === '--timeout-ms') opts.timeoutMs = Number(val);
        else if (arg === '--elicit') opts.elicit = JSON.parse(val);
        else if (arg === '--sample') opts.sample = val;
        else if (arg === '--roots') {
            opts.roots = JSON.parse(val);
            if (!Array.isArray(opts.roots)) dieUsage('--roots must be a JSON array');
        } else if (arg === '--log-level') opts.logLevel = val;
        else if (arg === '--oauth') opts.oauthRedirect = val;
        else dieUsage(`unknown option ${arg}`);
    }
    if ((opts.http === undefined) === (opts.stdio === undefined)) dieUsage('exactly one of --http / --stdio is required');
    return opts;
}

const emit = obj => process.stdout.write(JSON.stringify(obj) + '\n');

const opts = parseArgs(process.argv.slice(2));
const nodeModules = process.env.MCP_CLIENT_NODE_MODULES;
// createRequire wants a file path; resolution starts in its directory.
const require = createRequire(nodeModules ? path.join(path.resolve(nodeModules), 'x.js') : path.join(process.cwd(), 'x.js'));
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport, StreamableHTTPError } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');
const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');
const {
    McpError,
    ElicitRequestSchema,
    CreateMessageRequestSchema,
    ListRootsRequestSchema,
    LoggingMessageNotificationSchema,
    ToolListChangedNotificationSchema,
    PromptListChangedNotificationSchema,
    ResourceListChangedNotificationSchema,
    ResourceUpdatedNotificationSchema
} = require('@modelcontextprotocol/sdk/types.js');

const debug = !!process.env.MCP_CLIENT_DEBUG;
const capabilities = {};
if (opts.elicit !== undefined) capabilities.elicitation = { form: {} };
if (opts.sample !== undefined) capabilities.sampling = {};
if (opts.roots !== undefined) capabilities.roots = { listChanged: true };
const client = new Client({ name: 'mcp-e2e-ts-client', version: '0.0.0' }, { capabilities });
client.onerror = err => debug && process.stderr.write(`ts_client: transport error: ${err?.stack ?? err}\n`);

// What arrives while a call is in flight; runOp swaps in a fresh record per call.
let current = null;
const note = (kind, entry) => current?.[kind].push(entry);
// List changes and resource updates arrive outside any call (on the session's stream); the
// `changes` op reports them: every method in `changes`, resources/updated uris also in `updated`.
const changes = [];
const updated = [];
for (const schema of [
    ToolListChangedNotificationSchema,
    PromptListChangedNotificationSchema,
    ResourceListChangedNotificationSchema
]) {
    client.setNotificationHandler(schema, n => changes.push(n.method));
}
client.setNotificationHandler(ResourceUpdatedNotificationSchema, n => {
    changes.push(n.method);
    updated.push(n.params.uri);
});
client.setNotificationHandler(LoggingMessageNotificationSchema, n => {
    const { level, data, logger } = n.params;
    note('logs', logger === undefined ? { level, data } : { level, data, logger });
});
if (opts.elicit !== undefined) {
    client.setRequestHandler(ElicitRequestSchema, req => {
        note('requests', { method: req.method, params: req.params });
        return opts.elicit;
    });
}
if (opts.sample !== undefined) {
    client.setRequestHandler(CreateMessageRequestSchema, req => {
        note('requests', { method: req.method, params: req.params });
        return { role: 'assistant', content: { type: 'text', text: opts.sample }, model: 'test-model', stopReason: 'endTurn' };
    });
}
if (opts.roots !== undefined) {
    client.setRequestHandler(ListRootsRequestSchema, req => {
        note('requests', { method: req.method, params: req.params ?? null });
        return { roots: opts.roots };
    });
}

// --oauth REDIRECT_URL: the SDK's own OAuth flow. On the server's 401 it discovers the protected
// resource metadata and the authorization server, registers a client, and sends the user to
// authorize (with PKCE and the resource indicator); "the user" here follows that URL at once
// and takes the code from the redirect, which the transport then exchanges for a token.
let oauth = null;
if (opts.oauthRedirect !== undefined) {
    const { InMemoryOAuthClientProvider } = require('@modelcontextprotocol/sdk/examples/client/simpleOAuthClientProvider.js');
    oauth = { code: null };
    oauth.provider = new InMemoryOAuthClientProvider(
        opts.oauthRedirect,
        {
            client_name: 'mcp-e2e-ts-client',
            redirect_uris: [opts.oauthRedirect],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            token_endpoint_auth_method: 'client_secret_post'
        },
        url => {
            oauth.code = fetch(url, { redirect: 'manual' }).then(res => {
                const location = res.headers.get('location');
                if (!location) throw new Error(`authorization answered ${res.status} without a redirect`);
                return new URL(location).searchParams.get('code');
            });
        }
    );
}

const makeHttpTransport = () =>
    // requestInit.headers go on every POST, GET and DELETE the transport makes.
    new StreamableHTTPClientTransport(new URL(opts.http), {
        requestInit: { headers: opts.headers },
        ...(oauth ? { authProvider: oauth.provider } : {})
    });

let transport;
if (opts.http !== undefined) {
    transport = makeHttpTransport();
} else {
    transport = new StdioClientTransport({
        command: opts.stdio[0],
        args: opts.stdio.slice(1),
        env: { ...process.env },
        stderr: 'inherit'
    });
}

// Protocol.connect() chains any onmessage already set, so this tap sees raw
// messages; it is how we learn the negotiated version over stdio, where the
// transport does not record it.
let initializeVersion = null;
const tap = t => {
    t.onmessage = msg => {
        if (initializeVersion === null && typeof msg?.result?.protocolVersion === 'string') {
            initializeVersion = msg.result.protocolVersion;
        }
    };
};
tap(transport);

const reqOpts = { timeout: opts.timeoutMs };

function errorLine(op, err) {
    let code = null;
    let httpStatus = null;
    if (err instanceof McpError) code = err.code;
    else if (err instanceof StreamableHTTPError) {
        // HTTP-level failure: the SDK throws with the status as `code` and the
        // body text in the message (-1 means "unexpected content type"). Prefer
        // a JSON-RPC error code from that body, as py_client reports it.
        code = err.code;
        if (err.code > 0) httpStatus = err.code;
        const body = err.message.indexOf('{');
        try {
            const rpcCode = JSON.parse(err.message.slice(body)).error.code;
            if (body >= 0 && Number.isInteger(rpcCode)) code = rpcCode;
        } catch {}
    }
    const errorType = err?.constructor?.name ?? typeof err;
    const out = { op, ok: false, error: err?.message ?? String(err), code, httpStatus, errorType };
    if (err instanceof McpError && err.data !== undefined) out.data = err.data;
    return out;
}

async function runOp(op) {
    switch (op.op) {
        case 'sleep':
            await new Promise(r => setTimeout(r, op.ms ?? 0));
            return { op: 'sleep', ms: op.ms ?? 0 };
        case 'changes': {
            // Waits up to `ms` for at least `count` change notifications.
            const deadline = Date.now() + (op.ms ?? 5000);
            while (changes.length < (op.count ?? 1) && Date.now() < deadline) {
                await new Promise(r => setTimeout(r, 20));
            }
            return { op: 'changes', methods: [...changes], updated: [...updated] };
        }
        case 'subscribe':
            try {
                await client.subscribeResource({ uri: op.uri }, reqOpts);
                return { op: 'subscribe', ok: true, uri: op.uri };
            } catch (err) {
                return errorLine('subscribe', err);
            }
        case 'list':
            try {
                const res = await client.listTools(undefined, reqOpts);
                return { op: 'list', tools: res.tools };
            } catch (err) {
                return errorLine('list', err);
            }
        case 'call': {
            const record = { logs: [], requests: [] };
            const callOpts = { ...reqOpts };
            if (op.progress) {
                record.progress = [];
                callOpts.onprogress = p => {
                    const { progress, total, message } = p;
                    const entry = { progress, total };
                    if (message !== undefined) entry.message = message;
                    record.progress.push(entry);
                };
            }
            current = record;
            let line;
            try {
                const result = await client.callTool({ name: op.name, arguments: op.args ?? {} }, undefined, callOpts);
                line = { op: 'call', ok: true, result };
            } catch (err) {
                line = errorLine('call', err);
            } finally {
                current = null;
            }
            // Snapshot at the moment the call settled: anything later is not "during the call".
            return { ...line, ...JSON.parse(JSON.stringify(record)) };
        }
        default:
            return { op: op.op, ok: false, error: `unknown op ${JSON.stringify(op.op)}`, code: null, httpStatus: null };
    }
}

try {
    try {
        await client.connect(transport, reqOpts);
    } catch (err) {
        const { UnauthorizedError } = require('@modelcontextprotocol/sdk/client/auth.js');
        if (!oauth || !(err instanceof UnauthorizedError) || !oauth.code) throw err;
        // Authorized by now: exchange the code, then connect again with the token.
        await transport.finishAuth(await oauth.code);
        transport = makeHttpTransport();
        tap(transport);
        await client.connect(transport, reqOpts);
    }
} catch (err) {
    process.stderr.write(`ts_client: connect failed: ${err?.stack ?? err}\n`);
    emit(errorLine('connect', err));
    await client.close().catch(() => {});
    process.exit(1);
}

emit({
    op: 'connect',
    ok: true,
    protocolVersion: transport.protocolVersion ?? initializeVersion,
    era: 'legacy',
    serverInfo: client.getServerVersion() ?? null,
    sessionId: transport.sessionId ?? null,
    ...(oauth ? { authorized: oauth.code !== null } : {})
});
if (opts.logLevel !== undefined) {
    try {
        await client.setLoggingLevel(opts.logLevel, reqOpts);
        emit({ op: 'setLevel', ok: true, level: opts.logLevel, via: 'logging/setLevel' });
    } catch (err) {
        emit(errorLine('setLevel', err));
    }
}
for (const op of opts.ops) emit(await runOp(op));

// Client.close() does not DELETE the session; do it like a well-behaved app
// would, but never let a failure there fail a run whose ops all completed.
if (transport instanceof StreamableHTTPClientTransport && transport.sessionId) {
    await transport.terminateSession().catch(err => process.stderr.write(`ts_client: warning: DELETE failed: ${err?.message ?? err}\n`));
}
await client.close().catch(err => process.stderr.write(`ts_client: warning: close failed: ${err?.message ?? err}\n`));
// A reconnecting GET stream or a stubborn child can keep the event loop alive.
process.exit(0);
