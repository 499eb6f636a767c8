use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[resource("notes://today", title = "Today", title = "Now")]
    fn today(&self) -> String {
        String::new()
    }
}

fn main() {}
