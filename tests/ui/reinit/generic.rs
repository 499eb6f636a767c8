use mcp_runtime::prelude::*;

struct S;

#[derive(Default, Serialize, Deserialize)]
struct Counter {
    n: u64,
}

#[mcp_server(session = Counter)]
impl S {
    #[on_reinit]
    async fn resume<T>(&self, req: ReinitRequest) -> Reinit<Counter> {
        let _ = req;
        Reinit::Reject
    }
}

fn main() {}
