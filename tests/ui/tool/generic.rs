use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[tool]
    fn show<T: std::fmt::Display>(&self, value: String) -> String {
        value
    }
}

fn main() {}
