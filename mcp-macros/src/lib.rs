//! Attribute macros of the MCP server framework. Use them through `mcp_runtime::prelude`.
//!
//! Each macro is a thin shim over a function on `proc_macro2` tokens: parse the attributes,
//! build a model that keeps the user's syntax nodes for spans, check the cross-cutting rules,
//! then expand. Errors are collected and reported together, and the user's item is always
//! emitted again so that the rest of the crate keeps type-checking.

mod ast;
mod attr;
mod check;
mod ctxt;
mod expand;
mod features;

use proc_macro::TokenStream;

/// Turns an inherent `impl` block into an MCP server: implements `mcp_runtime::Server` for its type.
#[proc_macro_attribute]
pub fn mcp_server(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::server(attr.into(), item.into()).into()
}

/// Marks a method of an `#[mcp_server]` impl block as a tool.
#[proc_macro_attribute]
pub fn tool(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::misplaced("tool", attr.into(), item.into()).into()
}

/// Marks the method of an `#[mcp_server]` impl block that decides what a request on an unknown
/// or expired session gets.
#[proc_macro_attribute]
pub fn on_reinit(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::misplaced("on_reinit", attr.into(), item.into()).into()
}

/// Marks a method of an `#[mcp_server]` impl block as a resource or resource template.
#[proc_macro_attribute]
pub fn resource(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::misplaced("resource", attr.into(), item.into()).into()
}

/// Marks a method of an `#[mcp_server]` impl block as a prompt.
#[proc_macro_attribute]
pub fn prompt(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::misplaced("prompt", attr.into(), item.into()).into()
}

/// Marks a method of an `#[mcp_server]` impl block as the completion handler of a prompt
/// argument or a resource template variable.
#[proc_macro_attribute]
pub fn complete(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::misplaced("complete", attr.into(), item.into()).into()
}

/// Marks the method of an `#[mcp_server]` impl block that builds a new session's state from its
/// `initialize` request.
#[proc_macro_attribute]
pub fn on_initialize(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::misplaced("on_initialize", attr.into(), item.into()).into()
}
