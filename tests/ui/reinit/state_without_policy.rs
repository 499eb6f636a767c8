use mcp_runtime::prelude::*;

struct S;

#[derive(Default, Serialize, Deserialize)]
struct Counter {
    n: u64,
}

#[mcp_server(session = Counter)]
impl S {
    #[tool]
    fn get(&self, session: Session<Counter>) -> String {
        session.read().n.to_string()
    }
}

fn main() {}
