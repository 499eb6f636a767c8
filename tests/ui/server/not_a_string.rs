use mcp_runtime::prelude::*;

struct S;

#[mcp_server(name = calculator)]
impl S {}

fn main() {}
