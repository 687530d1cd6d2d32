//! The project's binaries as the README runs them: started on an ephemeral port of 127.0.0.1, the
//! URL they report on their first line read back, stopped as a service manager stops them
//! (SIGTERM), and killed when the test is done.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A running binary; killed when dropped.
pub struct Running(Child);

impl Running {
    /// Sends SIGTERM, as a service manager does to stop a service.
    #[cfg(unix)]
    pub fn terminate(&self) {
        let pid = libc::pid_t::try_from(self.0.id()).expect("a process id fits pid_t");
        // SAFETY: `kill` takes two integers and reads or writes no memory of this process.
        let sent = unsafe { libc::kill(pid, libc::SIGTERM) };
        assert_eq!(
            sent,
            0,
            "cannot send SIGTERM: {}",
            std::io::Error::last_os_error()
        );
    }

    /// Waits for the process to exit, for at most `within`; `None` if it still runs then.
    pub async fn exit_within(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.0.try_wait().expect("the process can be waited for") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

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
