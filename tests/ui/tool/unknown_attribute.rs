use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[tool(nmae = "add")]
    fn add(&self, a: i64) -> String {
        a.to_string()
    }
}

fn main() {}
