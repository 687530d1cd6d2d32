//! The project's binaries as the README runs them: started on an ephemeral port of 127.0.0.1, the
//! URL they report on their first line read back, and killed when the test is done.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running binary; killed when dropped.
pub struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `command` and returns it with the URL that ends the first line it prints (such as
/// `listening on http://127.0.0.1:PORT`). The URL must be on 127.0.0.1.
pub fn start_reporting_url(mut command: Command) -> (Running, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let running = Running(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the binary reports its URL");
    let url = line
        .trim()
        .rsplit(' ')
        .next()
        .expect("a URL ends the line")
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    (running, url)
}
