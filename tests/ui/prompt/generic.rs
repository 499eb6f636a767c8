use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[prompt]
    fn greet<T>(&self, name: String) -> String {
        name
    }
}

fn main() {}
