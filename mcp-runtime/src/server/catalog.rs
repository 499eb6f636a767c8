//! Everything static about a server, serialized once at start-up for each revision.

use schemars::generate::SchemaSettings;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::{ServerDescription, ToolDef};
use crate::protocol::{META_SERVER_INFO, ProtocolVersion, SUPPORTED_VERSIONS};

/// How long clients may cache lists and discovery (2026-07-28 `ttlMs`), in milliseconds.
const CACHE_TTL_MS: u64 = 60_000;

/// Pre-serialized results, one per revision: `initialize`, `server/discover`, `tools/list`.
#[derive(Debug)]
pub struct Catalog {
    initialize: [Vec<u8>; SUPPORTED_VERSIONS.len()],
    tools_list: [Vec<u8>; SUPPORTED_VERSIONS.len()],
    discover: Vec<u8>,
}

impl Catalog {
    /// Builds every result from the server's description.
    pub fn new(desc: &ServerDescription) -> Self {
        let tools: Vec<ToolSchemas> = desc.tools.iter().map(ToolSchemas::new).collect();
        Self {
            initialize: SUPPORTED_VERSIONS.map(|v| to_bytes(&initialize_result(desc, v))),
            tools_list: SUPPORTED_VERSIONS.map(|v| to_bytes(&tools_list_result(&tools, v))),
            discover: to_bytes(&discover_result(desc)),
        }
    }

    /// The `initialize` result for a negotiated legacy revision.
    pub fn initialize(&self, v: ProtocolVersion) -> &[u8] {
        &self.initialize[v.index()]
    }

    /// The `tools/list` result for a revision.
    pub fn tools_list(&self, v: ProtocolVersion) -> &[u8] {
        &self.tools_list[v.index()]
    }

    /// The `server/discover` result.
    pub fn discover(&self) -> &[u8] {
        &self.discover
    }
}

struct ToolSchemas {
    def: &'static ToolDef,
    input: Value,
    output: Option<Value>,
}

impl ToolSchemas {
    fn new(def: &'static ToolDef) -> Self {
        let input = root_schema(def.input_schema);
        let output = def
            .output_schema
            .map(root_schema)
            .filter(|s| s.get("type") == Some(&json!("object")));
        Self { def, input, output }
    }

    fn to_json(&self, v: ProtocolVersion) -> Value {
        let mut tool = Map::new();
        tool.insert("name".into(), self.def.name.into());
        if let (Some(title), true) = (self.def.title, v.has_titles()) {
            tool.insert("title".into(), title.into());
        }
        if let Some(description) = self.def.description {
            tool.insert("description".into(), description.into());
        }
        tool.insert("inputSchema".into(), self.input.clone());
        if let (Some(output), true) = (&self.output, v.has_structured_output()) {
            tool.insert("outputSchema".into(), output.clone());
        }
        if !self.def.annotations.is_empty() {
            tool.insert(
                "annotations".into(),
                serde_json::to_value(self.def.annotations).expect("annotations"),
            );
        }
        Value::Object(tool)
    }
}

// A root schema in JSON Schema 2020-12; the generated arguments struct's name is no title.
fn root_schema(f: fn(&mut schemars::SchemaGenerator) -> schemars::Schema) -> Value {
    let mut value = f(&mut SchemaSettings::draft2020_12().into_generator()).to_value();
    if let Some(obj) = value.as_object_mut()
        && obj
            .get("title")
            .and_then(Value::as_str)
            .is_some_and(|t| t.starts_with("__mcp_"))
    {
        obj.remove("title");
    }
    value
}

fn capabilities(desc: &ServerDescription) -> Value {
    let mut caps = Map::new();
    if !desc.tools.is_empty() {
        caps.insert("tools".into(), json!({}));
    }
    caps.insert("logging".into(), json!({}));
    Value::Object(caps)
}

fn server_info(desc: &ServerDescription) -> Value {
    let mut info = json!({ "name": desc.name, "version": desc.version });
    if let Some(title) = desc.title {
        info["title"] = title.into();
    }
    info
}

fn initialize_result(desc: &ServerDescription, v: ProtocolVersion) -> Value {
    let mut result = json!({
        "protocolVersion": v,
        "capabilities": capabilities(desc),
        "serverInfo": server_info(desc),
    });
    if let Some(instructions) = desc.instructions {
        result["instructions"] = instructions.into();
    }
    result
}

fn discover_result(desc: &ServerDescription) -> Value {
    let mut result = modern_envelope();
    result["supportedVersions"] = json!(SUPPORTED_VERSIONS);
    result["capabilities"] = capabilities(desc);
    result["_meta"] = json!({ META_SERVER_INFO: server_info(desc) });
    if let Some(instructions) = desc.instructions {
        result["instructions"] = instructions.into();
    }
    result
}

fn tools_list_result(tools: &[ToolSchemas], v: ProtocolVersion) -> Value {
    let list: Vec<Value> = tools.iter().map(|t| t.to_json(v)).collect();
    let mut result = match v.era() {
        crate::protocol::Era::Modern => modern_envelope(),
        crate::protocol::Era::Legacy => json!({}),
    };
    result["tools"] = Value::Array(list);
    result
}

// The fields every cacheable 2026-07-28 result carries.
fn modern_envelope() -> Value {
    json!({ "resultType": "complete", "ttlMs": CACHE_TTL_MS, "cacheScope": "public" })
}

fn to_bytes(v: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(v).expect("static results serialize")
}
