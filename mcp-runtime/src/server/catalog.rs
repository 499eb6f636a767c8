//! Everything static about a server, serialized once at start-up for each revision.

use schemars::generate::SchemaSettings;
use serde::Serialize;
use serde_json::{Value, json};

use super::{ServerDescription, ToolDef};
use crate::protocol::{
    CacheScope, DiscoverResult, Era, Implementation, InitializeResult, JsonObject,
    ListChangedCapability, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, META_SERVER_INFO, Modern, Prompt, PromptArgument, ProtocolVersion, Resource,
    ResourceTemplate, ResourcesCapability, SUPPORTED_VERSIONS, ServerCapabilities, Tool,
};

/// How long clients may cache lists and discovery (2026-07-28 `ttlMs`), in milliseconds.
const CACHE_TTL_MS: u64 = 60_000;

/// Pre-serialized results, one per revision: `initialize`, `server/discover`, `tools/list`.
#[derive(Debug)]
pub struct Catalog {
    initialize: [Vec<u8>; SUPPORTED_VERSIONS.len()],
    tools_list: [Vec<u8>; SUPPORTED_VERSIONS.len()],
    resources_list: [Vec<u8>; SUPPORTED_VERSIONS.len()],
    templates_list: [Vec<u8>; SUPPORTED_VERSIONS.len()],
    prompts_list: [Vec<u8>; SUPPORTED_VERSIONS.len()],
    discover: Vec<u8>,
    /// The tools that mirror parameters in headers: (tool, [(parameter, header)]).
    param_headers: Vec<(&'static str, &'static [(&'static str, &'static str)])>,
    /// The tools that may run as tasks.
    tasks: Vec<(&'static str, super::TaskSupport)>,
}

impl Catalog {
    /// Builds every result from the server's description.
    pub fn new(desc: &ServerDescription) -> Self {
        let tools: Vec<ToolSchemas> = desc.tools.iter().map(ToolSchemas::new).collect();
        Self {
            initialize: SUPPORTED_VERSIONS.map(|v| to_bytes(&initialize_result(desc, v))),
            tools_list: SUPPORTED_VERSIONS.map(|v| tools_list_bytes(&tools, v)),
            resources_list: SUPPORTED_VERSIONS.map(|v| list_bytes(&resources_list(desc), v)),
            templates_list: SUPPORTED_VERSIONS.map(|v| list_bytes(&templates_list(desc), v)),
            prompts_list: SUPPORTED_VERSIONS.map(|v| list_bytes(&prompts_list(desc, v), v)),
            discover: to_bytes(&discover_result(desc)),
            tasks: desc
                .tools
                .iter()
                .filter(|t| t.task != super::TaskSupport::Forbidden)
                .map(|t| (t.name, t.task))
                .collect(),
            param_headers: desc.tools.iter().filter(|t| !t.headers.is_empty()).map(|t| (t.name, t.headers)).collect(),
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

    /// The `resources/list` result for a revision.
    pub fn resources_list(&self, v: ProtocolVersion) -> &[u8] {
        &self.resources_list[v.index()]
    }

    /// The `resources/templates/list` result for a revision.
    pub fn templates_list(&self, v: ProtocolVersion) -> &[u8] {
        &self.templates_list[v.index()]
    }

    /// The `prompts/list` result for a revision.
    pub fn prompts_list(&self, v: ProtocolVersion) -> &[u8] {
        &self.prompts_list[v.index()]
    }

    /// Whether a tool runs as a task for clients of the tasks extension.
    pub fn task_support(&self, tool: &str) -> super::TaskSupport {
        self.tasks.iter().find(|(name, _)| *name == tool).map_or(super::TaskSupport::Forbidden, |(_, t)| *t)
    }

    /// The parameters a tool mirrors in `Mcp-Param-*` headers; empty for most tools.
    pub fn param_headers(&self, tool: &str) -> &'static [(&'static str, &'static str)] {
        self.param_headers.iter().find(|(name, _)| *name == tool).map_or(&[], |(_, h)| h)
    }

    /// The `server/discover` result.
    pub fn discover(&self) -> &[u8] {
        &self.discover
    }
}

struct ToolSchemas {
    def: &'static ToolDef,
    input: JsonObject,
    output: Option<JsonObject>,
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

    /// The tool as a revision describes it: no titles or output schemas before 2025-06-18.
    fn to_tool(&self, v: ProtocolVersion) -> Tool {
        let mut annotations = self.def.annotations.clone();
        if !v.has_titles() && annotations.title.is_none() {
            // 2025-03-26 knows a title only among the annotations.
            annotations.title = self.def.title.map(Into::into);
        }
        Tool {
            name: self.def.name.into(),
            title: self.def.title.filter(|_| v.has_titles()).map(Into::into),
            description: self.def.description.map(Into::into),
            input_schema: self.input.clone(),
            output_schema: self.output.clone().filter(|_| v.has_structured_output()),
            annotations: (!annotations.is_empty()).then_some(annotations),
                        icons: None,
            // Tasks are served through the 2026-07-28 extension only.
            execution: (v.era() == Era::Modern && self.def.task != super::TaskSupport::Forbidden).then(|| {
                JsonObject::from_iter([("taskSupport".to_owned(), self.def.task.as_str().into())])
            }),
            meta: None,
        }
    }
}

// A root schema in JSON Schema 2020-12; the generated arguments struct's name is no title.
fn root_schema(f: fn(&mut schemars::SchemaGenerator) -> schemars::Schema) -> JsonObject {
    let value = f(&mut SchemaSettings::draft2020_12().into_generator()).to_value();
    let mut obj = match value {
        Value::Object(obj) => obj,
        // `true`/`false` schemas: an object schema that admits anything.
        _ => JsonObject::from_iter([("type".to_owned(), json!("object"))]),
    };
    if obj
        .get("title")
        .and_then(Value::as_str)
        .is_some_and(|t| t.starts_with("__mcp_"))
    {
        obj.remove("title");
    }
    obj
}

/// What the server can do. Change notifications travel on the legacy GET stream and on
/// 2026-07-28 `subscriptions/listen` streams.
fn capabilities(desc: &ServerDescription) -> ServerCapabilities {
    let list_changed = ListChangedCapability {
        list_changed: Some(true),
    };
    let completable = !desc.prompts.is_empty() || desc.resources.iter().any(|r| r.template);
    ServerCapabilities {
        tools: (!desc.tools.is_empty()).then(|| list_changed.clone()),
        resources: (!desc.resources.is_empty()).then(|| ResourcesCapability {
            subscribe: Some(true),
            list_changed: Some(true),
        }),
        prompts: (!desc.prompts.is_empty()).then(|| list_changed.clone()),
        completions: completable.then(JsonObject::new),
        logging: Some(JsonObject::new()),
        ..ServerCapabilities::default()
    }
}

fn resources_list(desc: &ServerDescription) -> ListResourcesResult {
    let resources = desc
        .resources
        .iter()
        .filter(|r| !r.template)
        .map(|r| Resource {
            uri: r.uri.into(),
            name: r.name.into(),
            title: r.title.map(Into::into),
            description: r.description.map(Into::into),
            mime_type: r.mime_type.map(Into::into),
            size: None,
            icons: None,
            annotations: None,
            meta: None,
        })
        .collect();
    ListResourcesResult {
        resources,
        next_cursor: None,
        meta: None,
    }
}

fn templates_list(desc: &ServerDescription) -> ListResourceTemplatesResult {
    let resource_templates = desc
        .resources
        .iter()
        .filter(|r| r.template)
        .map(|r| ResourceTemplate {
            uri_template: r.uri.into(),
            name: r.name.into(),
            title: r.title.map(Into::into),
            description: r.description.map(Into::into),
            mime_type: r.mime_type.map(Into::into),
            icons: None,
            annotations: None,
            meta: None,
        })
        .collect();
    ListResourceTemplatesResult {
        resource_templates,
        next_cursor: None,
        meta: None,
    }
}

fn prompts_list(desc: &ServerDescription, v: ProtocolVersion) -> ListPromptsResult {
    let prompts = desc
        .prompts
        .iter()
        .map(|p| Prompt {
            name: p.name.into(),
            title: p.title.filter(|_| v.has_titles()).map(Into::into),
            description: p.description.map(Into::into),
            arguments: Some(
                p.arguments
                    .iter()
                    .map(|a| PromptArgument {
                        name: a.name.into(),
                        title: None,
                        description: a.description.map(Into::into),
                        required: Some(a.required),
                    })
                    .collect(),
            ),
            icons: None,
            meta: None,
        })
        .collect();
    ListPromptsResult {
        prompts,
        next_cursor: None,
        meta: None,
    }
}

/// A list result in the revision's shape: cacheable in 2026-07-28.
fn list_bytes(result: &impl Serialize, v: ProtocolVersion) -> Vec<u8> {
    match v.era() {
        Era::Modern => to_bytes(&Modern::cacheable(result, CACHE_TTL_MS, CacheScope::Public)),
        Era::Legacy => to_bytes(result),
    }
}

fn server_info(desc: &ServerDescription) -> Implementation {
    Implementation {
        title: desc.title.map(Into::into),
        ..Implementation::new(desc.name, desc.version)
    }
}

fn initialize_result(desc: &ServerDescription, v: ProtocolVersion) -> InitializeResult {
    InitializeResult {
        protocol_version: v.as_str().into(),
        capabilities: capabilities(desc),
        server_info: server_info(desc),
        instructions: desc.instructions.map(Into::into),
        meta: None,
    }
}

fn discover_result(desc: &ServerDescription) -> Modern<DiscoverResult> {
    let mut capabilities = capabilities(desc);
    if desc.tools.iter().any(|t| t.task != super::TaskSupport::Forbidden) {
        let extension = (super::tasks::EXTENSION.to_owned(), json!({}));
        capabilities.extensions = Some(JsonObject::from_iter([extension]));
    }
    let info = serde_json::to_value(server_info(desc)).expect("implementation info serializes");
    let result = DiscoverResult {
        supported_versions: SUPPORTED_VERSIONS
            .iter()
            .map(|v| v.as_str().into())
            .collect(),
        capabilities,
        instructions: desc.instructions.map(Into::into),
        meta: Some(JsonObject::from_iter([(META_SERVER_INFO.to_owned(), info)])),
    };
    Modern::cacheable(result, CACHE_TTL_MS, CacheScope::Public)
}

fn tools_list_bytes(tools: &[ToolSchemas], v: ProtocolVersion) -> Vec<u8> {
    let tools = tools.iter().map(|t| t.to_tool(v)).collect();
    list_bytes(
        &ListToolsResult {
            tools,
            next_cursor: None,
            meta: None,
        },
        v,
    )
}

fn to_bytes(v: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(v).expect("static results serialize")
}
