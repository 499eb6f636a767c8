use mcp_runtime::prelude::*;

struct S;

#[derive(Default, Serialize, Deserialize)]
struct Counter {
    n: u64,
}

#[mcp_server(session = Counter)]
impl S {
    #[on_reinit]
    async fn resume(&self, id: String) -> Reinit<Counter> {
        let _ = id;
        Reinit::Reject
    }
}

fn main() {}
