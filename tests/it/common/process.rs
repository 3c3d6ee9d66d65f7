//! The real `weiquan serve` process, for the tests that kill it or run
//! several of it, and saves through its token API.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// A running `weiquan serve`, killed when dropped.
pub(crate) struct Server {
    pub(crate) child: Arc<Mutex<Child>>,
    pub(crate) base: String,
}

impl Server {
    /// SIGKILL: the process gets no chance to clean up.
    pub(crate) fn kill(&self) {
        let mut child = self.child.lock().unwrap();
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts `weiquan serve` on a free loopback port over `content`, with its
/// index and data folders and `extra` flags, and waits until it listens.
pub(crate) fn serve(content: &Path, index: &Path, data: &Path, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_weiquan"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .arg("--content")
        .arg(content)
        .arg("--index")
        .arg(index)
        .arg("--data")
        .arg(data)
        .arg("--static")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("static"))
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("weiquan serve starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.find_map(|l| l.ok().filter(|l| l.contains("http://"))).expect("serve prints its address");
    let base = line[line.find("http://").unwrap()..].trim().to_string();
    Server { child: Arc::new(Mutex::new(child)), base }
}

/// One save through the token API: (document id, title) → the new fingerprint.
pub(crate) async fn save_warning(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    id: Option<&str>,
    slug: &str,
    title: &str,
    old: &str,
) -> Option<String> {
    let response = client
        .post(format!("{base}/api/admin/warnings"))
        .bearer_auth(token)
        .json(&serde_json::json!({
            "id": id, "slug": slug, "base": old, "action": "publish",
            "meta": { "title": title, "summary": "崩溃测试用的警示。", "severity": "info" },
            "body": format!("{title}：正文。")
        }))
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    let body: serde_json::Value = response.json().await.ok()?;
    Some(body["base"].as_str()?.to_string())
}
