use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[tool(scopes = ["notes write"])]
    fn spaced(&self) -> String {
        String::new()
    }

    #[tool(scopes = [])]
    fn none(&self) -> String {
        String::new()
    }

    #[tool(scopes = [notes])]
    fn not_a_string(&self) -> String {
        String::new()
    }

    #[resource("notes://all", scopes = ["notes\\read"])]
    fn all(&self) -> String {
        String::new()
    }

    #[prompt(scopes = ["\"quoted\""])]
    fn quoted(&self) -> String {
        String::new()
    }

    #[tool(scopes = ["notes:read", "offline_access"])]
    fn refresh(&self) -> String {
        String::new()
    }
}

fn main() {}
