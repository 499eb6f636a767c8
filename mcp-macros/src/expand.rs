//! Code generation: per tool, one arguments struct and one dispatch arm; per server, one
//! `Server` impl with a static tool table.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{ImplItem, ItemImpl};

use crate::ast::{Output, ParamKind, Server, Tool};
use crate::attr::{METHOD_ATTRS, ServerAttrs, is_attr};
use crate::check::check;
use crate::ctxt::Ctxt;

/// `#[mcp_server]`: the user's impl block (helper attributes stripped), then either the
/// generated `Server` impl or the errors plus a fallback impl.
pub(crate) fn server(args: TokenStream, input: TokenStream) -> TokenStream {
    let cx = Ctxt::default();
    let attrs = ServerAttrs::parse(&cx, args);
    let item: ItemImpl = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(_) => {
            let e = syn::Error::new(
                Span::call_site(),
                "`#[mcp_server]` goes on an impl block: `impl MyServer { ... }`",
            );
            let e = e.to_compile_error();
            return quote!(#input #e);
        }
    };
    let model = Server::from_ast(&cx, attrs, &item);
    check(&cx, &model);
    let user_item = strip_helpers(&item);
    match cx.finish() {
        Some(errors) => {
            let errors = errors.to_compile_error();
            let fallback = fallback(&model);
            quote!(#user_item #errors #fallback)
        }
        None => {
            let generated = expand_server(&model);
            quote! {
                #user_item
                const _: () = { #generated };
            }
        }
    }
}

/// A helper attribute used outside an `#[mcp_server]` impl block.
pub(crate) fn misplaced(name: &str, _args: TokenStream, input: TokenStream) -> TokenStream {
    let message = format!("`#[{name}]` goes on a method inside an `#[mcp_server]` impl block");
    let e = syn::Error::new(Span::call_site(), message).to_compile_error();
    quote!(#e #input)
}

fn expand_server(server: &Server<'_>) -> TokenStream {
    let self_ty = &server.item.self_ty;
    let structs = server.tools.iter().map(expand_args_struct);
    let defs = server.tools.iter().map(expand_tool_def);
    let count = server.tools.len();
    let description = expand_description(&server.attrs);
    let call_tool = expand_call_tool(server);
    let session_ty = session_type(server);
    let user_ty = user_type(server);
    let user_state = server.attrs.user.is_some().then(|| {
        quote!(
            const USER_STATE: bool = true;
        )
    });
    let reinit = expand_reinit(server);
    let tables = crate::features::expand_tables(server);
    let read_resource = crate::features::expand_read_resource(server);
    let get_prompt = crate::features::expand_get_prompt(server);
    let complete = crate::features::expand_complete(server);
    quote! {
        #(#structs)*
        #tables
        static __MCP_TOOLS: [::mcp_runtime::__private::ToolDef; #count] = [#(#defs),*];
        impl ::mcp_runtime::__private::Server for #self_ty {
            type Session = #session_ty;
            type User = #user_ty;
            #user_state
            #reinit
            fn description() -> &'static ::mcp_runtime::__private::ServerDescription {
                static DESCRIPTION: ::mcp_runtime::__private::ServerDescription = #description;
                &DESCRIPTION
            }
            #call_tool
            #read_resource
            #get_prompt
            #complete
        }
    }
}

/// A call of a lifecycle handler, spanned at its return type: a handler returning the wrong
/// type (`Reinit<Other>` for state `T`) is a type error there, at the user's code.
fn handler_call(server: &Server<'_>, handler: &syn::ImplItemFn, arg: TokenStream) -> TokenStream {
    let self_ty = &server.item.self_ty;
    let ident = &handler.sig.ident;
    let span = match &handler.sig.output {
        syn::ReturnType::Type(_, ty) => ty.span(),
        syn::ReturnType::Default => ident.span(),
    };
    quote_spanned!(span=> <#self_ty>::#ident(self, #arg).await)
}

/// `initial_state`: the `#[on_initialize]` handler, or the default.
fn expand_initial_state(server: &Server<'_>) -> TokenStream {
    let body = match server.init_handlers.first() {
        Some(handler) => {
            let call = handler_call(server, handler, quote!(__mcp_new));
            quote! {
                async move {
                    let __mcp_state: <Self as ::mcp_runtime::__private::Server>::Session = #call;
                    __mcp_state
                }
            }
        }
        // The trait's default: `Default::default()`.
        None => return TokenStream::new(),
    };
    quote! {
        #[allow(unused_variables)]
        fn initial_state(
            &self,
            __mcp_new: ::mcp_runtime::__private::NewSession,
        ) -> impl ::core::future::Future<Output = Self::Session> + ::core::marker::Send {
            #body
        }
    }
}

fn session_type(server: &Server<'_>) -> TokenStream {
    match &server.attrs.session {
        Some((_, ty)) => quote!(#ty),
        None => quote!(()),
    }
}

fn user_type(server: &Server<'_>) -> TokenStream {
    match &server.attrs.user {
        Some((_, ty)) => quote!(#ty),
        None => quote!(()),
    }
}

/// The compiled re-initialization policy: a constant, and the handler call when there is one.
fn expand_reinit(server: &Server<'_>) -> TokenStream {
    let policy = match (
        server.reinit_handlers.first(),
        server.attrs.reinit.as_ref().map(|l| l.value()),
    ) {
        (Some(_), _) => Some(quote!(Handler)),
        (None, Some(v)) if v == "restore" => Some(quote!(Restore)),
        // The trait's default.
        _ => None,
    };
    let policy = policy.map(|policy| {
        quote!(const REINIT: ::mcp_runtime::__private::ReinitPolicy = ::mcp_runtime::__private::ReinitPolicy::#policy;)
    });
    let body = match server.reinit_handlers.first() {
        Some(handler) => {
            let call = handler_call(server, handler, quote!(__mcp_request));
            quote! {
                async move {
                    let __mcp_decision: ::mcp_runtime::__private::Reinit<<Self as ::mcp_runtime::__private::Server>::Session> = #call;
                    __mcp_decision
                }
            }
        }
        None => {
            let initial_state = expand_initial_state(server);
            return quote!(#initial_state #policy);
        }
    };
    let initial_state = expand_initial_state(server);
    quote! {
        #initial_state
        #policy
        #[allow(unused_variables)]
        fn reinit(
            &self,
            __mcp_request: ::mcp_runtime::__private::ReinitRequest,
        ) -> impl ::core::future::Future<Output = ::mcp_runtime::__private::Reinit<Self::Session>> + ::core::marker::Send {
            #body
        }
    }
}

fn expand_description(attrs: &ServerAttrs) -> TokenStream {
    let name = attrs
        .name
        .as_ref()
        .map_or_else(|| quote!(::core::env!("CARGO_PKG_NAME")), |n| quote!(#n));
    let version = attrs
        .version
        .as_ref()
        .map_or_else(|| quote!(::core::env!("CARGO_PKG_VERSION")), |v| quote!(#v));
    let title = option(attrs.title.as_ref());
    let instructions = option(attrs.instructions.as_ref());
    let icon = option(attrs.icon.as_ref());
    quote! {
        ::mcp_runtime::__private::ServerDescription {
            name: #name,
            version: #version,
            title: #title,
            instructions: #instructions,
            icon: #icon,
            tools: &__MCP_TOOLS,
            resources: &__MCP_RESOURCES,
            prompts: &__MCP_PROMPTS,
        }
    }
}

fn args_ident(tool: &Tool<'_>) -> syn::Ident {
    format_ident!(
        "__mcp_args_{}",
        tool.ident().to_string().trim_start_matches("r#")
    )
}

/// The arguments struct: the tool's plain parameters, with their doc comments.
fn expand_args_struct(tool: &Tool<'_>) -> TokenStream {
    let ident = args_ident(tool);
    if let Some(whole) = tool.whole() {
        let ty = whole.ty;
        return quote_spanned! {ty.span()=>
            #[allow(non_camel_case_types)]
            type #ident = #ty;
            const _: () = ::mcp_runtime::__private::assert_param::<#ty>();
        };
    }
    let asserts = tool.arguments().map(|p| {
        let ty = p.ty;
        quote_spanned!(ty.span()=> const _: () = ::mcp_runtime::__private::assert_param::<#ty>();)
    });
    quote!(#(#asserts)*)
}

/// The tuple of a tool's plain parameter types, which the runtime parses them into.
fn args_tuple(tool: &Tool<'_>) -> TokenStream {
    let tys = tool.arguments().map(|p| p.ty);
    quote!((#(#tys,)*))
}

/// A parameter's doc comment as one string, as rustdoc and schemars read it: each line without
/// its first space, joined by newlines.
fn doc_string(docs: &[&syn::Attribute]) -> TokenStream {
    let lines: Vec<TokenStream> = docs
        .iter()
        .filter_map(|a| a.meta.require_name_value().ok())
        .map(|nv| match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => {
                let value = s.value();
                let line = value.strip_prefix(' ').unwrap_or(&value).to_owned();
                quote!(#line)
            }
            other => quote!(#other),
        })
        .collect();
    if lines.is_empty() {
        return quote!(::core::option::Option::None);
    }
    quote!(::core::option::Option::Some(::core::concat!(#(#lines),*)))
}

/// The input schema of a tool's plain parameters, built by the runtime from each type's schema.
fn param_schemas(tool: &Tool<'_>) -> TokenStream {
    let params = tool.arguments().map(|p| {
        let (name, ty) = (p.ident.unraw().to_string(), p.ty);
        let doc = doc_string(&p.docs);
        let header = option(p.header.as_ref());
        quote! {
            ::mcp_runtime::__private::ParamSchema {
                name: #name,
                doc: #doc,
                header: #header,
                schema: ::mcp_runtime::__private::param_schema::<#ty>,
                optional: ::mcp_runtime::__private::optional::<#ty>,
            }
        }
    });
    quote!(|g| ::mcp_runtime::__private::object_schema(g, &[#(#params),*]))
}

fn expand_tool_def(tool: &Tool<'_>) -> TokenStream {
    let name = &tool.name;
    let icon = option(tool.attrs.icon.as_ref());
    let context = tool.params.iter().any(|p| p.kind == ParamKind::Context);
    let task = match tool.attrs.task.as_ref().map(syn::LitStr::value).as_deref() {
        Some("optional") => quote!(Optional),
        Some("required") => quote!(Required),
        _ => quote!(Forbidden),
    };
    let scopes = tool.attrs.scopes.iter().flatten();
    let headers = tool.arguments().filter_map(|p| {
        let (param, header) = (p.ident.to_string(), p.header.as_ref()?);
        Some(quote!((#param, #header)))
    });
    // An `#[arguments]` type's schema comes from the user's type: blame it there.
    let input_schema = match tool.whole() {
        Some(whole) => {
            let ty = whole.ty;
            quote_spanned!(ty.span()=> |g| g.root_schema_for::<#ty>())
        }
        None => param_schemas(tool),
    };
    let title = option(tool.title());
    let description = option(tool.description.as_ref());
    let hint = |h: Option<bool>| {
        h.map_or_else(
            || quote!(::core::option::Option::None),
            |b| quote!(::core::option::Option::Some(#b)),
        )
    };
    let (read_only, destructive) = (hint(tool.attrs.read_only), hint(tool.attrs.destructive));
    let (idempotent, open_world) = (hint(tool.attrs.idempotent), hint(tool.attrs.open_world));
    let output_schema = match &tool.output {
        Output::Structured(ty) | Output::StructuredResult(ty) => {
            quote_spanned!(ty.span()=> ::core::option::Option::Some(::mcp_runtime::__private::output_schema::<#ty>))
        }
        Output::Direct | Output::Unsupported(_) => quote!(::core::option::Option::None),
    };
    quote! {
        ::mcp_runtime::__private::ToolDef {
            name: #name,
            title: #title,
            description: #description,
            annotations: ::mcp_runtime::__private::ToolAnnotations {
                title: ::core::option::Option::None,
                read_only_hint: #read_only,
                destructive_hint: #destructive,
                idempotent_hint: #idempotent,
                open_world_hint: #open_world,
            },
            input_schema: #input_schema,
            output_schema: #output_schema,
            headers: &[#(#headers),*],
            task: ::mcp_runtime::__private::TaskSupport::#task,
            scopes: &[#(#scopes),*],
            context: #context,
            icon: #icon,
        }
    }
}

/// `call_tool`: a `match` on the name parses the arguments; the returned future runs the call.
fn expand_call_tool(server: &Server<'_>) -> TokenStream {
    if server.tools.is_empty() {
        // The trait's default: every name is unknown.
        return TokenStream::new();
    }
    let variants: Vec<_> = (0..server.tools.len())
        .map(|i| format_ident!("__mcp_{}", i))
        .collect();
    let arg_types: Vec<_> = server
        .tools
        .iter()
        .map(|t| match t.whole() {
            Some(_) => {
                let ident = args_ident(t);
                quote!(#ident)
            }
            None => args_tuple(t),
        })
        .collect();
    let parses = server.tools.iter().map(|t| match t.whole() {
        Some(_) => quote!(::mcp_runtime::__private::parse_arguments(__mcp_arguments)?),
        None => {
            let names = t.arguments().map(|p| p.ident.unraw().to_string());
            quote!(::mcp_runtime::__private::parse_named(__mcp_arguments, &[#(#names),*])?)
        }
    });
    let names = server.tools.iter().map(|t| &t.name);
    let calls = server.tools.iter().map(|t| expand_call(server, t));
    quote! {
        #[allow(
            unreachable_code,
            clippy::used_underscore_binding,
            clippy::let_unit_value
        )]
        fn call_tool<'__mcp_s>(
            &'__mcp_s self,
            __mcp_name: &str,
            __mcp_arguments: ::core::option::Option<&::mcp_runtime::__private::RawValue>,
            __mcp_cx: ::mcp_runtime::__private::Context,
            __mcp_session: ::core::option::Option<::mcp_runtime::__private::Session<Self::Session>>,
        ) -> ::core::result::Result<
            impl ::core::future::Future<Output = ::mcp_runtime::__private::CallToolResult> + ::core::marker::Send + use<'__mcp_s>,
            ::mcp_runtime::__private::ToolCallError,
        > {
            #[allow(non_camel_case_types)]
            enum __McpCall { #(#variants(#arg_types),)* }
            let __mcp_call = match __mcp_name {
                #(#names => __McpCall::#variants(#parses),)*
                _ => return ::core::result::Result::Err(::mcp_runtime::__private::ToolCallError::UnknownTool),
            };
            ::core::result::Result::Ok(async move {
                match __mcp_call {
                    #(__McpCall::#variants(__mcp_args) => #calls,)*
                }
            })
        }
    }
}

/// One dispatch arm: call the method with its arguments, convert what it returns.
fn expand_call(server: &Server<'_>, tool: &Tool<'_>) -> TokenStream {
    let self_ty = &server.item.self_ty;
    let method = tool.ident();
    let mut position = 0..;
    let args = tool.params.iter().map(|p| match p.kind {
        ParamKind::Argument => {
            let index = syn::Index::from(position.next().unwrap_or_default());
            quote!(__mcp_args.#index)
        }
        ParamKind::Context => quote!(__mcp_cx),
        ParamKind::Whole => quote!(__mcp_args),
        ParamKind::Session => {
            let ty = p.ty;
            quote_spanned!(ty.span()=> __mcp_session.unwrap_or_else(::mcp_runtime::__private::Session::ephemeral))
        }
        // Spanned at the parameter: a `User<Other>` is blamed there.
        ParamKind::User => quote_spanned!(p.ty.span()=> __mcp_user),
    });
    let mut call = quote!(<#self_ty>::#method(self, #(#args),*));
    if tool.is_async() {
        call = quote!(#call.await);
    }
    let user = bind_user(
        &tool.params,
        |e| quote!(::mcp_runtime::__private::CallToolResult::error(#e)),
    );
    let span = match &tool.method.sig.output {
        syn::ReturnType::Type(_, ty) => ty.span(),
        syn::ReturnType::Default => tool.method.sig.ident.span(),
    };
    let value = match &tool.output {
        Output::Structured(_) => {
            quote_spanned!(span=> ::mcp_runtime::__private::Json(__mcp_returned))
        }
        Output::StructuredResult(_) => {
            quote_spanned!(span=> __mcp_returned.map(::mcp_runtime::__private::Json))
        }
        Output::Direct | Output::Unsupported(_) => quote_spanned!(span=> __mcp_returned),
    };
    // The value is bound first so that a type error in the conversion is blamed on the
    // return type, not on the call that generated code wrote.
    quote_spanned!(span=> {
        #user
        let __mcp_returned = #call;
        ::mcp_runtime::__private::IntoToolResult::into_tool_result(#value)
    })
}

/// For a method with a `User<T>` parameter: binds `__mcp_user` to the caller's state before
/// the call (the context may move into the call), or returns `refuse(message)` when the call
/// has no authenticated caller. Typed by the server's declared state, spanned at the
/// parameter, so that a `User<Other>` is blamed there.
pub(crate) fn bind_user(
    params: &[crate::ast::Param<'_>],
    refuse: impl FnOnce(TokenStream) -> TokenStream,
) -> TokenStream {
    let Some(user) = params.iter().find(|p| p.kind == ParamKind::User) else {
        return TokenStream::new();
    };
    let refusal = refuse(quote!(__mcp_refused));
    quote_spanned! {user.ty.span()=>
        let __mcp_user: ::mcp_runtime::__private::User<<Self as ::mcp_runtime::__private::Server>::User> =
            match ::mcp_runtime::__private::User::of(&__mcp_cx) {
                ::core::result::Result::Ok(__mcp_user) => __mcp_user,
                ::core::result::Result::Err(__mcp_refused) => return #refusal,
            };
    }
}

/// On error: a `Server` impl with no tools (the trait's defaults), so the rest of the crate
/// still type-checks.
fn fallback(server: &Server<'_>) -> TokenStream {
    let item = server.item;
    if !item.generics.params.is_empty() || item.trait_.is_some() {
        return TokenStream::new();
    }
    let self_ty = &item.self_ty;
    let session_ty = session_type(server);
    let user_ty = user_type(server);
    quote! {
        const _: () = {
            impl ::mcp_runtime::__private::Server for #self_ty {
                type Session = #session_ty;
                type User = #user_ty;
                fn description() -> &'static ::mcp_runtime::__private::ServerDescription {
                    static DESCRIPTION: ::mcp_runtime::__private::ServerDescription = ::mcp_runtime::__private::ServerDescription {
                        name: ::core::env!("CARGO_PKG_NAME"),
                        version: ::core::env!("CARGO_PKG_VERSION"),
                        title: ::core::option::Option::None,
                        instructions: ::core::option::Option::None,
                        icon: ::core::option::Option::None,
                        tools: &[],
                        resources: &[],
                        prompts: &[],
                    };
                    &DESCRIPTION
                }
            }
        };
    }
}

/// The user's impl block without the helper attributes the compiler would reject.
fn strip_helpers(item: &ItemImpl) -> ItemImpl {
    let mut item = item.clone();
    for member in &mut item.items {
        let ImplItem::Fn(f) = member else { continue };
        let helpers = METHOD_ATTRS;
        if !f
            .attrs
            .iter()
            .any(|a| helpers.iter().any(|h| is_attr(a, h)))
        {
            continue;
        }
        f.attrs.retain(|a| !helpers.iter().any(|h| is_attr(a, h)));
        for input in &mut f.sig.inputs {
            if let syn::FnArg::Typed(pt) = input {
                pt.attrs.retain(|a| {
                    !["doc", "arguments", "header"]
                        .iter()
                        .any(|h| a.path().is_ident(h))
                });
            }
        }
    }
    item
}

fn option<T: quote::ToTokens>(value: Option<&T>) -> TokenStream {
    match value {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    }
}

#[cfg(test)]
mod tests;
