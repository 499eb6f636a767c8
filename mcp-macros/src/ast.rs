//! The model of an `#[mcp_server]` impl block. It keeps the user's syntax nodes for spans.

use proc_macro2::Span;
use syn::{Attribute, FnArg, Ident, ImplItem, ImplItemFn, ItemImpl, LitStr, Pat, ReturnType, Type};

use crate::attr::{
    CompleteAttrs, PromptAttrs, ResourceAttrs, ServerAttrs, ToolAttrs, doc_text, is_attr,
};
use crate::ctxt::Ctxt;

pub(crate) struct Server<'a> {
    pub(crate) item: &'a ItemImpl,
    pub(crate) attrs: ServerAttrs,
    pub(crate) tools: Vec<Tool<'a>>,
    /// Methods marked `#[on_reinit]` (a valid server has at most one).
    pub(crate) reinit_handlers: Vec<&'a ImplItemFn>,
    /// Methods marked `#[on_initialize]` (a valid server has at most one).
    pub(crate) init_handlers: Vec<&'a ImplItemFn>,
    pub(crate) resources: Vec<ResourceFn<'a>>,
    pub(crate) prompts: Vec<PromptFn<'a>>,
    pub(crate) completions: Vec<CompleteFn<'a>>,
}

/// A `#[resource]` method.
pub(crate) struct ResourceFn<'a> {
    pub(crate) method: &'a ImplItemFn,
    pub(crate) attrs: ResourceAttrs,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    /// The template's variables, in order; empty for a fixed URI.
    pub(crate) vars: Vec<String>,
    pub(crate) template: bool,
    pub(crate) params: Vec<Param<'a>>,
}

/// A `#[prompt]` method.
pub(crate) struct PromptFn<'a> {
    pub(crate) method: &'a ImplItemFn,
    pub(crate) attrs: PromptAttrs,
    pub(crate) name: String,
    pub(crate) name_span: Span,
    pub(crate) description: Option<String>,
    pub(crate) params: Vec<Param<'a>>,
}

/// A `#[complete]` method.
pub(crate) struct CompleteFn<'a> {
    pub(crate) method: &'a ImplItemFn,
    pub(crate) attrs: CompleteAttrs,
    pub(crate) attr: &'a Attribute,
}

pub(crate) struct Tool<'a> {
    pub(crate) method: &'a ImplItemFn,
    pub(crate) attrs: ToolAttrs,
    /// The name clients call, and the span to blame for it.
    pub(crate) name: String,
    pub(crate) name_span: Span,
    pub(crate) description: Option<String>,
    pub(crate) params: Vec<Param<'a>>,
    pub(crate) output: Output<'a>,
}

pub(crate) struct Param<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    pub(crate) docs: Vec<&'a Attribute>,
    pub(crate) kind: ParamKind,
    /// `#[header("Name")]`: mirrored as the `Mcp-Param-Name` HTTP header (2026-07-28).
    pub(crate) header: Option<LitStr>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamKind {
    /// Deserialized from the arguments object.
    Argument,
    /// The call's `Context`.
    Context,
    /// The caller's `Session<T>`.
    Session,
    /// The authenticated caller's `User<T>` state.
    User,
    /// `#[arguments] args: T`: the whole arguments object, with `T`'s own schema.
    Whole,
}

/// How a tool's return value becomes a result.
pub(crate) enum Output<'a> {
    /// `()`, `String`, `&str`, `Content`, `Vec<Content>`, `CallToolResult`: converted as is.
    Direct,
    /// A `Serialize + JsonSchema` value: structured content with an output schema.
    Structured(&'a Type),
    /// `Result<T, E>` of a structured `T`.
    StructuredResult(&'a Type),
    /// Not something a tool can return.
    Unsupported(&'a Type),
}

impl<'a> Server<'a> {
    pub(crate) fn from_ast(cx: &Ctxt, attrs: ServerAttrs, item: &'a ItemImpl) -> Self {
        let marked = |name: &'static str| {
            methods(item)
                .filter_map(move |f| f.attrs.iter().find(|a| is_attr(a, name)).map(|a| (f, a)))
        };
        let tools = marked("tool")
            .map(|(f, a)| Tool::from_ast(cx, f, a))
            .collect();
        let reinit_handlers = marked("on_reinit").map(|(f, _)| f).collect();
        let init_handlers = marked("on_initialize").map(|(f, _)| f).collect();
        let resources = marked("resource")
            .filter_map(|(f, a)| ResourceFn::from_ast(cx, f, a))
            .collect();
        let prompts = marked("prompt")
            .map(|(f, a)| PromptFn::from_ast(cx, f, a))
            .collect();
        let completions = marked("complete")
            .filter_map(|(method, attr)| {
                let attrs = CompleteAttrs::parse(cx, attr)?;
                Some(CompleteFn {
                    method,
                    attrs,
                    attr,
                })
            })
            .collect();
        Self {
            item,
            attrs,
            tools,
            reinit_handlers,
            init_handlers,
            resources,
            prompts,
            completions,
        }
    }
}

impl<'a> ResourceFn<'a> {
    fn from_ast(cx: &Ctxt, method: &'a ImplItemFn, attr: &Attribute) -> Option<Self> {
        let attrs = ResourceAttrs::parse(cx, attr)?;
        let uri = attrs.uri.value();
        let vars: Vec<String> = uri
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(v, _)| v.to_owned()))
            .collect();
        let (name, _) = name_of(method, attrs.name.as_ref());
        let params = params_of(cx, method, "resource");
        Some(Self {
            template: uri.contains('{'),
            description: doc_text(&method.attrs),
            method,
            attrs,
            name,
            vars,
            params,
        })
    }
}

impl<'a> PromptFn<'a> {
    fn from_ast(cx: &Ctxt, method: &'a ImplItemFn, attr: &Attribute) -> Self {
        let attrs = PromptAttrs::parse(cx, attr);
        let (name, name_span) = name_of(method, attrs.name.as_ref());
        let params = params_of(cx, method, "prompt");
        Self {
            description: doc_text(&method.attrs),
            method,
            attrs,
            name,
            name_span,
            params,
        }
    }

    pub(crate) fn arguments(&self) -> impl Iterator<Item = &Param<'a>> {
        self.params.iter().filter(|p| p.kind == ParamKind::Argument)
    }
}

/// The name clients use (the `name = ".."` given, else the method's), and the span to blame.
fn name_of(method: &ImplItemFn, given: Option<&LitStr>) -> (String, Span) {
    match given {
        Some(lit) => (lit.value(), lit.span()),
        None => (method.sig.ident.unraw_string(), method.sig.ident.span()),
    }
}

/// The typed parameters of a `#[what]` method.
fn params_of<'a>(cx: &Ctxt, method: &'a ImplItemFn, what: &str) -> Vec<Param<'a>> {
    method
        .sig
        .inputs
        .iter()
        .filter_map(|arg| Param::from_ast(cx, arg, what))
        .collect()
}

/// Whether a type is `Option<..>`.
pub(crate) fn is_option(ty: &Type) -> bool {
    last_segment_is(ty, "Option")
}

pub(crate) fn methods(item: &ItemImpl) -> impl Iterator<Item = &ImplItemFn> {
    item.items.iter().filter_map(|i| match i {
        ImplItem::Fn(f) => Some(f),
        _ => None,
    })
}

impl<'a> Tool<'a> {
    fn from_ast(cx: &Ctxt, method: &'a ImplItemFn, attr: &Attribute) -> Self {
        let attrs = ToolAttrs::parse(cx, attr);
        let (name, name_span) = name_of(method, attrs.name.as_ref());
        let params = params_of(cx, method, "tool");
        Self {
            description: doc_text(&method.attrs),
            output: Output::from_ast(&method.sig.output),
            method,
            attrs,
            name,
            name_span,
            params,
        }
    }

    pub(crate) fn ident(&self) -> &Ident {
        &self.method.sig.ident
    }

    pub(crate) fn is_async(&self) -> bool {
        self.method.sig.asyncness.is_some()
    }

    pub(crate) fn arguments(&self) -> impl Iterator<Item = &Param<'a>> {
        self.params.iter().filter(|p| p.kind == ParamKind::Argument)
    }

    /// The `#[arguments]` parameter, if the tool takes its arguments whole.
    pub(crate) fn whole(&self) -> Option<&Param<'a>> {
        self.params.iter().find(|p| p.kind == ParamKind::Whole)
    }

    pub(crate) fn title(&self) -> Option<&LitStr> {
        self.attrs.title.as_ref()
    }
}

trait UnrawString {
    fn unraw_string(&self) -> String;
}

impl UnrawString for Ident {
    fn unraw_string(&self) -> String {
        let s = self.to_string();
        s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
    }
}

impl<'a> Param<'a> {
    // The receiver is checked in `check`; here only typed parameters count.
    fn from_ast(cx: &Ctxt, arg: &'a FnArg, what: &str) -> Option<Self> {
        let FnArg::Typed(pt) = arg else { return None };
        let Pat::Ident(pat) = &*pt.pat else {
            cx.error_spanned_by(
                &pt.pat,
                format!("`#[{what}]` parameters must be plain names, like `text: String`"),
            );
            return None;
        };
        let kind = if pt.attrs.iter().any(|a| a.path().is_ident("arguments")) {
            ParamKind::Whole
        } else if last_segment_is(&pt.ty, "Context") {
            ParamKind::Context
        } else if last_segment_is(&pt.ty, "Session") {
            ParamKind::Session
        } else if is_generic(&pt.ty, "User") {
            // `User<T>`: a plain `User` is an argument of the user's own type.
            ParamKind::User
        } else {
            ParamKind::Argument
        };
        let docs = pt
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("doc"))
            .collect();
        let header = pt
            .attrs
            .iter()
            .find(|a| a.path().is_ident("header"))
            .and_then(|a| {
                a.parse_args::<LitStr>()
                    .map_err(|e| cx.syn_error(header_error(e)))
                    .ok()
            });
        Some(Self {
            header,
            ident: &pat.ident,
            ty: &pt.ty,
            docs,
            kind,
        })
    }
}

fn header_error(e: syn::Error) -> syn::Error {
    let message = "expected `#[header(\"Name\")]`, mirrored in the `Mcp-Param-Name` HTTP header";
    syn::Error::new(e.span(), message)
}

impl<'a> Output<'a> {
    fn from_ast(ret: &'a ReturnType) -> Self {
        match ret {
            ReturnType::Default => Self::Direct,
            ReturnType::Type(_, ty) => Self::classify(ty),
        }
    }

    fn classify(ty: &'a Type) -> Self {
        match ty {
            Type::Tuple(t) if t.elems.is_empty() => Self::Direct,
            Type::Reference(r) if last_segment_is(&r.elem, "str") => Self::Direct,
            Type::Path(_) if is_direct(ty) => Self::Direct,
            Type::Path(p) if last_segment_is(ty, "Result") => match generic_args(&p.path).first() {
                Some(ok) if !is_direct(ok) => Self::StructuredResult(ok),
                Some(_) => Self::Direct,
                None => Self::Unsupported(ty),
            },
            Type::Path(_) | Type::Paren(_) | Type::Group(_) | Type::Tuple(_) | Type::Array(_) => {
                Self::Structured(ty)
            }
            _ => Self::Unsupported(ty),
        }
    }
}

/// Types that convert into a result without a schema.
fn is_direct(ty: &Type) -> bool {
    if let Type::Path(p) = ty
        && let Some(last) = p.path.segments.last()
    {
        let name = last.ident.to_string();
        return match name.as_str() {
            "String" | "Content" | "CallToolResult" => true,
            "Vec" => generic_args(&p.path)
                .first()
                .is_some_and(|t| last_segment_is(t, "Content")),
            _ => false,
        };
    }
    matches!(ty, Type::Tuple(t) if t.elems.is_empty())
        || matches!(ty, Type::Reference(r) if last_segment_is(&r.elem, "str"))
}

fn generic_args(path: &syn::Path) -> Vec<&Type> {
    match path.segments.last().map(|s| &s.arguments) {
        Some(syn::PathArguments::AngleBracketed(args)) => args
            .args
            .iter()
            .filter_map(|a| match a {
                syn::GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether `ty` is `name<..>` (any path ending in it, with generic arguments).
fn is_generic(ty: &Type, name: &str) -> bool {
    match ty {
        Type::Path(p) => p.path.segments.last().is_some_and(|s| {
            s.ident == name && matches!(s.arguments, syn::PathArguments::AngleBracketed(_))
        }),
        _ => false,
    }
}

pub(crate) fn last_segment_is(ty: &Type, name: &str) -> bool {
    match ty {
        Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == name),
        _ => false,
    }
}
