//! Code generation for resources, prompts and completion handlers: static tables, and one
//! `match`-based entry point each, like tools.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ast::{ParamKind, PromptFn, ResourceFn, Server, is_option};

fn option<T: quote::ToTokens>(value: Option<&T>) -> TokenStream {
    match value {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    }
}

/// The `__MCP_RESOURCES` and `__MCP_PROMPTS` tables, and the prompts' argument structs.
pub(crate) fn expand_tables(server: &Server<'_>) -> TokenStream {
    let resources = server.resources.iter().map(|r| {
        let (uri, template, name) = (&r.attrs.uri, r.template, &r.name);
        let (title, mime) = (option(r.attrs.title.as_ref()), option(r.attrs.mime_type.as_ref()));
        let description = option(r.description.as_ref());
        let scopes = r.attrs.scopes.iter().flatten();
        quote! {
            ::mcp_runtime::__private::ResourceDef {
                uri: #uri, template: #template, name: #name, title: #title, description: #description, mime_type: #mime,
                scopes: &[#(#scopes),*],
            }
        }
    });
    let prompts = server.prompts.iter().map(expand_prompt_def);
    let structs = server.prompts.iter().map(expand_prompt_struct);
    let (n_resources, n_prompts) = (server.resources.len(), server.prompts.len());
    quote! {
        static __MCP_RESOURCES: [::mcp_runtime::__private::ResourceDef; #n_resources] = [#(#resources),*];
        static __MCP_PROMPTS: [::mcp_runtime::__private::PromptDef; #n_prompts] = [#(#prompts),*];
        #(#structs)*
    }
}

fn expand_prompt_def(prompt: &PromptFn<'_>) -> TokenStream {
    let name = &prompt.name;
    let title = option(prompt.attrs.title.as_ref());
    let description = option(prompt.description.as_ref());
    let arguments = prompt.arguments().map(|p| {
        let arg = p.ident.to_string();
        let doc = option(crate::attr::doc_text(&p.docs.iter().map(|a| (*a).clone()).collect::<Vec<_>>()).as_ref());
        let required = !is_option(p.ty);
        quote!(::mcp_runtime::__private::PromptArgumentDef { name: #arg, description: #doc, required: #required })
    });
    let scopes = prompt.attrs.scopes.iter().flatten();
    quote! {
        ::mcp_runtime::__private::PromptDef { name: #name, title: #title, description: #description, arguments: &[#(#arguments),*], scopes: &[#(#scopes),*] }
    }
}

fn prompt_struct(prompt: &PromptFn<'_>) -> syn::Ident {
    format_ident!(
        "__mcp_prompt_{}",
        prompt.method.sig.ident.to_string().trim_start_matches("r#")
    )
}

fn expand_prompt_struct(prompt: &PromptFn<'_>) -> TokenStream {
    let ident = prompt_struct(prompt);
    let fields = prompt.arguments().map(|p| {
        let (name, ty) = (p.ident, p.ty);
        quote!(#name: #ty)
    });
    quote! {
        #[derive(::mcp_runtime::__private::serde::Deserialize)]
        #[serde(crate = "::mcp_runtime::__private::serde")]
        #[allow(non_camel_case_types, non_snake_case)]
        struct #ident { #(#fields,)* }
    }
}

/// The arguments a feature method is called with, in its parameter order.
fn call_args<'a>(
    params: &'a [crate::ast::Param<'a>],
    argument: impl Fn(usize, &syn::Ident) -> TokenStream + 'a,
) -> impl Iterator<Item = TokenStream> + 'a {
    let mut n = 0;
    params.iter().map(move |p| match p.kind {
        ParamKind::Argument => {
            n += 1;
            argument(n - 1, p.ident)
        }
        ParamKind::Context | ParamKind::Whole => quote!(__mcp_cx),
        ParamKind::Session => {
            quote_spanned!(p.ty.span()=> ::mcp_runtime::__private::Session::ephemeral())
        }
        // Spanned at the parameter: a `User<Other>` is blamed there.
        ParamKind::User => quote_spanned!(p.ty.span()=> __mcp_user),
    })
}

/// `__mcp_user` bound for a method that takes `User<T>`; without a caller the method's result
/// is the error.
fn bind_user(params: &[crate::ast::Param<'_>]) -> TokenStream {
    crate::expand::bind_user(params, |e| quote!(::core::result::Result::Err(#e)))
}

fn call(
    server: &Server<'_>,
    method: &syn::ImplItemFn,
    args: impl Iterator<Item = TokenStream>,
) -> TokenStream {
    let self_ty = &server.item.self_ty;
    let ident = &method.sig.ident;
    let call = quote!(<#self_ty>::#ident(self, #(#args),*));
    if method.sig.asyncness.is_some() {
        quote!(#call.await)
    } else {
        call
    }
}

/// The span of a method's return type. Conversions of the returned value are spanned there,
/// with the value bound first, so that a type that does not convert is blamed at the user's
/// return type rather than at the call generated code wrote.
fn output_span(method: &syn::ImplItemFn) -> proc_macro2::Span {
    match &method.sig.output {
        syn::ReturnType::Type(_, ty) => ty.span(),
        syn::ReturnType::Default => method.sig.ident.span(),
    }
}

/// `read_resource`: fixed URIs by equality, then templates in declaration order.
pub(crate) fn expand_read_resource(server: &Server<'_>) -> TokenStream {
    let signature = quote! {
        fn read_resource<'__mcp_s>(
            &'__mcp_s self,
            __mcp_uri: &str,
            __mcp_cx: ::mcp_runtime::__private::Context,
        ) -> ::core::option::Option<
            impl ::core::future::Future<Output = ::core::result::Result<::mcp_runtime::__private::ReadResourceResult, ::std::string::String>>
                + ::core::marker::Send + use<'__mcp_s>,
        >
    };
    if server.resources.is_empty() {
        // The trait's default answers: nothing here.
        return TokenStream::new();
    }
    // Fixed URIs first, so a template never shadows one.
    let mut order: Vec<(usize, &ResourceFn<'_>)> = server.resources.iter().enumerate().collect();
    order.sort_by_key(|(_, r)| r.template);
    let variants: Vec<_> = server
        .resources
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let v = format_ident!("__mcp_{}", i);
            let types = r
                .params
                .iter()
                .filter(|p| p.kind == ParamKind::Argument)
                .map(|p| p.ty);
            quote!(#v(#(#types),*))
        })
        .collect();
    let matchers = order.iter().map(|(i, r)| {
        let v = format_ident!("__mcp_{}", i);
        let uri = &r.attrs.uri;
        if !r.template {
            return quote!(if __mcp_uri == #uri { __McpRead::#v() });
        }
        // Spanned at the parameter's type, so that a type without `FromStr` is blamed there.
        let values = r.params.iter().filter(|p| p.kind == ParamKind::Argument).map(|p| {
            let index = r.vars.iter().position(|v| p.ident == v).unwrap_or(0);
            let ty = p.ty;
            quote_spanned!(ty.span()=> <#ty as ::core::str::FromStr>::from_str(__mcp_vars[#index]).ok()?)
        });
        quote!(if let ::core::option::Option::Some(__mcp_vars) = ::mcp_runtime::__private::match_uri_template(#uri, __mcp_uri) {
            __McpRead::#v(#(#values),*)
        })
    });
    let arms = server.resources.iter().enumerate().map(|(i, r)| {
        let v = format_ident!("__mcp_{}", i);
        let bindings: Vec<_> = (0..r.params.iter().filter(|p| p.kind == ParamKind::Argument).count()).map(|n| format_ident!("__mcp_a{}", n)).collect();
        let args = call_args(&r.params, |n, _| { let b = format_ident!("__mcp_a{}", n); quote!(#b) });
        let value = call(server, r.method, args);
        let mime = option(r.attrs.mime_type.as_ref());
        let span = output_span(r.method);
        let user = bind_user(&r.params);
        let convert = quote_spanned!(span=> {
            #user
            let __mcp_returned = #value;
            ::mcp_runtime::__private::IntoResourceContents::into_contents(__mcp_returned, &__mcp_uri, #mime)
        });
        quote!(__McpRead::#v(#(#bindings),*) => #convert)
    });
    quote! {
        #[allow(unused_variables, clippy::used_underscore_binding)]
        #signature {
            #[allow(non_camel_case_types)]
            enum __McpRead { #(#variants,)* }
            let __mcp_read = #(#matchers else)* { return ::core::option::Option::None };
            let __mcp_uri = ::std::borrow::ToOwned::to_owned(__mcp_uri);
            ::core::option::Option::Some(async move {
                match __mcp_read { #(#arms,)* }
            })
        }
    }
}

/// `get_prompt`: a `match` on the name parses the arguments; the future renders the prompt.
pub(crate) fn expand_get_prompt(server: &Server<'_>) -> TokenStream {
    let signature = quote! {
        fn get_prompt<'__mcp_s>(
            &'__mcp_s self,
            __mcp_name: &str,
            __mcp_arguments: ::core::option::Option<&::mcp_runtime::__private::RawValue>,
            __mcp_cx: ::mcp_runtime::__private::Context,
        ) -> ::core::result::Result<
            impl ::core::future::Future<Output = ::core::result::Result<::mcp_runtime::__private::GetPromptResult, ::std::string::String>>
                + ::core::marker::Send + use<'__mcp_s>,
            ::mcp_runtime::__private::ToolCallError,
        >
    };
    if server.prompts.is_empty() {
        // The trait's default answers: nothing here.
        return TokenStream::new();
    }
    let variants: Vec<_> = (0..server.prompts.len())
        .map(|i| format_ident!("__mcp_{}", i))
        .collect();
    let structs: Vec<_> = server.prompts.iter().map(prompt_struct).collect();
    let names = server.prompts.iter().map(|p| &p.name);
    let arms = server.prompts.iter().map(|p| {
        let args = call_args(&p.params, |_, ident| quote!(__mcp_args.#ident));
        let value = call(server, p.method, args);
        let span = output_span(p.method);
        let user = bind_user(&p.params);
        quote_spanned!(span=> {
            #user
            let __mcp_returned = #value;
            ::mcp_runtime::__private::IntoPromptResult::into_prompt_result(__mcp_returned)
        })
    });
    quote! {
        #[allow(unused_variables, clippy::used_underscore_binding)]
        #signature {
            #[allow(non_camel_case_types)]
            enum __McpPrompt { #(#variants(#structs),)* }
            let __mcp_prompt = match __mcp_name {
                #(#names => __McpPrompt::#variants(::mcp_runtime::__private::parse_arguments(__mcp_arguments)?),)*
                _ => return ::core::result::Result::Err(::mcp_runtime::__private::ToolCallError::UnknownTool),
            };
            ::core::result::Result::Ok(async move {
                match __mcp_prompt { #(__McpPrompt::#variants(__mcp_args) => #arms,)* }
            })
        }
    }
}

/// `complete`: a `match` on what is completed.
pub(crate) fn expand_complete(server: &Server<'_>) -> TokenStream {
    let signature = quote! {
        fn complete<'__mcp_s>(
            &'__mcp_s self,
            __mcp_ref: ::mcp_runtime::__private::CompletionRef,
            __mcp_target: &str,
            __mcp_argument: &str,
            __mcp_value: ::std::string::String,
        ) -> ::core::option::Option<
            impl ::core::future::Future<Output = ::mcp_runtime::__private::Completion> + ::core::marker::Send + use<'__mcp_s>,
        >
    };
    if server.completions.is_empty() {
        // The trait's default answers: nothing here.
        return TokenStream::new();
    }
    let variants: Vec<_> = (0..server.completions.len())
        .map(|i| format_ident!("__mcp_{}", i))
        .collect();
    let patterns = server.completions.iter().map(|c| {
        let argument = &c.attrs.argument;
        match (&c.attrs.prompt, &c.attrs.resource) {
            (Some(name), _) => {
                quote!((::mcp_runtime::__private::CompletionRef::Prompt, #name, #argument))
            }
            (_, Some(uri)) => {
                quote!((::mcp_runtime::__private::CompletionRef::Resource, #uri, #argument))
            }
            _ => quote!(_),
        }
    });
    let arms = server.completions.iter().map(|c| {
        let value = call(server, c.method, std::iter::once(quote!(__mcp_value)));
        let span = output_span(c.method);
        quote_spanned!(span=> {
            let __mcp_returned = #value;
            ::mcp_runtime::__private::IntoCompletion::into_completion(__mcp_returned)
        })
    });
    quote! {
        #[allow(unused_variables, clippy::used_underscore_binding)]
        #signature {
            #[allow(non_camel_case_types)]
            enum __McpComplete { #(#variants,)* }
            let __mcp_complete = match (__mcp_ref, __mcp_target, __mcp_argument) {
                #(#patterns => __McpComplete::#variants,)*
                _ => return ::core::option::Option::None,
            };
            ::core::option::Option::Some(async move {
                match __mcp_complete { #(__McpComplete::#variants => #arms,)* }
            })
        }
    }
}
