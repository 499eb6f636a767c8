use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[prompt]
    fn greet(&self, name: String) -> String {
        format!("Greet {name}")
    }

    #[resource("notes://{id}")]
    fn note(&self, id: String) -> String {
        id
    }

    #[complete(prompt = "greet", argument = "name")]
    fn names(&self, value: String) -> Option<String> {
        Some(value)
    }
}

fn main() {}
