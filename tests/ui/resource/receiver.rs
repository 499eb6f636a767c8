use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[resource("notes://today")]
    fn today() -> String {
        String::new()
    }
}

fn main() {}
