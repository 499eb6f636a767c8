//! Parsing of the attributes: `#[mcp_server(...)]`, `#[tool(...)]`, and doc comments.

use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, LitStr};

use crate::ctxt::Ctxt;

/// `#[mcp_server(name = "..", version = "..", title = "..", instructions = "..", icon = "..",
/// session = Type, reinit = "reject" | "restore", user = Type)]`.
#[derive(Default)]
pub(crate) struct ServerAttrs {
    pub(crate) name: Option<LitStr>,
    pub(crate) version: Option<LitStr>,
    pub(crate) title: Option<LitStr>,
    pub(crate) instructions: Option<LitStr>,
    /// The key (for spans) and the type of the session state.
    pub(crate) session: Option<(syn::Path, syn::Type)>,
    /// The key and the type of the state kept per authenticated caller.
    pub(crate) user: Option<(syn::Path, syn::Type)>,
    pub(crate) reinit: Option<LitStr>,
    pub(crate) icon: Option<LitStr>,
}

const SERVER_KEYS: &str =
    "`name`, `version`, `title`, `instructions`, `icon`, `session`, `reinit`, `user`";

impl ServerAttrs {
    pub(crate) fn parse(cx: &Ctxt, args: proc_macro2::TokenStream) -> Self {
        let mut attrs = Self::default();
        let parser = syn::meta::parser(|meta| {
            let slot = match meta.path.get_ident().map(|i| i.to_string()).as_deref() {
                Some("name") => &mut attrs.name,
                Some("version") => &mut attrs.version,
                Some("title") => &mut attrs.title,
                Some("instructions") => &mut attrs.instructions,
                Some("reinit") => &mut attrs.reinit,
                Some("icon") => &mut attrs.icon,
                Some(key @ ("session" | "user")) => {
                    let (slot, expected) = if key == "session" {
                        let e = "`session = Type`, the type of each session's state";
                        (&mut attrs.session, e)
                    } else {
                        let e =
                            "`user = Type`, the type of the state kept per authenticated caller";
                        (&mut attrs.user, e)
                    };
                    let ty: syn::Type = value_of(&meta, expected)?;
                    if slot.is_some() {
                        return Err(given_twice(&meta));
                    }
                    *slot = Some((meta.path.clone(), ty));
                    return Ok(());
                }
                _ => return Err(unknown_key(&meta, "server", SERVER_KEYS)),
            };
            set_once(slot, &meta)
        });
        if let Err(e) = syn::parse::Parser::parse2(parser, args) {
            cx.syn_error(e);
        }
        attrs
    }
}

/// `#[tool(name = "..", title = "..", icon = "..", read_only, destructive, idempotent,
/// open_world, task = "optional" | "required", scopes = ["..", ..])]`.
#[derive(Default)]
pub(crate) struct ToolAttrs {
    pub(crate) name: Option<LitStr>,
    pub(crate) title: Option<LitStr>,
    pub(crate) read_only: Option<bool>,
    pub(crate) destructive: Option<bool>,
    pub(crate) idempotent: Option<bool>,
    pub(crate) open_world: Option<bool>,
    /// `task = "optional" | "required"`.
    pub(crate) task: Option<LitStr>,
    pub(crate) icon: Option<LitStr>,
    /// `scopes = ["notes:write", ..]`: the OAuth scopes a caller needs, each checked here.
    pub(crate) scopes: Option<Vec<LitStr>>,
}

const TOOL_KEYS: &str = "`name`, `title`, `icon`, `read_only`, `destructive`, `idempotent`, \
     `open_world`, `task`, `scopes`";

impl ToolAttrs {
    /// Parses one `#[tool]` or `#[tool(...)]` attribute.
    pub(crate) fn parse(cx: &Ctxt, attr: &Attribute) -> Self {
        let mut attrs = Self::default();
        if matches!(attr.meta, syn::Meta::Path(_)) {
            return attrs;
        }
        let result = attr.parse_nested_meta(|meta| {
            let key = meta.path.get_ident().map(|i| i.to_string());
            let hint = match key.as_deref() {
                Some("name") => return set_once(&mut attrs.name, &meta),
                Some("title") => return set_once(&mut attrs.title, &meta),
                Some("task") => return set_once(&mut attrs.task, &meta),
                Some("icon") => return set_once(&mut attrs.icon, &meta),
                Some("scopes") => return set_scopes(&mut attrs.scopes, &meta),
                Some("read_only") => &mut attrs.read_only,
                Some("destructive") => &mut attrs.destructive,
                Some("idempotent") => &mut attrs.idempotent,
                Some("open_world") => &mut attrs.open_world,
                _ => return Err(unknown_key(&meta, "tool", TOOL_KEYS)),
            };
            set_flag(hint, &meta)
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
        attrs
    }
}

/// `scopes = [..]`, given once.
fn set_scopes(slot: &mut Option<Vec<LitStr>>, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if slot.is_some() {
        return Err(given_twice(meta));
    }
    *slot = Some(scopes(meta)?);
    Ok(())
}

/// `scopes = ["a", "b"]`: string literals, each a valid OAuth scope token (RFC 6749 §3.3:
/// printable ASCII without space, `"` or `\`), at least one.
fn scopes(meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<LitStr>> {
    const SYNTAX: &str = "`scopes = [\"scope\", ..]`";
    let array: syn::ExprArray = value_of(meta, SYNTAX)?;
    if array.elems.is_empty() {
        return Err(syn::Error::new_spanned(
            &array,
            "`scopes` needs at least one scope; leave it out when the tool needs none",
        ));
    }
    array
        .elems
        .iter()
        .map(|elem| {
            let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(scope),
                ..
            }) = elem
            else {
                return Err(syn::Error::new_spanned(
                    elem,
                    format!("expected a string literal in {SYNTAX}"),
                ));
            };
            let value = scope.value();
            let valid = !value.is_empty()
                && value
                    .bytes()
                    .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
            if !valid {
                return Err(syn::Error::new_spanned(
                    scope,
                    format!(
                        "`{value}` is not an OAuth scope: a scope is printable ASCII without \
                         spaces, `\"` or `\\` (RFC 6749, section 3.3)"
                    ),
                ));
            }
            if value == "offline_access" {
                return Err(syn::Error::new_spanned(
                    scope,
                    "`offline_access` asks the authorization server for a refresh token; it is \
                     the client's to request, not a scope a server requires (MCP authorization, \
                     \"Refresh Tokens\")",
                ));
            }
            Ok(scope.clone())
        })
        .collect()
}

fn unknown_key(meta: &ParseNestedMeta<'_>, what: &str, expected: &str) -> syn::Error {
    let key = key_of(meta);
    meta.error(format!(
        "unknown {what} attribute `{key}`; expected one of {expected}"
    ))
}

fn given_twice(meta: &ParseNestedMeta<'_>) -> syn::Error {
    syn::Error::new_spanned(&meta.path, format!("`{}` is given twice", key_of(meta)))
}

fn key_of(meta: &ParseNestedMeta<'_>) -> String {
    let path = &meta.path;
    quote::quote!(#path).to_string().replace(' ', "")
}

/// The value after `key =`; when it is missing or malformed, an error that shows `syntax`.
fn value_of<T: syn::parse::Parse>(meta: &ParseNestedMeta<'_>, syntax: &str) -> syn::Result<T> {
    let expected = |span| syn::Error::new(span, format!("expected {syntax}"));
    if !meta.input.peek(syn::Token![=]) {
        return Err(expected(meta.path.span()));
    }
    meta.value()?;
    meta.input
        .parse()
        .map_err(|e: syn::Error| expected(e.span()))
}

// Keys with a fixed set of values show them all.
fn string_syntax(key: &str) -> String {
    match key {
        "task" => "`task = \"optional\"` or `task = \"required\"`".to_owned(),
        "reinit" => "`reinit = \"reject\"` or `reinit = \"restore\"`".to_owned(),
        _ => format!("`{key} = \"..\"`"),
    }
}

fn set_once(slot: &mut Option<LitStr>, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    let value: LitStr = value_of(meta, &string_syntax(&key_of(meta)))?;
    if slot.is_some() {
        return Err(given_twice(meta));
    }
    *slot = Some(value);
    Ok(())
}

// A hint is a bare flag (`read_only`) or an explicit boolean (`read_only = false`).
fn set_flag(slot: &mut Option<bool>, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    let value = if meta.input.peek(syn::Token![=]) {
        let key = key_of(meta);
        let syntax = format!("`{key}`, `{key} = true` or `{key} = false`");
        value_of::<syn::LitBool>(meta, &syntax)?.value
    } else {
        true
    };
    if slot.is_some() {
        return Err(given_twice(meta));
    }
    *slot = Some(value);
    Ok(())
}

/// The text of `///` comments, one line each, without the space after `///`.
pub(crate) fn doc_text(attrs: &[Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|line| {
            line.strip_prefix(' ')
                .unwrap_or(&line)
                .trim_end()
                .to_owned()
        })
        .collect();
    let text = lines.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// The attributes that give a method of an `#[mcp_server]` impl block its role.
pub(crate) const METHOD_ATTRS: [&str; 6] = [
    "tool",
    "resource",
    "prompt",
    "complete",
    "on_reinit",
    "on_initialize",
];

/// Whether an attribute is `#[name]` or `#[name(...)]`, also through a path like `mcp_runtime::name`.
pub(crate) fn is_attr(attr: &Attribute, name: &str) -> bool {
    attr.path().segments.last().is_some_and(|s| s.ident == name)
}

/// `#[resource("uri or template", name = "..", title = "..", mime_type = "..")]`.
pub(crate) struct ResourceAttrs {
    pub(crate) uri: LitStr,
    pub(crate) name: Option<LitStr>,
    pub(crate) title: Option<LitStr>,
    pub(crate) mime_type: Option<LitStr>,
    /// `scopes = [..]`, as on tools.
    pub(crate) scopes: Option<Vec<LitStr>>,
}

const RESOURCE_KEYS: &str = "`name`, `title`, `mime_type`, `scopes`";

const MISSING_URI: &str = "`#[resource]` takes its URI first, as a string: `#[resource(\"notes://today\")]`, or a template: `#[resource(\"notes://{id}\")]`";

impl ResourceAttrs {
    pub(crate) fn parse(cx: &Ctxt, attr: &Attribute) -> Option<Self> {
        if !matches!(attr.meta, syn::Meta::List(_)) {
            cx.error_spanned_by(attr.path(), MISSING_URI);
            return None;
        }
        let result = attr.parse_args_with(|input: syn::parse::ParseStream<'_>| {
            if !input.peek(LitStr) {
                return Err(input.error(MISSING_URI));
            }
            let uri: LitStr = input.parse()?;
            let mut attrs = Self {
                uri,
                name: None,
                title: None,
                mime_type: None,
                scopes: None,
            };
            if input.is_empty() {
                return Ok(attrs);
            }
            input.parse::<syn::Token![,]>()?;
            let parser = syn::meta::parser(|meta| {
                let slot = match meta.path.get_ident().map(|i| i.to_string()).as_deref() {
                    Some("name") => &mut attrs.name,
                    Some("title") => &mut attrs.title,
                    Some("mime_type") => &mut attrs.mime_type,
                    Some("scopes") => return set_scopes(&mut attrs.scopes, &meta),
                    _ => return Err(unknown_key(&meta, "resource", RESOURCE_KEYS)),
                };
                set_once(slot, &meta)
            });
            syn::parse::Parser::parse2(parser, input.parse()?)?;
            Ok(attrs)
        });
        result.map_err(|e| cx.syn_error(e)).ok()
    }
}

/// `#[prompt(name = "..", title = "..", scopes = [..])]`.
#[derive(Default)]
pub(crate) struct PromptAttrs {
    pub(crate) name: Option<LitStr>,
    pub(crate) title: Option<LitStr>,
    pub(crate) scopes: Option<Vec<LitStr>>,
}

impl PromptAttrs {
    pub(crate) fn parse(cx: &Ctxt, attr: &Attribute) -> Self {
        let mut attrs = Self::default();
        if matches!(attr.meta, syn::Meta::Path(_)) {
            return attrs;
        }
        let result = attr.parse_nested_meta(|meta| {
            let slot = match meta.path.get_ident().map(|i| i.to_string()).as_deref() {
                Some("name") => &mut attrs.name,
                Some("title") => &mut attrs.title,
                Some("scopes") => return set_scopes(&mut attrs.scopes, &meta),
                _ => return Err(unknown_key(&meta, "prompt", "`name`, `title`, `scopes`")),
            };
            set_once(slot, &meta)
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
        attrs
    }
}

/// `#[complete(prompt = "..", argument = "..")]` or `#[complete(resource = "..", argument = "..")]`.
#[derive(Default)]
pub(crate) struct CompleteAttrs {
    pub(crate) prompt: Option<LitStr>,
    pub(crate) resource: Option<LitStr>,
    pub(crate) argument: Option<LitStr>,
}

impl CompleteAttrs {
    /// `None` when the attribute does not parse: the error says why, and checks that would
    /// only repeat it are skipped.
    pub(crate) fn parse(cx: &Ctxt, attr: &Attribute) -> Option<Self> {
        let mut attrs = Self::default();
        // A bare `#[complete]` lacks what `check` asks for; one error from there says which.
        if matches!(attr.meta, syn::Meta::Path(_)) {
            return Some(attrs);
        }
        let result = attr.parse_nested_meta(|meta| {
            let slot = match meta.path.get_ident().map(|i| i.to_string()).as_deref() {
                Some("prompt") => &mut attrs.prompt,
                Some("resource") => &mut attrs.resource,
                Some("argument") => &mut attrs.argument,
                _ => {
                    return Err(unknown_key(
                        &meta,
                        "complete",
                        "`prompt`, `resource`, `argument`",
                    ));
                }
            };
            set_once(slot, &meta)
        });
        result.map_err(|e| cx.syn_error(e)).ok()?;
        Some(attrs)
    }
}
