use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[resource("notes://today", mime = "text/plain")]
    fn today(&self) -> String {
        String::new()
    }
}

fn main() {}
