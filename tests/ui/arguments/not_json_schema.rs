use mcp_runtime::prelude::*;

struct S;

#[derive(Deserialize)]
struct Form {
    name: String,
}

#[mcp_server]
impl S {
    #[tool]
    fn submit(&self, #[arguments] form: Form) -> String {
        form.name
    }
}

fn main() {}
