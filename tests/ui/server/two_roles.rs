use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[tool]
    #[prompt]
    fn greet(&self) -> String {
        "hello".into()
    }

    #[tool]
    #[tool(name = "echo")]
    fn say(&self) -> String {
        "hello".into()
    }
}

fn main() {}
