use mcp_runtime::prelude::*;

struct S;

#[derive(Default, Serialize, Deserialize)]
struct Counter {
    n: u64,
}

#[derive(Default, Serialize, Deserialize)]
struct Other;

#[mcp_server(session = Counter)]
impl S {
    #[on_reinit]
    async fn resume(&self, req: ReinitRequest) -> Reinit<Other> {
        let _ = req;
        Reinit::Resume(Other)
    }
}

fn main() {}
