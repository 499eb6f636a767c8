use mcp_runtime::prelude::*;

struct S;

#[mcp_server(nmae = "calculator")]
impl S {}

fn main() {}
