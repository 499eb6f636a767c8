use mcp_runtime::prelude::*;

struct S;

struct Topic;

#[mcp_server]
impl S {
    #[prompt]
    fn write(&self, topic: Topic) -> String {
        let _ = topic;
        String::new()
    }
}

fn main() {}
