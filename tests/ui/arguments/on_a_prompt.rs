use mcp_runtime::prelude::*;

struct S;

#[derive(Deserialize, JsonSchema)]
struct Topic {
    name: String,
}

#[mcp_server]
impl S {
    #[prompt]
    fn write(&self, #[arguments] topic: Topic) -> String {
        format!("Write about {}", topic.name)
    }
}

fn main() {}
