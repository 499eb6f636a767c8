use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[resource("notes://today")]
    fn today(&self) -> String {
        String::new()
    }

    #[resource("notes://today")]
    fn also_today(&self) -> String {
        String::new()
    }
}

fn main() {}
