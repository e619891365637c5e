//! Running the `btfscope` binary from tests.

use std::process::{Command, Output};

/// `btfscope` with `args`, ready for more arguments.
pub fn btfscope<I: AsRef<std::ffi::OsStr>>(args: impl IntoIterator<Item = I>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_btfscope"));
    cmd.args(args);
    cmd
}

/// Runs `cmd`; fails the test with its stderr unless it succeeded.
pub fn succeed(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("the command runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
