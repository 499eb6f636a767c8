use mcp_runtime::prelude::*;

#[prompt]
fn greet() -> String {
    "hello".into()
}

fn main() {}
