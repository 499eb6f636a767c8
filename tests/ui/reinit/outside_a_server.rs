use mcp_runtime::prelude::*;

#[on_reinit]
async fn resume(req: ReinitRequest) -> Reinit<()> {
    let _ = req;
    Reinit::Reject
}

fn main() {}
