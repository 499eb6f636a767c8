use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[resource("notes://today")]
    fn today(&self) -> u32 {
        1
    }
}

fn main() {}
