use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[prompt]
    fn greet() -> String {
        "hello".into()
    }
}

fn main() {}
