use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[tool(task = "always")]
    async fn slow(&self) -> String {
        String::new()
    }
}

fn main() {}
