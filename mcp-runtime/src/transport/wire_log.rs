//! An optional record of every message the server sends, one JSON line each, tagged with the
//! revision it was sent under. Useful to debug a client, and to validate the wire in tests.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use crate::protocol::ProtocolVersion;

/// Appends `{"version":"…","message":…}` lines to a file.
#[derive(Debug)]
pub(crate) struct WireLog(Mutex<File>);

impl WireLog {
    /// Opens (appending to) the file at `path`.
    pub(crate) fn open(path: &Path) -> std::io::Result<Self> {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map(|f| Self(Mutex::new(f)))
    }

    /// Records one message sent under `version` (`None` before a revision is known).
    pub(crate) fn record(&self, version: Option<ProtocolVersion>, message: &[u8]) {
        let mut line = Vec::with_capacity(message.len() + 40);
        line.extend_from_slice(b"{\"version\":");
        match version {
            Some(v) => {
                line.push(b'"');
                line.extend_from_slice(v.as_str().as_bytes());
                line.push(b'"');
            }
            None => line.extend_from_slice(b"null"),
        }
        line.extend_from_slice(b",\"message\":");
        line.extend_from_slice(message);
        line.extend_from_slice(b"}\n");
        if let Err(e) = self.0.lock().expect("wire log").write_all(&line) {
            tracing::warn!("wire log: {e}");
        }
    }
}
