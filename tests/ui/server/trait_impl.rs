use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl Clone for S {
    fn clone(&self) -> Self {
        S
    }
}

fn main() {}
