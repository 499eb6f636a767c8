//! Cross-cutting rules, each a small function. A user error is found here or in parsing,
//! never first in expansion.

use std::collections::HashMap;

use syn::{Attribute, FnArg, Type};

use crate::ast::{
    CompleteFn, Output, Param, ParamKind, ResourceFn, Server, Tool, last_segment_is, methods,
};
use crate::attr::{METHOD_ATTRS, is_attr};
use crate::ctxt::Ctxt;

mod features;

use features::check_features;

pub(crate) fn check(cx: &Ctxt, server: &Server<'_>) {
    check_inherent(cx, server);
    check_one_role(cx, server);
    check_unique_names(cx, server);
    check_reinit_value(cx, server);
    check_one_policy(cx, server);
    check_state_has_policy(cx, server);
    for handler in &server.reinit_handlers {
        check_reinit_handler(cx, handler);
        check_plain_fn(cx, &handler.sig, "on_reinit");
        check_no_tool_param_attrs(cx, &handler.sig, "on_reinit");
    }
    check_one_init_handler(cx, server);
    for handler in &server.init_handlers {
        check_init_handler(cx, handler);
        check_plain_fn(cx, &handler.sig, "on_initialize");
        check_no_tool_param_attrs(cx, &handler.sig, "on_initialize");
    }
    check_features(cx, server);
    for tool in &server.tools {
        check_name(cx, tool);
        check_receiver(cx, tool);
        check_not_generic(cx, tool);
        check_plain_fn(cx, &tool.method.sig, "tool");
        check_at_most_one(cx, &tool.params, ParamKind::Context, "tool");
        check_at_most_one(cx, &tool.params, ParamKind::Session, "tool");
        check_user_param(cx, server, &tool.params, &tool.method.sig, "tool");
        check_whole_arguments(cx, tool);
        check_argument_count(cx, tool);
        check_header_targets(cx, tool);
        check_task_value(cx, tool);
        check_task_is_async(cx, tool);
        check_output(cx, tool);
    }
}

// `#[mcp_server]` goes on an inherent impl of a concrete type.
fn check_inherent(cx: &Ctxt, server: &Server<'_>) {
    if let Some((_, path, _)) = &server.item.trait_ {
        cx.error_spanned_by(path, "`#[mcp_server]` goes on an inherent impl block (`impl MyServer { ... }`), not a trait impl");
    }
    if !server.item.generics.params.is_empty() {
        cx.error_spanned_by(
            &server.item.generics,
            "`#[mcp_server]` impl blocks cannot be generic",
        );
    }
}

// A method has one role: a second helper attribute would be ignored or register it twice.
fn check_one_role(cx: &Ctxt, server: &Server<'_>) {
    let name_of = |a: &Attribute| METHOD_ATTRS.into_iter().find(|n| is_attr(a, n));
    for method in methods(server.item) {
        let mut roles = method.attrs.iter().filter_map(|a| Some((a, name_of(a)?)));
        if let (Some((_, first)), Some((attr, _))) = (roles.next(), roles.next()) {
            let message = format!(
                "`{}` is already a `#[{first}]`; a method takes one of `#[tool]`, `#[resource]`, `#[prompt]`, `#[complete]`, `#[on_reinit]`, `#[on_initialize]`",
                method.sig.ident
            );
            cx.error_spanned_by(attr, message);
        }
    }
}

// Tool names are unique within a server.
fn check_unique_names(cx: &Ctxt, server: &Server<'_>) {
    let mut seen = HashMap::new();
    for tool in &server.tools {
        if let Some(first) = seen.insert(tool.name.as_str(), tool.ident()) {
            cx.syn_error(syn::Error::new(
                tool.name_span,
                format!(
                    "duplicate tool name `{}`; the method `{first}` already uses it",
                    tool.name
                ),
            ));
        }
    }
}

// Tool names match `[A-Za-z0-9_.-]{1,128}`, as the spec asks.
fn check_name(cx: &Ctxt, tool: &Tool<'_>) {
    let valid = (1..=128).contains(&tool.name.len())
        && tool
            .name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if !valid {
        cx.syn_error(syn::Error::new(
            tool.name_span,
            format!(
                "invalid tool name `{}`; use 1 to 128 of `A-Z`, `a-z`, `0-9`, `_`, `-`, `.`",
                tool.name
            ),
        ));
    }
}

// Tools take `&self`: the server is shared by every concurrent call.
fn check_receiver(cx: &Ctxt, tool: &Tool<'_>) {
    let sig = &tool.method.sig;
    match sig.inputs.first() {
        Some(FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_none() => {}
        Some(FnArg::Receiver(r)) => cx.error_spanned_by(
            r,
            "`#[tool]` methods take `&self`, not `self` or `&mut self`",
        ),
        _ => cx.error_spanned_by(
            &sig.ident,
            "`#[tool]` methods take `&self` as their first parameter",
        ),
    }
}

// A tool's schema is fixed at compile time, so its method cannot be generic.
fn check_not_generic(cx: &Ctxt, tool: &Tool<'_>) {
    let generics = &tool.method.sig.generics;
    if !generics.params.is_empty() || generics.where_clause.is_some() {
        cx.error_spanned_by(
            generics,
            "`#[tool]` methods cannot be generic; use concrete parameter types",
        );
    }
    for param in &tool.params {
        if matches!(param.ty, Type::ImplTrait(_)) {
            cx.error_spanned_by(
                param.ty,
                "`#[tool]` parameters cannot be `impl Trait`; use a concrete type",
            );
        }
    }
}

// Methods with a role are safe, non-const, non-variadic functions: generated code calls them.
fn check_plain_fn(cx: &Ctxt, sig: &syn::Signature, what: &str) {
    if let Some(unsafety) = &sig.unsafety {
        cx.error_spanned_by(unsafety, format!("`#[{what}]` methods cannot be `unsafe`"));
    }
    if let Some(constness) = &sig.constness {
        cx.error_spanned_by(constness, format!("`#[{what}]` methods cannot be `const`"));
    }
    if let Some(variadic) = &sig.variadic {
        cx.error_spanned_by(variadic, format!("`#[{what}]` methods cannot be variadic"));
    }
}

// At most one `Context`, `Session` and `User` parameter: each call has one of each.
fn check_at_most_one(cx: &Ctxt, params: &[Param<'_>], kind: ParamKind, what: &str) {
    let mut found = params.iter().filter(|p| p.kind == kind);
    if let (Some(_), Some(second)) = (found.next(), found.next()) {
        let kind = match kind {
            ParamKind::Session => "Session",
            ParamKind::User => "User",
            _ => "Context",
        };
        cx.error_spanned_by(
            second.ty,
            format!("a `#[{what}]` method takes at most one `{kind}` parameter"),
        );
    }
}

// A `User<T>` parameter: one at most, the server declares `T` (so that every method sees the
// same state), and the method is async (the state is read and written with `.await`).
fn check_user_param(
    cx: &Ctxt,
    server: &Server<'_>,
    params: &[Param<'_>],
    sig: &syn::Signature,
    what: &str,
) {
    check_at_most_one(cx, params, ParamKind::User, what);
    let Some(user) = params.iter().find(|p| p.kind == ParamKind::User) else {
        return;
    };
    if server.attrs.user.is_none() {
        cx.error_spanned_by(
            user.ty,
            "a `User<T>` parameter needs the server to declare the state it keeps per caller: \
             `#[mcp_server(user = T)]` (an argument of a generic type of your own named `User` \
             needs another name for it, such as a type alias)",
        );
    }
    if sig.asyncness.is_none() {
        cx.error_spanned_by(
            user.ty,
            format!(
                "a `#[{what}]` method with a `User<T>` parameter is an `async fn`: the caller's \
                 state is read and written with `.await`"
            ),
        );
    }
}

// The return type is one a tool result can be built from.
fn check_output(cx: &Ctxt, tool: &Tool<'_>) {
    if let Output::Unsupported(ty) = &tool.output {
        cx.error_spanned_by(
            ty,
            "unsupported tool return type; expected a type that implements `Serialize + JsonSchema`, `String`, `Content`, `Vec<Content>`, `CallToolResult`, `()`, or a `Result` of one",
        );
    }
}

// `#[arguments]` takes the whole arguments object: no other argument beside it.
fn check_whole_arguments(cx: &Ctxt, tool: &Tool<'_>) {
    if let Some(whole) = tool.whole()
        && let Some(other) = tool.params.iter().find(|p| {
            p.kind == ParamKind::Argument || (p.kind == ParamKind::Whole && p.ident != whole.ident)
        })
    {
        cx.error_spanned_by(
            other.ident,
            "a tool with an `#[arguments]` parameter takes no other arguments",
        );
    }
}

// `#[header("..")]` mirrors an argument's value; other parameters have no value to mirror.
fn check_header_targets(cx: &Ctxt, tool: &Tool<'_>) {
    for param in tool.params.iter().filter(|p| p.kind != ParamKind::Argument) {
        if let Some(header) = &param.header {
            cx.error_spanned_by(
                header,
                "`#[header(\"..\")]` goes on an argument of the tool, not on a `Context`, `Session`, `User` or `#[arguments]` parameter",
            );
        }
    }
}

// `#[arguments]` and `#[header]` shape a tool's input schema; other methods have none.
fn check_no_tool_param_attrs(cx: &Ctxt, sig: &syn::Signature, what: &str) {
    let attrs = sig.inputs.iter().flat_map(|arg| match arg {
        FnArg::Typed(pt) => pt.attrs.as_slice(),
        FnArg::Receiver(_) => &[],
    });
    for attr in attrs {
        if let Some(name) = ["arguments", "header"]
            .into_iter()
            .find(|n| attr.path().is_ident(n))
        {
            cx.error_spanned_by(
                attr,
                format!("`#[{name}]` goes on a parameter of a `#[tool]` method, not of a `#[{what}]` method"),
            );
        }
    }
}

// `reinit = ".."` names a policy that exists.
fn check_reinit_value(cx: &Ctxt, server: &Server<'_>) {
    if let Some(lit) = &server.attrs.reinit
        && !matches!(lit.value().as_str(), "reject" | "restore")
    {
        let message = format!(
            "unknown `reinit` policy `{}`; expected `\"reject\"` or `\"restore\"`, or an `#[on_reinit]` method",
            lit.value()
        );
        cx.error_spanned_by(lit, message);
    }
}

// One policy: a single `#[on_reinit]` handler, or `reinit = ".."`, not both.
fn check_one_policy(cx: &Ctxt, server: &Server<'_>) {
    for extra in server.reinit_handlers.iter().skip(1) {
        cx.error_spanned_by(
            &extra.sig.ident,
            "a server has at most one `#[on_reinit]` handler",
        );
    }
    if let (Some(lit), Some(handler)) = (&server.attrs.reinit, server.reinit_handlers.first()) {
        let message = format!(
            "choose one re-initialization policy: `reinit = {:?}` or the `#[on_reinit]` method `{}`",
            lit.value(),
            handler.sig.ident
        );
        cx.error_spanned_by(lit, message);
    }
}

// A server whose sessions carry state states what happens when one is gone.
fn check_state_has_policy(cx: &Ctxt, server: &Server<'_>) {
    let Some((key, ty)) = &server.attrs.session else {
        return;
    };
    if server.attrs.reinit.is_some() || !server.reinit_handlers.is_empty() {
        return;
    }
    let ty = quote::quote!(#ty).to_string();
    cx.error_spanned_by(
        key,
        format!(
            "`session = {ty}` needs a re-initialization policy for sessions that expire while their client lives on: \
             add a method `#[on_reinit] async fn on_reinit(&self, req: ReinitRequest) -> Reinit<{ty}>` that resumes or rejects, \
             or choose `#[mcp_server(reinit = \"reject\")]` (HTTP 404: the client must initialize again) \
             or `#[mcp_server(reinit = \"restore\")]` (replay the record a persistent store retains)"
        ),
    );
}

// `#[on_reinit] async fn name(&self, req: ReinitRequest) -> Reinit<State>`.
fn check_reinit_handler(cx: &Ctxt, handler: &syn::ImplItemFn) {
    let sig = &handler.sig;
    if sig.asyncness.is_none() {
        cx.error_spanned_by(sig.fn_token, "an `#[on_reinit]` handler is an `async fn`");
    }
    let by_ref = |r: &syn::Receiver| r.reference.is_some() && r.mutability.is_none();
    if !matches!(sig.inputs.first(), Some(FnArg::Receiver(r)) if by_ref(r)) {
        cx.error_spanned_by(
            &sig.ident,
            "an `#[on_reinit]` handler is a method taking `&self`",
        );
        return;
    }
    let args: Vec<_> = sig.inputs.iter().skip(1).collect();
    let is_request =
        |a: &FnArg| matches!(a, FnArg::Typed(pt) if last_segment_is(&pt.ty, "ReinitRequest"));
    if args.len() != 1 || !is_request(args[0]) {
        let message = "an `#[on_reinit]` handler takes one argument, `req: ReinitRequest`";
        match args.first() {
            Some(arg) => cx.error_spanned_by(arg, message),
            None => cx.error_spanned_by(&sig.inputs, message),
        }
    }
    if matches!(sig.output, syn::ReturnType::Default) {
        cx.error_spanned_by(
            &sig.ident,
            "an `#[on_reinit]` handler returns `Reinit<State>`, with the server's session state",
        );
    }
    if !sig.generics.params.is_empty() {
        cx.error_spanned_by(&sig.generics, "an `#[on_reinit]` handler cannot be generic");
    }
}

// `task = ".."` is `optional` or `required`.
fn check_task_value(cx: &Ctxt, tool: &Tool<'_>) {
    if let Some(lit) = &tool.attrs.task
        && !matches!(lit.value().as_str(), "optional" | "required")
    {
        cx.error_spanned_by(
            lit,
            format!(
                "unknown `task` value `{}`; expected `\"optional\"` or `\"required\"`",
                lit.value()
            ),
        );
    }
}

// A task is a call that waits: a synchronous tool returns before it could become one.
fn check_task_is_async(cx: &Ctxt, tool: &Tool<'_>) {
    if let Some(lit) = &tool.attrs.task
        && matches!(lit.value().as_str(), "optional" | "required")
        && !tool.is_async()
    {
        let message = format!(
            "`task = {:?}` needs an `async fn`; a synchronous tool returns before it could become a task",
            lit.value()
        );
        cx.error_spanned_by(lit, message);
    }
}

// A server has at most one `#[on_initialize]` handler.
fn check_one_init_handler(cx: &Ctxt, server: &Server<'_>) {
    for extra in server.init_handlers.iter().skip(1) {
        cx.error_spanned_by(
            &extra.sig.ident,
            "a server has at most one `#[on_initialize]` handler",
        );
    }
}

// `#[on_initialize] async fn name(&self, session: NewSession) -> State`.
fn check_init_handler(cx: &Ctxt, handler: &syn::ImplItemFn) {
    let sig = &handler.sig;
    if sig.asyncness.is_none() {
        cx.error_spanned_by(
            sig.fn_token,
            "an `#[on_initialize]` handler is an `async fn`",
        );
    }
    let by_ref = |r: &syn::Receiver| r.reference.is_some() && r.mutability.is_none();
    if !matches!(sig.inputs.first(), Some(FnArg::Receiver(r)) if by_ref(r)) {
        cx.error_spanned_by(
            &sig.ident,
            "an `#[on_initialize]` handler is a method taking `&self`",
        );
        return;
    }
    let args: Vec<_> = sig.inputs.iter().skip(1).collect();
    let is_new = |a: &FnArg| matches!(a, FnArg::Typed(pt) if last_segment_is(&pt.ty, "NewSession"));
    if args.len() != 1 || !is_new(args[0]) {
        cx.error_spanned_by(
            &sig.inputs,
            "an `#[on_initialize]` handler takes one argument, `session: NewSession`",
        );
    }
    if matches!(sig.output, syn::ReturnType::Default) {
        cx.error_spanned_by(
            &sig.ident,
            "an `#[on_initialize]` handler returns the server's session state",
        );
    }
    if !sig.generics.params.is_empty() {
        cx.error_spanned_by(
            &sig.generics,
            "an `#[on_initialize]` handler cannot be generic",
        );
    }
}

/// The runtime reads at most 12 plain parameters; more belong in one `#[arguments]` struct.
fn check_argument_count(cx: &Ctxt, tool: &Tool<'_>) {
    if let Some(extra) = tool.arguments().nth(12) {
        cx.error_spanned_by(
            extra.ident,
            "a tool takes at most 12 parameters; gather them in a struct deriving `Deserialize` and `JsonSchema` and take it as `#[arguments] args: MyArgs`",
        );
    }
}
