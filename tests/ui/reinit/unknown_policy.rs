use mcp_runtime::prelude::*;

struct S;

#[derive(Default, Serialize, Deserialize)]
struct Counter {
    n: u64,
}

#[mcp_server(session = Counter, reinit = "retry")]
impl S {}

fn main() {}
