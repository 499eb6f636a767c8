use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[tool]
    fn show(&self, value: impl std::fmt::Display) -> String {
        value.to_string()
    }
}

fn main() {}
