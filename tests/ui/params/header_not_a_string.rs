use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[tool]
    fn run(&self, #[header(Region)] region: String) -> String {
        region
    }
}

fn main() {}
