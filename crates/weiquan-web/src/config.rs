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
    /// Content folders. Default `content` and the official texts: the
    /// `WEIQUAN_CORPUS` folder, or else `corpus/` in the data folder.
    pub content: Option<Vec<PathBuf>>,
    /// Index folder. Default `index`.
    pub index: Option<PathBuf>,
    /// Static files. Default `static`.
    #[serde(rename = "static")]
    pub static_dir: Option<PathBuf>,
    /// Folder of the SQLite file with accounts and the audit log. Default `data`.
    pub data: Option<PathBuf>,
    /// The staff database on a PostgreSQL server (`postgres://user@host/db`),
    /// which several machines share, in place of the SQLite file in the
    /// data folder. Default: none.
    pub database_url: Option<String>,
    /// Send session cookies only over HTTPS (behind a TLS proxy). Default `false`.
    #[serde(default)]
    pub secure_cookies: bool,
    /// Searches per second per client address (bursts of three seconds'
    /// worth); more get 429. 0 turns the limit off. Default 20.
    pub search_rate: Option<u32>,
    /// Megabytes of answered searches kept in memory by request and index
    /// generation (the head questions of a public site are asked all day),
    /// and as many of document pages by id; 0 turns both caches off.
    /// Default 32.
    pub result_cache_mb: Option<usize>,
    /// Connections served at once (at least 1). Default 1,024.
    pub max_connections: Option<std::num::NonZeroU32>,
    /// Event streams (kiosks, open home and warnings pages) held at once,
    /// at most half of `max_connections`. Default 256.
    pub event_streams: Option<usize>,
    /// Event streams one client address may hold (a mall's kiosks behind
    /// one address). Default 16.
    pub event_streams_per_address: Option<usize>,
    /// Days searches, opened results and feedback are kept for staff
    /// insights; older rows are deleted at start and daily. Default 180.
    pub insights_retention_days: Option<u32>,
    /// Regions recorded in staff insights as given (a search's first region
    /// filter, a kiosk's region); a search for any other region is recorded
    /// without one. The regions of the `[kiosks.<id>]` tables are always
    /// included. Default: 全国 and China's 34 provincial-level regions by
    /// their short names (北京, 内蒙古, 香港).
    pub insights_regions: Option<Vec<String>>,
    /// Searches recorded in staff insights per client address per day; more
    /// are answered but not recorded. 0 turns the cap off. Default 1000.
    pub insights_searches_per_address: Option<u32>,
    /// Days audit log entries are kept; older ones are deleted at start and
    /// daily. Default 365.
    pub audit_retention_days: Option<u32>,
    /// Kiosks by id: `[kiosks.mall-1]` tables. Unknown ids get the defaults.
    #[serde(default)]
    pub kiosks: std::collections::BTreeMap<String, KioskConfig>,
    /// The zone whose calendar decides what "today" is (warnings in force,
    /// scheduled publishing, the days of staff reports), as an IANA name.
    /// Default `Asia/Shanghai`, whatever zone the machine is set to.
    pub timezone: Option<chrono_tz::Tz>,
    /// The whole address of the LawRefBook archive that `serve` fetches on
    /// first start and `corpus fetch` downloads (mirrors, offline installs).
    /// Default: upstream's archive of the pinned commit.
    pub corpus_url: Option<String>,
    /// Never download the official texts on first start. Default `false`.
    #[serde(default)]
    pub offline: bool,
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
    /// The kiosk's own secret, at least 16 characters: its heartbeats carry
    /// it (`Authorization: Bearer`), so nobody else can report for it or
    /// take its reload requests. The kiosk learns it once from its address
    /// (`/kiosk/<id>#key=<secret>`). Default none: the kiosk shows warnings
    /// but cannot report.
    pub secret: Option<KioskSecret>,
}

/// A kiosk's secret: never printed, compared in constant time.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct KioskSecret(String);

impl KioskSecret {
    /// The shortest secret accepted.
    pub const MIN_CHARS: usize = 16;

    /// Whether `given` is this secret. The time taken does not depend on
    /// where the two first differ.
    pub fn matches(&self, given: &str) -> bool {
        use sha2::{Digest, Sha256};
        let (want, got) = (Sha256::digest(self.0.as_bytes()), Sha256::digest(given.as_bytes()));
        want.iter().zip(got.iter()).fold(0u8, |diff, (a, b)| diff | (a ^ b)) == 0
    }
}

impl TryFrom<String> for KioskSecret {
    type Error = String;

    fn try_from(secret: String) -> Result<KioskSecret, String> {
        if secret.chars().count() < KioskSecret::MIN_CHARS
            || secret.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(format!("a kiosk secret needs at least {} characters and no spaces", KioskSecret::MIN_CHARS));
        }
        Ok(KioskSecret(secret))
    }
}

impl std::fmt::Debug for KioskSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KioskSecret(…)")
    }
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
            secret: None,
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
    /// The content folders given; `None`: `content/` and the official texts.
    pub content: Option<Vec<PathBuf>>,
    pub index: PathBuf,
    pub static_dir: PathBuf,
    pub data: PathBuf,
    pub database_url: Option<String>,
    pub secure_cookies: bool,
    pub search_rate: u32,
    pub result_cache_mb: usize,
    /// Connections and event streams held at once.
    pub connections: crate::ConnectionLimits,
    pub insights_retention_days: u32,
    /// What visitors can make the insights record.
    pub insights_limits: weiquan_publish::insights::Limits,
    pub audit_retention_days: u32,
    pub kiosks: std::collections::BTreeMap<String, KioskConfig>,
    pub timezone: chrono_tz::Tz,
    pub corpus_url: Option<String>,
    pub offline: bool,
    pub trusted_proxies: Vec<super::client::Network>,
}

impl ServeConfig {
    /// Merges what flags and the environment gave (`flags`: the settings
    /// given, in the file's shape) over the file over the defaults.
    pub fn merge(flags: FileConfig, file: FileConfig) -> ServeConfig {
        let connections = connection_limits(&flags, &file);
        let kiosks = if flags.kiosks.is_empty() { file.kiosks } else { flags.kiosks };
        let insights_limits = insights_limits(
            flags.insights_regions.or(file.insights_regions),
            flags.insights_searches_per_address.or(file.insights_searches_per_address),
            &kiosks,
        );
        ServeConfig {
            addr: flags.addr.or(file.addr).unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            content: flags.content.filter(|c| !c.is_empty()).or(file.content),
            index: flags.index.or(file.index).unwrap_or_else(|| PathBuf::from("index")),
            static_dir: flags.static_dir.or(file.static_dir).unwrap_or_else(|| PathBuf::from("static")),
            data: flags.data.or(file.data).unwrap_or_else(|| PathBuf::from("data")),
            database_url: flags.database_url.or(file.database_url),
            secure_cookies: flags.secure_cookies || file.secure_cookies,
            search_rate: flags.search_rate.or(file.search_rate).unwrap_or(crate::limit::DEFAULT_SEARCHES_PER_SECOND),
            result_cache_mb: flags.result_cache_mb.or(file.result_cache_mb).unwrap_or(crate::DEFAULT_RESULT_CACHE_MB),
            connections,
            insights_retention_days: flags
                .insights_retention_days
                .or(file.insights_retention_days)
                .unwrap_or(weiquan_publish::insights::DEFAULT_RETENTION_DAYS),
            insights_limits,
            audit_retention_days: flags
                .audit_retention_days
                .or(file.audit_retention_days)
                .unwrap_or(weiquan_publish::publish::store::DEFAULT_AUDIT_RETENTION_DAYS),
            kiosks,
            timezone: flags.timezone.or(file.timezone).unwrap_or(weiquan_core::clock::DEFAULT_ZONE),
            corpus_url: flags.corpus_url.or(file.corpus_url),
            offline: flags.offline || file.offline,
            trusted_proxies: if flags.trusted_proxies.is_empty() {
                file.trusted_proxies
            } else {
                flags.trusted_proxies
            },
        }
    }
}

/// The configured connection and event stream limits over the defaults.
fn connection_limits(flags: &FileConfig, file: &FileConfig) -> crate::ConnectionLimits {
    let defaults = crate::ConnectionLimits::default();
    crate::ConnectionLimits {
        max_connections: flags
            .max_connections
            .or(file.max_connections)
            .map_or(defaults.max_connections, |n| n.get() as usize),
        max_event_streams: flags.event_streams.or(file.event_streams).unwrap_or(defaults.max_event_streams),
        event_streams_per_address: flags
            .event_streams_per_address
            .or(file.event_streams_per_address)
            .unwrap_or(defaults.event_streams_per_address),
        ..defaults
    }
}

/// The configured regions (or the defaults) and the kiosks' regions, and
/// the per-address cap.
fn insights_limits(
    regions: Option<Vec<String>>,
    searches_per_address: Option<u32>,
    kiosks: &std::collections::BTreeMap<String, KioskConfig>,
) -> weiquan_publish::insights::Limits {
    let defaults = weiquan_publish::insights::Limits::default();
    let mut regions = match regions {
        Some(regions) => regions.iter().map(|r| r.trim().to_string()).filter(|r| !r.is_empty()).collect(),
        None => defaults.regions,
    };
    regions.extend(kiosks.values().filter_map(|kiosk| kiosk.region.clone()));
    weiquan_publish::insights::Limits {
        regions,
        searches_per_address: searches_per_address.unwrap_or(defaults.searches_per_address),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_file_which_beats_the_defaults() {
        let file: FileConfig = toml::from_str("addr = \"0.0.0.0:9000\"\nindex = \"/var/index\"").unwrap();
        let flags = FileConfig { index: Some("mine".into()), ..FileConfig::default() };
        let config = ServeConfig::merge(flags, file);
        assert_eq!(config.addr.to_string(), "0.0.0.0:9000");
        assert_eq!(config.index, PathBuf::from("mine"));
        assert_eq!(config.content, None, "content/ and the official texts");
        assert_eq!(config.static_dir, PathBuf::from("static"));
        assert_eq!(config.insights_retention_days, 180);
        assert!(!config.offline);
        assert!(toml::from_str::<FileConfig>("adress = \"x\"").is_err(), "typos are errors");
        let file: FileConfig = toml::from_str("insights_retention_days = 30\noffline = true").unwrap();
        let config = ServeConfig::merge(FileConfig::default(), file);
        assert_eq!(config.insights_retention_days, 30);
        assert!(config.offline);
        assert_eq!(config.timezone, chrono_tz::Asia::Shanghai, "the default zone");
        let file: FileConfig = toml::from_str("timezone = \"America/Los_Angeles\"").unwrap();
        let config = ServeConfig::merge(FileConfig::default(), file.clone());
        assert_eq!(config.timezone, chrono_tz::America::Los_Angeles);
        let flags = FileConfig { timezone: Some(chrono_tz::UTC), ..FileConfig::default() };
        assert_eq!(ServeConfig::merge(flags, file).timezone, chrono_tz::UTC, "the flag beats the file");
        assert!(toml::from_str::<FileConfig>("timezone = \"Beijing\"").is_err(), "unknown zones are errors");
    }

    #[test]
    fn the_staff_database_is_the_data_folders_file_unless_a_server_is_named() {
        assert_eq!(ServeConfig::merge(FileConfig::default(), FileConfig::default()).database_url, None);
        let file: FileConfig = toml::from_str("database_url = \"postgres://weiquan@db.internal/weiquan\"").unwrap();
        let config = ServeConfig::merge(FileConfig::default(), file.clone());
        assert_eq!(config.database_url.as_deref(), Some("postgres://weiquan@db.internal/weiquan"));
        let flags = FileConfig { database_url: Some("postgres://other/x".into()), ..FileConfig::default() };
        assert_eq!(ServeConfig::merge(flags, file).database_url.as_deref(), Some("postgres://other/x"));
    }

    #[test]
    fn insights_record_the_configured_regions_and_the_kiosks_regions() {
        let defaults = ServeConfig::merge(FileConfig::default(), FileConfig::default());
        assert_eq!(defaults.insights_limits, weiquan_publish::insights::Limits::default());
        assert!(defaults.insights_limits.regions.contains("内蒙古") && defaults.insights_limits.regions.len() == 35);
        assert_eq!(defaults.audit_retention_days, 365);
        let file: FileConfig = toml::from_str(
            "insights_regions = [\"浦东\", \" \"]\ninsights_searches_per_address = 50\naudit_retention_days = 90\n\
             [kiosks.mall-1]\nregion = \"上海\"",
        )
        .unwrap();
        let config = ServeConfig::merge(FileConfig::default(), file);
        let regions: Vec<&str> = config.insights_limits.regions.iter().map(String::as_str).collect();
        assert_eq!(regions, ["上海", "浦东"]);
        assert_eq!((config.insights_limits.searches_per_address, config.audit_retention_days), (50, 90));
        assert!(
            ServeConfig::merge(FileConfig::default(), FileConfig::default()).trusted_proxies.is_empty(),
            "no proxy is trusted by default"
        );
    }

    #[test]
    fn connection_and_event_stream_limits_are_settings() {
        let defaults = ServeConfig::merge(FileConfig::default(), FileConfig::default());
        assert_eq!(defaults.connections, crate::ConnectionLimits::default());
        let file: FileConfig = toml::from_str(
            "max_connections = 4096
event_streams = 1500
event_streams_per_address = 64",
        )
        .unwrap();
        let limits = ServeConfig::merge(FileConfig::default(), file).connections;
        let given = (limits.max_connections, limits.max_event_streams, limits.event_streams_per_address);
        assert_eq!(given, (4096, 1500, 64));
        assert_eq!(limits.event_stream_lifetime, defaults.connections.event_stream_lifetime);
        assert!(toml::from_str::<FileConfig>("event_streams = -1").is_err(), "a negative count is an error");
        let none = toml::from_str::<FileConfig>("max_connections = 0").unwrap_err();
        assert!(none.message().contains("nonzero"), "a server that takes no connection is refused: {none}");
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let file: FileConfig = toml::from_str("trusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\"]").unwrap();
        let config = ServeConfig::merge(FileConfig::default(), file);
        assert_eq!(config.trusted_proxies.len(), 2);
        assert!(config.trusted_proxies[1].contains("10.20.30.40".parse().unwrap()));
        let error = toml::from_str::<FileConfig>("trusted_proxies = [\"10.0.0.0/40\"]").unwrap_err();
        assert!(error.message().contains("10.0.0.0/40"), "{}", error.message());
    }
}
