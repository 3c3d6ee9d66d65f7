//! Ways to exhaust the server: expensive queries.

mod common;

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
