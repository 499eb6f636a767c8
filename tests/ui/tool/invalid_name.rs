use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[tool(name = "add numbers!")]
    fn add(&self, a: i64) -> String {
        a.to_string()
    }
}

fn main() {}
