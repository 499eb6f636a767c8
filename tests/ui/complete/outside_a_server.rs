use mcp_runtime::prelude::*;

#[complete(prompt = "greet", argument = "name")]
fn names(value: String) -> Vec<String> {
    vec![value]
}

fn main() {}
