use mcp_runtime::prelude::*;

struct S;

#[derive(Deserialize, JsonSchema)]
struct Form {
    name: String,
}

#[mcp_server]
impl S {
    #[tool]
    fn submit(&self, #[arguments] form: Form, #[arguments] again: Form) -> String {
        format!("{}{}", form.name, again.name)
    }
}

fn main() {}
