use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[tool]
    fn add(&self, (a, b): (i64, i64)) -> String {
        (a + b).to_string()
    }
}

fn main() {}
