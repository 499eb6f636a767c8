use mcp_runtime::prelude::*;

#[on_initialize]
async fn init(new: NewSession) -> u64 {
    let _ = new;
    0
}

fn main() {}
