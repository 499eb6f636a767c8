// hello (add, echo) on the official TypeScript SDK, stateful streamable HTTP with JSON
// responses, for the load generator's cross-SDK comparison. NODE_PATH-free: the SDK is
// resolved from MCP_CLIENT_NODE_MODULES.
import http from "node:http";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";

const require = createRequire(process.env.MCP_CLIENT_NODE_MODULES + "/x.js");
const { McpServer } = require("@modelcontextprotocol/sdk/server/mcp.js");
const { StreamableHTTPServerTransport } = require("@modelcontextprotocol/sdk/server/streamableHttp.js");
const { isInitializeRequest } = require("@modelcontextprotocol/sdk/types.js");
const { z } = require("zod");

function hello() {
  const server = new McpServer({ name: "ts-hello", version: "0.1.0" });
  server.registerTool(
    "add",
    {
      description: "Add two integers.",
      inputSchema: { a: z.number().int(), b: z.number().int() },
      outputSchema: { sum: z.number().int() },
    },
    async ({ a, b }) => {
      const sum = { sum: a + b };
      return { content: [{ type: "text", text: JSON.stringify(sum) }], structuredContent: sum };
    },
  );
  server.registerTool(
    "echo",
    { description: "Return the text unchanged.", inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: "text", text }] }),
  );
  return server;
}

const sessions = new Map();
const httpServer = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
  const sid = req.headers["mcp-session-id"];
  let transport = sid ? sessions.get(sid) : undefined;
  if (!transport) {
    if (sid || !isInitializeRequest(body)) {
      res.writeHead(404).end();
      return;
    }
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (id) => sessions.set(id, transport),
    });
    await hello().connect(transport);
  }
  await transport.handleRequest(req, res, body);
});
httpServer.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
  const { port } = httpServer.address();
  console.error(`ts-hello serving MCP at http://127.0.0.1:${port}/mcp`);
});
