"""Topic rules: move or add, keywords in several scripts, whole words."""

from __future__ import annotations

from reader.topics import TopicMatcher, TopicRule, count_keywords, keyword_pattern

RULES = (
    TopicRule(
        "Open models",
        keywords=("open-weight", "open weights", "オープンモデル", "modèle ouvert", "开源模型"),
        move=True,
    ),
    TopicRule("Korea", keywords=("Korea", "한국", "韓国")),
    TopicRule("Llama", patterns=(r"\bllama[- ]?\d",)),
)


def test_feed_topic_is_the_default():
    matcher = TopicMatcher(RULES)
    assert matcher.assign("Industry", "Quarterly results", "Revenue grew.") == (
        "Industry",
        ("Industry",),
    )


def test_a_move_rule_becomes_the_main_topic_and_the_feed_topic_stays_listed():
    matcher = TopicMatcher(RULES)
    main, topics = matcher.assign("Industry", "Lab releases open-weight model", "")
    assert main == "Open models" and topics == ("Open models", "Industry")


def test_add_rules_only_add():
    matcher = TopicMatcher(RULES)
    main, topics = matcher.assign("Industry", "Chipmaker expands in Korea", "")
    assert main == "Industry" and topics == ("Industry", "Korea")


def test_keywords_in_other_scripts_and_languages():
    matcher = TopicMatcher(RULES)
    assert matcher.assign("X", "新しいオープンモデルを公開", "")[0] == "Open models"
    assert matcher.assign("X", "Un nouveau modèle ouvert", "")[0] == "Open models"
    assert matcher.assign("X", "公司发布开源模型", "")[0] == "Open models"
    assert "Korea" in matcher.assign("X", "한국 정부 발표", "")[1]
    assert "Korea" in matcher.assign("X", "", "The text mentions 韓国 later on.")[1]


def test_latin_keywords_match_whole_words_only():
    matcher = TopicMatcher(RULES)
    assert "Korea" not in matcher.assign("X", "Koreanische Küche", "")[1]
    pattern = keyword_pattern(["AI"])
    assert pattern.search("AI rules") and not pattern.search("said the chair")


def test_patterns_are_regexes():
    matcher = TopicMatcher(RULES)
    assert "Llama" in matcher.assign("X", "Meta ships Llama 4", "")[1]
    assert "Llama" not in matcher.assign("X", "A llama farm", "")[1]


def test_count_keywords_counts_distinct_keywords():
    pattern = keyword_pattern(["GPU", "export controls"])
    assert count_keywords(pattern, "GPU export controls", "more GPU news") == 2
    assert count_keywords(None, "GPU", "") == 0


def test_enrichment_follows_the_config_it_is_given_each_time():
    """derive() remembers the last config's rules: a different config must not reuse them."""
    from dataclasses import replace

    from reader.config import FeedConfig, parse_config
    from reader.enrich import derive

    plain = parse_config("")
    ruled = replace(plain, topics=RULES)
    feed = FeedConfig(url="https://example.com/feed.xml", topic="Industry")

    def topics(config):
        fields = derive(
            feed,
            title="Lab releases open-weight model",
            link="https://example.com/a",
            text="The lab released an open-weight model today.",
            lang_prior="en",
            config=config,
        )
        return fields["topic"], fields["topics"]

    assert topics(plain) == ("Industry", ("Industry",))
    assert topics(ruled) == ("Open models", ("Open models", "Industry"))
    assert topics(plain) == ("Industry", ("Industry",))
    assert topics(replace(plain)) == ("Industry", ("Industry",))  # equal, not the same
