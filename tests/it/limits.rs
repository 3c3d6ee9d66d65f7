//! Ways to exhaust the server, over HTTP on loopback against the project's
//! own accept loop: event streams against the connection cap, expensive
//! queries, and whose address the per-address limits count behind a proxy.

use crate::common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::spawn_served;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use weiquan::web::ConnectionLimits;

/// Opens `GET /api/events` from the loopback address `from` and returns the
/// connection and what it sent so far: the response head, perhaps more.
async fn open_stream(server: SocketAddr, from: &str) -> (TcpStream, String) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from.parse().unwrap(), 0)).unwrap();
    let mut stream = socket.connect(server).await.unwrap();
    stream.write_all(b"GET /api/events HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let head = read_until(&mut stream, "\r\n\r\n", Duration::from_secs(5)).await;
    (stream, head)
}

/// What `stream` sends until `end` arrives, within `wait`.
async fn read_until(stream: &mut TcpStream, end: &str, wait: Duration) -> String {
    let mut received = Vec::new();
    let reading = async {
        let mut buffer = [0u8; 1024];
        while !String::from_utf8_lossy(&received).contains(end) {
            let read = stream.read(&mut buffer).await.unwrap();
            assert!(read > 0, "closed before `{end:?}`: {}", String::from_utf8_lossy(&received));
            received.extend_from_slice(&buffer[..read]);
        }
    };
    if tokio::time::timeout(wait, reading).await.is_err() {
        panic!("no `{end:?}` within {wait:?}: {}", String::from_utf8_lossy(&received));
    }
    String::from_utf8_lossy(&received).into_owned()
}

fn limits(max_connections: usize, streams: usize, per_address: usize, lifetime: Duration) -> ConnectionLimits {
    ConnectionLimits {
        max_connections,
        max_event_streams: streams,
        event_streams_per_address: per_address,
        event_stream_lifetime: lifetime,
        ..ConnectionLimits::default()
    }
}

#[tokio::test]
async fn event_streams_cannot_take_every_connection() {
    let server = spawn_served(|state| state, limits(8, 4, 8, Duration::from_secs(60))).await;
    // One host tries to hold every connection with idle event streams.
    let mut open = Vec::new();
    for _ in 0..8 {
        let (stream, head) = open_stream(server.addr, "127.0.0.1").await;
        if head.starts_with("HTTP/1.1 200") {
            assert!(head.contains("content-type: text/event-stream"), "{head}");
            open.push(stream);
        } else {
            assert!(head.starts_with("HTTP/1.1 503"), "{head}");
            assert!(head.contains("retry-after: "), "{head}");
            assert!(head.contains("connection: close"), "a refused stream gives its connection back: {head}");
        }
    }
    assert_eq!(open.len(), 4, "the stream cap holds");
    // Everyone else is still served.
    let client = reqwest::Client::new();
    for path in ["/healthz", "/api/search?q=预付卡", "/search?q=退货"] {
        let answer = tokio::time::timeout(Duration::from_secs(5), client.get(format!("{}{path}", server.base)).send());
        let response = answer.await.unwrap_or_else(|_| panic!("{path} answers while the streams are full")).unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn one_address_holds_only_its_share_of_event_streams() {
    let server = spawn_served(|state| state, limits(16, 8, 2, Duration::from_secs(60))).await;
    let (_first, head) = open_stream(server.addr, "127.0.0.1").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let (_second, head) = open_stream(server.addr, "127.0.0.1").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let (mut third, head) = open_stream(server.addr, "127.0.0.1").await;
    assert!(head.starts_with("HTTP/1.1 429") && head.contains("retry-after: "), "{head}");
    let body = if head.contains("}}") { head } else { read_until(&mut third, "}}", Duration::from_secs(5)).await };
    assert!(body.contains("\"code\":\"too_many_at_once\"") && body.contains("message_en"), "{body}");
    let (_other, head) = open_stream(server.addr, "127.0.0.2").await;
    assert!(head.starts_with("HTTP/1.1 200"), "another address is served: {head}");
}

#[tokio::test]
async fn an_event_stream_ends_after_its_lifetime_and_gives_its_place_back() {
    let lifetime = Duration::from_secs(2);
    let server = spawn_served(|state| state, limits(8, 1, 1, lifetime)).await;
    let opened = Instant::now();
    let (mut stream, head) = open_stream(server.addr, "127.0.0.1").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let (_, refused) = open_stream(server.addr, "127.0.0.3").await;
    assert!(refused.starts_with("HTTP/1.1 503"), "one stream at a time: {refused}");
    // The stream tells the browser when to reconnect, then ends (the last chunk).
    let body = head + &read_until(&mut stream, "0\r\n\r\n", Duration::from_secs(10)).await;
    assert!(body.contains("retry: 3000"), "{body}");
    assert!(opened.elapsed() >= lifetime - Duration::from_millis(100), "ended after {:?}", opened.elapsed());
    let (_, head) = open_stream(server.addr, "127.0.0.3").await;
    assert!(head.starts_with("HTTP/1.1 200"), "the place is free again: {head}");
}

#[tokio::test]
async fn a_repeated_unspaced_query_is_searched_once_per_word_and_capped() {
    use weiquan::search::query::MAX_TERMS;
    let fixture = tokio::task::spawn_blocking(common::shared_index).await.unwrap();
    let repeated = "中华人民共和国".repeat(29);
    let terms = fixture.engine.query_terms(&repeated);
    assert!(terms.contains(&"中华人民共和国".to_string()), "{terms:?}");
    assert!(terms.len() <= 2, "each word once, not 28 times: {terms:?}");
    let hits = fixture.query(&repeated);
    assert!(hits.hits.iter().any(|hit| hit.id == "guides/great-hall"), "{:?}", hits.hits);

    // Many different words in one run count up to the cap.
    let many = "预付卡退款健身房跑路七日无理由退货消费者权益保护法经营者欺诈三倍赔偿\
                网络购物快递丢失商家拒绝维修质量问题价格欺诈虚假宣传格式条款霸王条款";
    let terms = fixture.engine.query_terms(many);
    assert_eq!(terms.len(), MAX_TERMS, "{terms:?}");
    let distinct: std::collections::BTreeSet<&String> = terms.iter().collect();
    assert_eq!(distinct.len(), terms.len(), "{terms:?}");
    // Spaced, quoted, OR-ed and excluded repeats are searched once too.
    let terms = fixture.engine.query_terms("预付卡 预付卡 \"预付卡\" \"预付卡\" 预付卡 OR 预付卡 -退款 -退款");
    assert_eq!(terms, vec!["预付卡".to_string(), "\"预付卡\"".to_string()]);
    assert!(!fixture.ids("预付卡 预付卡 预付卡").is_empty());
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    let search = |client: &reqwest::Client, base: &str, forwarded: &str| {
        client.get(format!("{base}/api/search?q=预付卡")).header("x-forwarded-for", forwarded).send()
    };
    let client = reqwest::Client::new();
    // One search a second, bursts of three.
    let direct = spawn_served(|state| state.with_search_rate(1), ConnectionLimits::default()).await;
    for i in 0..3 {
        let response = search(&client, &direct.base, &format!("198.51.100.{i}")).await.unwrap();
        assert_eq!(response.status(), 200);
    }
    let forged = search(&client, &direct.base, "198.51.100.99").await.unwrap();
    assert_eq!(forged.status(), 429, "with no trusted proxy a forged X-Forwarded-For changes nothing");

    let proxies: Vec<weiquan::web::client::Network> = vec!["127.0.0.1".parse().unwrap()];
    let proxied =
        spawn_served(move |state| state.with_search_rate(1).with_trusted_proxies(proxies), ConnectionLimits::default())
            .await;
    for _ in 0..3 {
        assert_eq!(search(&client, &proxied.base, "203.0.113.1").await.unwrap().status(), 200);
    }
    assert_eq!(search(&client, &proxied.base, "203.0.113.1").await.unwrap().status(), 429);
    let other = search(&client, &proxied.base, "203.0.113.2").await.unwrap();
    assert_eq!(other.status(), 200, "each client behind the proxy has its own allowance");
    // The client wrote 203.0.113.9 itself; the proxy appended 203.0.113.1.
    let spoofed = search(&client, &proxied.base, "203.0.113.9, 203.0.113.1").await.unwrap();
    assert_eq!(spoofed.status(), 429, "the rightmost hop that is not a trusted proxy counts");
}
