use mcp_runtime::prelude::*;

struct S;

impl S {
    #[tool]
    fn add(&self, a: i64) -> String {
        a.to_string()
    }
}

fn main() {}
