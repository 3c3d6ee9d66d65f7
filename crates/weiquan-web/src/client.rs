//! Who a request comes from, for the per-address limits (search rate and
//! searches at once, event streams, feedback, the sign-in lock-out).
//!
//! It is the connection's peer, unless the peer is a trusted reverse proxy
//! (`trusted_proxies`): then `X-Forwarded-For` is read from the right, and
//! the first hop that is not itself a trusted proxy is the client. Hops
//! further left were written by the client and could be anything, so they
//! are never believed. With no trusted proxy, `X-Forwarded-For` is ignored.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use serde::Deserialize;

use super::AppState;

/// An address or a network of addresses, as written in `trusted_proxies`:
/// `10.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    /// Whether `ip` is in this network (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Network {
    type Err = String;

    fn from_str(text: &str) -> Result<Network, String> {
        let invalid = || format!("`{text}` is not an IP address or network such as 10.0.0.1 or 10.0.0.0/8");
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text.trim(), None),
        };
        let address = IpAddr::from_str(address).map_err(|_| invalid())?.to_canonical();
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.parse::<u8>().ok().filter(|p| *p <= bits).ok_or_else(invalid)?,
            None => bits,
        };
        Ok(Network { address, prefix })
    }
}

impl TryFrom<String> for Network {
    type Error = String;

    fn try_from(text: String) -> Result<Network, String> {
        text.parse()
    }
}

/// The client's address, found once per request by [`resolve`]; `None`
/// when the request did not come over a connection (tests driving the
/// router directly), and then no per-address limit applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientIp, Self::Rejection> {
        Ok(parts.extensions.get::<ClientIp>().copied().unwrap_or(ClientIp(None)))
    }
}

/// Middleware: finds the client's address and puts it into the request for
/// every limit and handler after it.
pub async fn resolve(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
    let client = peer.map(|peer| address(peer, request.headers(), &state.trusted_proxies));
    request.extensions_mut().insert(ClientIp(client));
    next.run(request).await
}

/// The client behind `peer`: `peer` itself unless it is a trusted proxy,
/// else the rightmost hop of `X-Forwarded-For` that is not a trusted proxy
/// (the leftmost when all are). A hop that is not an address stops the
/// walk at the trusted proxy that passed it on.
pub fn address(peer: IpAddr, headers: &HeaderMap, trusted: &[Network]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|network| network.contains(ip));
    let mut client = peer.to_canonical();
    if !is_trusted(client) {
        return client;
    }
    // Several headers count as one list, in order.
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    for hop in hops.into_iter().rev() {
        let Some(ip) = hop_address(hop) else { return client };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    client
}

/// One hop of `X-Forwarded-For`: an address, perhaps with a port (`[::1]:80`).
fn hop_address(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    let ip = IpAddr::from_str(hop).ok().or_else(|| SocketAddr::from_str(hop).ok().map(|s| s.ip()))?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_contain() {
        let net: Network = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains(ip("10.1.200.3")) && !net.contains(ip("10.2.0.1")));
        assert!(net.contains(ip("::ffff:10.1.0.9")), "IPv4-mapped addresses are IPv4");
        assert!("127.0.0.1".parse::<Network>().unwrap().contains(ip("127.0.0.1")));
        assert!(!"127.0.0.1".parse::<Network>().unwrap().contains(ip("127.0.0.2")));
        assert!("0.0.0.0/0".parse::<Network>().unwrap().contains(ip("8.8.8.8")));
        assert!("fd00::/8".parse::<Network>().unwrap().contains(ip("fd12::1")));
        for bad in ["10.0.0.0/33", "localhost", "10.0.0.0/", "::/129", ""] {
            assert!(bad.parse::<Network>().is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let proxies: Vec<Network> = vec!["10.0.0.1".parse().unwrap(), "10.9.0.0/16".parse().unwrap()];
        let forged = headers(&["1.1.1.1"]);
        assert_eq!(address(ip("203.0.113.5"), &forged, &proxies), ip("203.0.113.5"), "an untrusted peer");
        assert_eq!(address(ip("10.0.0.1"), &forged, &[]), ip("10.0.0.1"), "no trusted proxies");
        assert_eq!(address(ip("10.0.0.1"), &forged, &proxies), ip("1.1.1.1"));
        assert_eq!(address(ip("10.0.0.1"), &HeaderMap::new(), &proxies), ip("10.0.0.1"), "nothing forwarded");
        // The client wrote 6.6.6.6 itself; the proxy appended its real address.
        let chain = headers(&["6.6.6.6, 198.51.100.7, 10.9.3.4"]);
        assert_eq!(address(ip("10.0.0.1"), &chain, &proxies), ip("198.51.100.7"), "the rightmost untrusted hop");
        let split = headers(&["6.6.6.6", "198.51.100.7"]);
        assert_eq!(address(ip("10.0.0.1"), &split, &proxies), ip("198.51.100.7"), "several headers are one list");
        let garbage = headers(&["6.6.6.6, not-an-address"]);
        assert_eq!(address(ip("10.0.0.1"), &garbage, &proxies), ip("10.0.0.1"), "a broken hop stops the walk");
        let ported = headers(&["198.51.100.7:4711"]);
        assert_eq!(address(ip("::ffff:10.0.0.1"), &ported, &proxies), ip("198.51.100.7"));
        let all_trusted = headers(&["10.9.0.2, 10.9.0.3"]);
        assert_eq!(address(ip("10.0.0.1"), &all_trusted, &proxies), ip("10.9.0.2"));
    }
}
