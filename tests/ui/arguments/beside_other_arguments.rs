use mcp_runtime::prelude::*;

struct S;

#[derive(Deserialize, JsonSchema)]
struct Form {
    name: String,
}

#[mcp_server]
impl S {
    #[tool]
    fn submit(&self, #[arguments] form: Form, extra: String) -> String {
        format!("{}{extra}", form.name)
    }
}

fn main() {}
