use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[resource("notes://today")]
    unsafe fn today(&self) -> String {
        String::new()
    }
}

fn main() {}
