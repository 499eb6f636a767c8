use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[resource("notes://{id}")]
    fn note(&self, id: String, rev: u32) -> String {
        format!("{id}@{rev}")
    }

    #[resource("notes://today")]
    fn today(&self, day: String) -> String {
        day
    }
}

fn main() {}
