use mcp_runtime::prelude::*;

struct S;

#[derive(Default, Serialize, Deserialize)]
struct Counter {
    n: u64,
}

#[mcp_server(session = Counter, reinit = "reject")]
impl S {
    #[tool]
    fn run(&self, first: Session<Counter>, second: Session<Counter>) -> String {
        let _ = (first, second);
        String::new()
    }
}

fn main() {}
