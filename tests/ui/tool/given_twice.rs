use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[tool(read_only, title = "Add", read_only = false)]
    fn add(&self, a: i64) -> String {
        a.to_string()
    }
}

fn main() {}
