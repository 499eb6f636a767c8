use mcp_runtime::prelude::*;

#[resource("notes://today")]
fn today() -> String {
    String::new()
}

fn main() {}
