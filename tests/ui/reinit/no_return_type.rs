use mcp_runtime::prelude::*;

struct S;

#[derive(Default, Serialize, Deserialize)]
struct Counter {
    n: u64,
}

#[mcp_server(session = Counter)]
impl S {
    #[on_reinit]
    async fn resume(&self, req: ReinitRequest) {
        let _ = req;
    }
}

fn main() {}
