use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[tool]
    fn add(&self, a: i64) -> String {
        a.to_string()
    }

    #[tool(name = "add")]
    fn plus(&self, a: i64) -> String {
        a.to_string()
    }
}

fn main() {}
