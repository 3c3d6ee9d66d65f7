//! Ways to exhaust the server, over HTTP on loopback against the project's
//! own accept loop: expensive queries, and whose address the per-address
//! limits count behind a proxy.

mod common;

use common::spawn_served;
use weiquan::web::ConnectionLimits;

#[tokio::test]
async fn a_repeated_unspaced_query_is_searched_once_per_word_and_capped() {
    use weiquan::search::query::MAX_TERMS;
    let fixture = tokio::task::spawn_blocking(common::fixture_index).await.unwrap();
    let repeated = "中华人民共和国".repeat(29);
    let terms = fixture.engine.query_terms(&repeated);
    assert!(terms.contains(&"中华人民共和国".to_string()), "{terms:?}");
    assert!(terms.len() <= 2, "each word once, not 28 times: {terms:?}");
    let hits = fixture.query(&repeated);
    assert!(hits.total > 0 && hits.hits[0].id == "guides/great-hall", "{:?}", hits.hits);

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
