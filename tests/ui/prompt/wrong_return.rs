use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[prompt]
    fn greet(&self) -> u32 {
        1
    }
}

fn main() {}
