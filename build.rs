//! Tells the tests whether the spec's JSON schemas and example messages are on this machine.
//!
//! They live in `../shared/spec` (or `$MCP_SHARED_DIR/spec`), which developers and CI have and a
//! fresh clone does not. The test harness can report a test as ignored, with a reason, only if
//! it is marked so at compile time; so this script sets `cfg(mcp_spec)` when the folder is there,
//! and the tests that need it carry `#[cfg_attr(not(mcp_spec), ignore = "...")]`.

// Cargo reads a build script's instructions from its stdout.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(mcp_spec)");
    println!("cargo::rerun-if-env-changed=MCP_SHARED_DIR");
    let shared = match std::env::var_os("MCP_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"))
            .join("../shared"),
    };
    let spec = shared.join("spec");
    println!("cargo::rustc-env=MCP_SPEC_DIR={}", spec.display());
    if spec.join("2026-07-28/schema.json").is_file() {
        println!("cargo::rustc-cfg=mcp_spec");
        println!("cargo::rerun-if-changed={}", spec.display());
    } else {
        // Watching a missing path would make cargo rerun this script, and rebuild every
        // example and test, on every build; watching `..` instead would walk the whole parent
        // tree. So a spec added later goes unnoticed until `build.rs` changes: the test
        // `spec_is_absent_as_when_built` in `tests/spec_examples.rs` catches that case.
        println!("cargo::rerun-if-changed=build.rs");
    }
}
