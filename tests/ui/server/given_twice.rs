use mcp_runtime::prelude::*;

struct S;

#[mcp_server(name = "a", version = "1.0.0", name = "b")]
impl S {}

fn main() {}
