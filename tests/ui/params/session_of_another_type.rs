use mcp_runtime::prelude::*;

struct S;

#[derive(Default, Serialize, Deserialize)]
struct Counter {
    n: u64,
}

#[derive(Default, Serialize, Deserialize)]
struct Other;

#[mcp_server(session = Counter, reinit = "reject")]
impl S {
    #[tool]
    fn run(&self, session: Session<Other>) -> String {
        let _ = session;
        String::new()
    }
}

fn main() {}
