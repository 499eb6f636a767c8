use mcp_runtime::prelude::*;

#[mcp_server]
struct S;

fn main() {}
