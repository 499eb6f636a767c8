use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[prompt]
    fn greet(&self, #[header("Name")] name: String) -> String {
        format!("Greet {name}")
    }
}

fn main() {}
