//! Parsing of the attributes: `#[mcp_server(...)]`, `#[tool(...)]`, and doc comments.

use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitStr};

use crate::ctxt::Ctxt;

/// `#[mcp_server(name = "..", version = "..", title = "..", instructions = "..",
/// session = Type, reinit = "reject" | "restore")]`.
#[derive(Default)]
pub struct ServerAttrs {
    pub name: Option<LitStr>,
    pub version: Option<LitStr>,
    pub title: Option<LitStr>,
    pub instructions: Option<LitStr>,
    /// The key (for spans) and the type of the session state.
    pub session: Option<(syn::Path, syn::Type)>,
    pub reinit: Option<LitStr>,
    pub icon: Option<LitStr>,
}

const SERVER_KEYS: &str = "`name`, `version`, `title`, `instructions`, `icon`, `session`, `reinit`";

impl ServerAttrs {
    pub fn parse(cx: &Ctxt, args: proc_macro2::TokenStream) -> Self {
        let mut attrs = Self::default();
        let parser = syn::meta::parser(|meta| {
            let slot = match meta.path.get_ident().map(|i| i.to_string()).as_deref() {
                Some("name") => &mut attrs.name,
                Some("version") => &mut attrs.version,
                Some("title") => &mut attrs.title,
                Some("instructions") => &mut attrs.instructions,
                Some("reinit") => &mut attrs.reinit,
                Some("icon") => &mut attrs.icon,
                Some("session") => {
                    let ty: syn::Type = meta.value()?.parse()?;
                    if attrs.session.is_some() {
                        return Err(meta.error("this attribute is given twice"));
                    }
                    attrs.session = Some((meta.path.clone(), ty));
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

/// `#[tool(name = "..", title = "..", read_only, destructive, idempotent, open_world)]`.
#[derive(Default)]
pub struct ToolAttrs {
    pub name: Option<LitStr>,
    pub title: Option<LitStr>,
    pub read_only: Option<bool>,
    pub destructive: Option<bool>,
    pub idempotent: Option<bool>,
    pub open_world: Option<bool>,
    /// `task = "optional" | "required"`.
    pub task: Option<LitStr>,
    pub icon: Option<LitStr>,
}

const TOOL_KEYS: &str =
    "`name`, `title`, `icon`, `read_only`, `destructive`, `idempotent`, `open_world`, `task`";

impl ToolAttrs {
    /// Parses one `#[tool]` or `#[tool(...)]` attribute.
    pub fn parse(cx: &Ctxt, attr: &Attribute) -> Self {
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

fn unknown_key(meta: &ParseNestedMeta<'_>, what: &str, expected: &str) -> syn::Error {
    let path = &meta.path;
    let key = quote::quote!(#path).to_string().replace(' ', "");
    meta.error(format!(
        "unknown {what} attribute `{key}`; expected one of {expected}"
    ))
}

fn set_once(slot: &mut Option<LitStr>, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    let value: LitStr = meta.value()?.parse()?;
    if slot.is_some() {
        return Err(meta.error("this attribute is given twice"));
    }
    *slot = Some(value);
    Ok(())
}

// A hint is a bare flag (`read_only`) or an explicit boolean (`read_only = false`).
fn set_flag(slot: &mut Option<bool>, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    let value = if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<syn::LitBool>()?.value
    } else {
        true
    };
    if slot.is_some() {
        return Err(meta.error("this attribute is given twice"));
    }
    *slot = Some(value);
    Ok(())
}

/// The text of `///` comments, one line each, without the space after `///`.
pub fn doc_text(attrs: &[Attribute]) -> Option<String> {
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

/// Whether an attribute is `#[name]` or `#[name(...)]`, also through a path like `mcp_runtime::name`.
pub fn is_attr(attr: &Attribute, name: &str) -> bool {
    attr.path().segments.last().is_some_and(|s| s.ident == name)
}

/// `#[resource("uri or template", name = "..", title = "..", mime_type = "..")]`.
pub struct ResourceAttrs {
    pub uri: LitStr,
    pub name: Option<LitStr>,
    pub title: Option<LitStr>,
    pub mime_type: Option<LitStr>,
}

const RESOURCE_KEYS: &str = "`name`, `title`, `mime_type`";

impl ResourceAttrs {
    pub fn parse(cx: &Ctxt, attr: &Attribute) -> Option<Self> {
        let result = attr.parse_args_with(|input: syn::parse::ParseStream<'_>| {
            let uri: LitStr = input.parse()?;
            let mut attrs = Self {
                uri,
                name: None,
                title: None,
                mime_type: None,
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

/// `#[prompt(name = "..", title = "..")]`.
#[derive(Default)]
pub struct PromptAttrs {
    pub name: Option<LitStr>,
    pub title: Option<LitStr>,
}

impl PromptAttrs {
    pub fn parse(cx: &Ctxt, attr: &Attribute) -> Self {
        let mut attrs = Self::default();
        if matches!(attr.meta, syn::Meta::Path(_)) {
            return attrs;
        }
        let result = attr.parse_nested_meta(|meta| {
            let slot = match meta.path.get_ident().map(|i| i.to_string()).as_deref() {
                Some("name") => &mut attrs.name,
                Some("title") => &mut attrs.title,
                _ => return Err(unknown_key(&meta, "prompt", "`name`, `title`")),
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
pub struct CompleteAttrs {
    pub prompt: Option<LitStr>,
    pub resource: Option<LitStr>,
    pub argument: Option<LitStr>,
}

impl CompleteAttrs {
    pub fn parse(cx: &Ctxt, attr: &Attribute) -> Self {
        let mut attrs = Self::default();
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
        if let Err(e) = result {
            cx.syn_error(e);
        }
        attrs
    }
}
