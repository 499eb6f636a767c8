use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[resource("today.txt")]
    fn today(&self) -> String {
        String::new()
    }

    #[resource("")]
    fn nothing(&self) -> String {
        String::new()
    }
}

fn main() {}
