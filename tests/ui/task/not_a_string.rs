use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[tool(task = optional)]
    async fn slow(&self) -> String {
        String::new()
    }
}

fn main() {}
