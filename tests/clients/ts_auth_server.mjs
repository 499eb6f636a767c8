// Runs the OAuth authorization server that the official TypeScript SDK ships for its examples
// (@modelcontextprotocol/sdk, examples/server/demoInMemoryOAuthProvider.js): dynamic client
// registration, authorization code with PKCE (it authorizes at once, no login page), opaque
// access tokens bound to the resource, and token introspection at /introspect.
//
//   MCP_CLIENT_NODE_MODULES=CACHE_DIR/node/node_modules node ts_auth_server.mjs PORT RESOURCE_URL
//
// Prints one JSON line with its metadata (including `introspection_endpoint`) once it listens,
// then serves until killed.

import { createRequire } from 'node:module';
import path from 'node:path';

const [port, resource] = process.argv.slice(2);
if (!port || !resource) {
    process.stderr.write('usage: ts_auth_server.mjs PORT RESOURCE_URL\n');
    process.exit(2);
}
const modules = process.env.MCP_CLIENT_NODE_MODULES;
const require = createRequire(modules ? path.join(modules, 'noop.js') : import.meta.url);
const { setupAuthServer } = require('@modelcontextprotocol/sdk/examples/server/demoInMemoryOAuthProvider.js');

const metadata = setupAuthServer({
    authServerUrl: new URL(`http://127.0.0.1:${port}`),
    mcpServerUrl: new URL(resource),
    strictResource: true
});
// setupAuthServer listens asynchronously: say so once the port answers.
for (let i = 0; i < 100; i++) {
    try {
        const res = await fetch(`http://127.0.0.1:${port}/.well-known/oauth-authorization-server`);
        if (res.ok) break;
    } catch {}
    await new Promise(r => setTimeout(r, 50));
}
process.stdout.write(JSON.stringify(metadata) + '\n');
