//! The project template (`examples/new-server/`) passes its own CI commands, built against
//! this checkout's runtime: formatting, lints with warnings denied, and its tests, which use
//! the in-process test client.

use std::path::Path;
use std::process::Command;

#[test]
fn the_template_passes_its_own_ci() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // This binary is target/<profile>/deps/NAME: share that target directory, so the
    // template reuses what is already built.
    let exe = std::env::current_exe().expect("the test binary");
    let target = exe
        .ancestors()
        .nth(3)
        .expect("the target directory")
        .to_owned();
    let status = Command::new("bash")
        .arg(root.join("examples/new-server/ci.sh"))
        .env("CARGO_TARGET_DIR", target)
        .status()
        .expect("run the template's ci.sh");
    assert!(
        status.success(),
        "examples/new-server/ci.sh failed: {status}"
    );
}
