use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[tool]
    fn show(&self) -> impl std::fmt::Display {
        1
    }
}

fn main() {}
