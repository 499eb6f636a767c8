use mcp_runtime::prelude::*;

struct S;

#[mcp_server(session = "Counter", reinit = "reject")]
impl S {}

fn main() {}
