use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[prompt]
    fn greet(&self) -> String {
        "hello".into()
    }

    #[prompt(name = "greet")]
    fn welcome(&self) -> String {
        "welcome".into()
    }
}

fn main() {}
