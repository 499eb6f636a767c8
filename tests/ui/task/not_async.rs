use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[tool(task = "required")]
    fn quick(&self) -> String {
        String::new()
    }
}

fn main() {}
