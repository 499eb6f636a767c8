use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[prompt(description = "Greets")]
    fn greet(&self) -> String {
        "hello".into()
    }
}

fn main() {}
