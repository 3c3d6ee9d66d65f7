//! Settings of `weiquan serve`: flags, then `WEIQUAN_*` environment
//! variables, then the TOML file, then the defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The optional `weiquan.toml`. Every field may be left out.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Address to listen on. Default `127.0.0.1:8080`.
    pub addr: Option<SocketAddr>,
    /// Content folders. Default `["content"]`.
    pub content: Option<Vec<PathBuf>>,
    /// Index folder. Default `index`.
    pub index: Option<PathBuf>,
    /// Static files. Default `static`.
    #[serde(rename = "static")]
    pub static_dir: Option<PathBuf>,
    /// Folder of the SQLite file with accounts and the audit log. Default `data`.
    pub data: Option<PathBuf>,
    /// Send session cookies only over HTTPS (behind a TLS proxy). Default `false`.
    #[serde(default)]
    pub secure_cookies: bool,
    /// Searches per second per client address (bursts of three seconds'
    /// worth); more get 429. 0 turns the limit off. Default 20.
    pub search_rate: Option<u32>,
    /// Days searches, opened results and feedback are kept for staff
    /// insights; older rows are deleted at start and daily. Default 180.
    pub insights_retention_days: Option<u32>,
    /// Kiosks by id: `[kiosks.mall-1]` tables. Unknown ids get the defaults.
    #[serde(default)]
    pub kiosks: std::collections::BTreeMap<String, KioskConfig>,
    /// Reverse proxies whose `X-Forwarded-For` is believed, as addresses or
    /// networks (`["127.0.0.1", "10.0.0.0/8"]`): behind them the per-address
    /// limits count the forwarded client, not the proxy. Default none: the
    /// header is ignored.
    #[serde(default)]
    pub trusted_proxies: Vec<super::client::Network>,
}

/// One kiosk's settings (`[kiosks.<id>]` in the config file).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KioskConfig {
    /// Shown in the admin. Default: the id.
    pub name: String,
    /// Warnings of this region (and nationwide ones). Default: all.
    pub region: Option<String>,
    /// `portrait` (1080x1920) or `landscape` (1920x1080). Default `portrait`.
    pub orientation: String,
    /// Seconds each warning stays on screen in the attract loop. Default 12.
    pub rotation_seconds: u32,
    /// Seconds without a touch before the kiosk asks 还在使用吗. Default 90.
    pub idle_seconds: u32,
    /// Seconds the 还在使用吗 countdown lasts (at least 20). Default 20.
    pub countdown_seconds: u32,
    /// Public address QR codes point to, e.g. `https://weiquan.example.cn`.
    /// Default: the address the kiosk reached the server at.
    pub public_url: Option<String>,
}

impl Default for KioskConfig {
    fn default() -> KioskConfig {
        KioskConfig {
            name: String::new(),
            region: None,
            orientation: "portrait".into(),
            rotation_seconds: 12,
            idle_seconds: 90,
            countdown_seconds: 20,
            public_url: None,
        }
    }
}

impl FileConfig {
    /// Reads a config file; a missing or invalid file is an error naming it.
    pub fn read(path: &Path) -> Result<FileConfig, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("invalid config `{}`: {}", path.display(), e.message()))
    }
}

/// The settings in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    pub addr: SocketAddr,
    pub content: Vec<PathBuf>,
    pub index: PathBuf,
    pub static_dir: PathBuf,
    pub data: PathBuf,
    pub secure_cookies: bool,
    pub search_rate: u32,
    pub insights_retention_days: u32,
    pub kiosks: std::collections::BTreeMap<String, KioskConfig>,
    pub trusted_proxies: Vec<super::client::Network>,
}

impl ServeConfig {
    /// Merges what flags and the environment gave (`None` or empty when not
    /// given) over the file over the defaults.
    pub fn merge(
        addr: Option<SocketAddr>,
        content: Vec<PathBuf>,
        index: Option<PathBuf>,
        static_dir: Option<PathBuf>,
        data: Option<PathBuf>,
        search_rate: Option<u32>,
        file: FileConfig,
    ) -> ServeConfig {
        ServeConfig {
            addr: addr.or(file.addr).unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            content: Some(content)
                .filter(|c| !c.is_empty())
                .or(file.content)
                .unwrap_or_else(|| vec![PathBuf::from("content")]),
            index: index.or(file.index).unwrap_or_else(|| PathBuf::from("index")),
            static_dir: static_dir.or(file.static_dir).unwrap_or_else(|| PathBuf::from("static")),
            data: data.or(file.data).unwrap_or_else(|| PathBuf::from("data")),
            secure_cookies: file.secure_cookies,
            search_rate: search_rate.or(file.search_rate).unwrap_or(crate::web::limit::DEFAULT_SEARCHES_PER_SECOND),
            insights_retention_days: file.insights_retention_days.unwrap_or(crate::insights::DEFAULT_RETENTION_DAYS),
            kiosks: file.kiosks,
            trusted_proxies: file.trusted_proxies,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_file_which_beats_the_defaults() {
        let file: FileConfig = toml::from_str("addr = \"0.0.0.0:9000\"\nindex = \"/var/index\"").unwrap();
        let config = ServeConfig::merge(None, vec![], Some("mine".into()), None, None, None, file);
        assert_eq!(config.addr.to_string(), "0.0.0.0:9000");
        assert_eq!(config.index, PathBuf::from("mine"));
        assert_eq!(config.content, vec![PathBuf::from("content")]);
        assert_eq!(config.static_dir, PathBuf::from("static"));
        assert_eq!(config.insights_retention_days, 180);
        assert!(toml::from_str::<FileConfig>("adress = \"x\"").is_err(), "typos are errors");
        let file: FileConfig = toml::from_str("insights_retention_days = 30").unwrap();
        let config = ServeConfig::merge(None, vec![], None, None, None, None, file);
        assert_eq!(config.insights_retention_days, 30);
        assert!(config.trusted_proxies.is_empty(), "no proxy is trusted by default");
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let file: FileConfig = toml::from_str("trusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\"]").unwrap();
        let config = ServeConfig::merge(None, vec![], None, None, None, None, file);
        assert_eq!(config.trusted_proxies.len(), 2);
        assert!(config.trusted_proxies[1].contains("10.20.30.40".parse().unwrap()));
        let error = toml::from_str::<FileConfig>("trusted_proxies = [\"10.0.0.0/40\"]").unwrap_err();
        assert!(error.message().contains("10.0.0.0/40"), "{}", error.message());
    }
}
