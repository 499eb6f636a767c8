//! Everything static about a server, serialized once at start-up for each revision.

use schemars::generate::SchemaSettings;
use serde::Serialize;
use serde_json::{Value, json};

use super::{ServerDescription, ToolDef};
use crate::protocol::{
    CacheScope, DiscoverResult, Era, ErrorObject, Icon, Implementation, InitializeResult,
    JsonObject, ListChangedCapability, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, META_SERVER_INFO, Modern, Prompt, PromptArgument,
    ProtocolVersion, Resource, ResourceTemplate, ResourcesCapability, SUPPORTED_VERSIONS,
    ServerCapabilities, Tool,
};

/// How long clients may cache lists and discovery (2026-07-28 `ttlMs`), in milliseconds.
const CACHE_TTL_MS: u64 = 60_000;

/// A list method's result, in pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum List {
    Tools,
    Resources,
    Templates,
    Prompts,
}

impl List {
    const ALL: [Self; 4] = [Self::Tools, Self::Resources, Self::Templates, Self::Prompts];

    fn tag(self) -> &'static str {
        match self {
            Self::Tools => "tools",
            Self::Resources => "resources",
            Self::Templates => "templates",
            Self::Prompts => "prompts",
        }
    }
}

/// Pre-serialized results, one per revision: `initialize`, `server/discover`, and every page of
/// every list.
#[derive(Debug)]
pub(crate) struct Catalog {
    initialize: [Vec<u8>; SUPPORTED_VERSIONS.len()],
    /// By list, by revision, by page.
    lists: [[Vec<Vec<u8>>; SUPPORTED_VERSIONS.len()]; 4],
    discover: Vec<u8>,
    /// The tools that mirror parameters in headers: (tool, [(parameter, header)]).
    param_headers: Vec<(&'static str, &'static [(&'static str, &'static str)])>,
    /// The tools that may run as tasks.
    tasks: Vec<(&'static str, super::TaskSupport)>,
    /// The tools that need OAuth scopes.
    scoped: Vec<(&'static str, &'static [&'static str])>,
    /// The resources that need some: (URI or template, whether a template, scopes).
    scoped_resources: Vec<(&'static str, bool, &'static [&'static str])>,
    /// The prompts that need some.
    scoped_prompts: Vec<(&'static str, &'static [&'static str])>,
    /// The tools that take a `Context`: the only ones that can send messages or ask. With the
    /// log bridge on, every tool: any handler may log.
    contexts: Vec<&'static str>,
}

impl Catalog {
    /// Builds every result from the server's description; lists have `page_size` items a page.
    pub(crate) fn new(desc: &ServerDescription, page_size: usize) -> Self {
        let tools: Vec<ToolSchemas> = desc.tools.iter().map(ToolSchemas::new).collect();
        let page_size = page_size.max(1);
        let lists = List::ALL.map(|list| {
            SUPPORTED_VERSIONS.map(|v| match list {
                List::Tools => {
                    let items = tools.iter().map(|t| t.to_tool(v)).collect();
                    paginate(items, v, list, page_size, |tools, next_cursor| {
                        ListToolsResult {
                            tools,
                            next_cursor,
                            meta: None,
                        }
                    })
                }
                List::Resources => paginate(
                    resources(desc),
                    v,
                    list,
                    page_size,
                    |resources, next_cursor| ListResourcesResult {
                        resources,
                        next_cursor,
                        meta: None,
                    },
                ),
                List::Templates => paginate(
                    templates(desc),
                    v,
                    list,
                    page_size,
                    |resource_templates, next_cursor| ListResourceTemplatesResult {
                        resource_templates,
                        next_cursor,
                        meta: None,
                    },
                ),
                List::Prompts => paginate(
                    prompts(desc, v),
                    v,
                    list,
                    page_size,
                    |prompts, next_cursor| ListPromptsResult {
                        prompts,
                        next_cursor,
                        meta: None,
                    },
                ),
            })
        });
        Self {
            initialize: SUPPORTED_VERSIONS.map(|v| to_bytes(&initialize_result(desc, v))),
            lists,
            discover: to_bytes(&discover_result(desc)),
            param_headers: desc
                .tools
                .iter()
                .filter(|t| !t.headers.is_empty())
                .map(|t| (t.name, t.headers))
                .collect(),
            tasks: desc
                .tools
                .iter()
                .filter(|t| t.task != super::TaskSupport::Forbidden)
                .map(|t| (t.name, t.task))
                .collect(),
            scoped: desc
                .tools
                .iter()
                .filter(|t| !t.scopes.is_empty())
                .map(|t| (t.name, t.scopes))
                .collect(),
            scoped_resources: desc
                .resources
                .iter()
                .filter(|r| !r.scopes.is_empty())
                .map(|r| (r.uri, r.template, r.scopes))
                .collect(),
            scoped_prompts: desc
                .prompts
                .iter()
                .filter(|p| !p.scopes.is_empty())
                .map(|p| (p.name, p.scopes))
                .collect(),
            contexts: desc
                .tools
                .iter()
                .filter(|t| t.context || super::bridge::on())
                .map(|t| t.name)
                .collect(),
        }
    }

    /// The `initialize` result for a negotiated legacy revision.
    pub(crate) fn initialize(&self, v: ProtocolVersion) -> &[u8] {
        &self.initialize[v.index()]
    }

    /// A page of a list for a revision: the first without a cursor. An unknown cursor is -32602.
    pub(crate) fn list(
        &self,
        list: List,
        v: ProtocolVersion,
        cursor: Option<&str>,
    ) -> Result<&[u8], ErrorObject> {
        let pages = &self.lists[list as usize][v.index()];
        let page = match cursor {
            None => 0,
            Some(cursor) => parse_cursor(list, cursor)
                .filter(|p| *p < pages.len())
                .ok_or_else(|| ErrorObject::invalid_params(format!("invalid cursor: {cursor}")))?,
        };
        Ok(&pages[page])
    }

    /// The parameters a tool mirrors in `Mcp-Param-*` headers; empty for most tools.
    pub(crate) fn param_headers(&self, tool: &str) -> &'static [(&'static str, &'static str)] {
        self.param_headers
            .iter()
            .find(|(name, _)| *name == tool)
            .map_or(&[], |(_, h)| h)
    }

    /// Whether a tool runs as a task for clients of the tasks extension, and its name as its
    /// description holds it.
    pub(crate) fn task_support(&self, tool: &str) -> (super::TaskSupport, &'static str) {
        self.tasks
            .iter()
            .find(|(name, _)| *name == tool)
            .map_or((super::TaskSupport::Forbidden, ""), |(name, t)| (*t, *name))
    }

    /// The OAuth scopes a caller needs to call `tool` (none for most tools; the list searched
    /// holds only the tools that need some).
    pub(crate) fn scopes(&self, tool: &str) -> &'static [&'static str] {
        self.scoped
            .iter()
            .find(|(name, _)| *name == tool)
            .map_or(&[], |(_, scopes)| scopes)
    }

    /// The scopes a caller needs to read `uri`: those of the resource it names (an exact URI
    /// first, then a template), none for most.
    pub(crate) fn resource_scopes(&self, uri: &str) -> &'static [&'static str] {
        let exact = self
            .scoped_resources
            .iter()
            .find(|(u, t, _)| !t && *u == uri);
        let templated = || {
            self.scoped_resources.iter().find(|(u, t, _)| {
                *t && crate::protocol::uri_template::match_uri_template(u, uri).is_some()
            })
        };
        exact
            .or_else(templated)
            .map_or(&[], |(_, _, scopes)| scopes)
    }

    /// The scopes a caller needs to get the prompt `name`.
    pub(crate) fn prompt_scopes(&self, name: &str) -> &'static [&'static str] {
        self.scoped_prompts
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(&[], |(_, scopes)| scopes)
    }

    /// The name of a tool that takes a `Context`, as its description holds it; `None` for the
    /// others, which can neither send messages before their result nor ask for input. The lists
    /// searched here hold only such tools, so a plain call searches few or none.
    pub(crate) fn context_tool(&self, tool: &str) -> Option<&'static str> {
        self.contexts.iter().copied().find(|name| *name == tool)
    }

    /// The `server/discover` result.
    pub(crate) fn discover(&self) -> &[u8] {
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
            icons: self.def.icon.filter(|_| v.has_icons()).map(icons),
            // Tasks are served through the 2026-07-28 extension only.
            execution: (v.era() == Era::Modern && self.def.task != super::TaskSupport::Forbidden)
                .then(|| {
                    JsonObject::from_iter([(
                        "taskSupport".to_owned(),
                        self.def.task.as_str().into(),
                    )])
                }),
            // Every tool is listed, so that a client can call it and meet the scope
            // challenge (403) that tells it which scopes to ask for; the scopes are marked.
            meta: (!self.def.scopes.is_empty())
                .then(|| JsonObject::from_iter([(SCOPES_META.to_owned(), json!(self.def.scopes))])),
        }
    }
}

/// The `_meta` key under which a tool lists the OAuth scopes it needs.
pub(crate) const SCOPES_META: &str = "oauth/scopes";

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
        resources: (!desc.resources.is_empty()).then_some(ResourcesCapability {
            subscribe: Some(true),
            list_changed: Some(true),
        }),
        prompts: (!desc.prompts.is_empty()).then(|| list_changed.clone()),
        completions: completable.then(JsonObject::new),
        logging: Some(JsonObject::new()),
        ..ServerCapabilities::default()
    }
}

fn resources(desc: &ServerDescription) -> Vec<Resource> {
    desc.resources
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
            meta: scopes_meta(r.scopes),
        })
        .collect()
}

fn templates(desc: &ServerDescription) -> Vec<ResourceTemplate> {
    desc.resources
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
            meta: scopes_meta(r.scopes),
        })
        .collect()
}

fn prompts(desc: &ServerDescription, v: ProtocolVersion) -> Vec<Prompt> {
    desc.prompts
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
            meta: scopes_meta(p.scopes),
        })
        .collect()
}

/// Every item is listed, so that a client can meet the scope challenge (403) that tells it
/// which scopes to ask for; the scopes an item needs are marked in its `_meta`.
fn scopes_meta(scopes: &[&str]) -> Option<JsonObject> {
    (!scopes.is_empty()).then(|| JsonObject::from_iter([(SCOPES_META.to_owned(), json!(scopes))]))
}

/// A list split into pages of `page_size`, each serialized in the revision's shape (cacheable in
/// 2026-07-28), all but the last with the cursor of the next.
fn paginate<T: Clone, R: Serialize>(
    items: Vec<T>,
    v: ProtocolVersion,
    list: List,
    page_size: usize,
    wrap: impl Fn(Vec<T>, Option<String>) -> R,
) -> Vec<Vec<u8>> {
    let chunks: Vec<&[T]> = if items.is_empty() {
        vec![&[]]
    } else {
        items.chunks(page_size).collect()
    };
    let last = chunks.len() - 1;
    chunks
        .iter()
        .enumerate()
        .map(|(n, chunk)| {
            let result = wrap(chunk.to_vec(), (n < last).then(|| cursor(list, n + 1)));
            match v.era() {
                Era::Modern => {
                    to_bytes(&Modern::cacheable(result, CACHE_TTL_MS, CacheScope::Public))
                }
                Era::Legacy => to_bytes(&result),
            }
        })
        .collect()
}

/// An opaque cursor: which list, which page.
fn cursor(list: List, page: usize) -> String {
    crate::protocol::base64::base64_url(format!("{}:{page}", list.tag()).as_bytes())
}

fn parse_cursor(list: List, cursor: &str) -> Option<usize> {
    let decoded = String::from_utf8(crate::protocol::base64::base64_url_decode(cursor)?).ok()?;
    let (tag, page) = decoded.split_once(':')?;
    if tag != list.tag() {
        return None;
    }
    page.parse().ok()
}

fn icons(src: &str) -> Vec<Icon> {
    vec![Icon {
        src: src.into(),
        mime_type: None,
        sizes: None,
        theme: None,
    }]
}

fn server_info(desc: &ServerDescription, v: ProtocolVersion) -> Implementation {
    Implementation {
        title: desc.title.map(Into::into),
        icons: desc.icon.filter(|_| v.has_icons()).map(icons),
        ..Implementation::new(desc.name, desc.version)
    }
}

fn initialize_result(desc: &ServerDescription, v: ProtocolVersion) -> InitializeResult {
    InitializeResult {
        protocol_version: v.as_str().into(),
        capabilities: capabilities(desc),
        server_info: server_info(desc, v),
        instructions: desc.instructions.map(Into::into),
        meta: None,
    }
}

fn discover_result(desc: &ServerDescription) -> Modern<DiscoverResult> {
    let mut capabilities = capabilities(desc);
    if desc
        .tools
        .iter()
        .any(|t| t.task != super::TaskSupport::Forbidden)
    {
        let extension = (super::tasks::EXTENSION.to_owned(), json!({}));
        capabilities.extensions = Some(JsonObject::from_iter([extension]));
    }
    let info = serde_json::to_value(server_info(desc, ProtocolVersion::LATEST))
        .expect("implementation info serializes");
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

fn to_bytes(v: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(v).expect("static results serialize")
}
