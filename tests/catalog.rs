//! Price catalogs end to end: LiteLLM import on a real excerpt, catalog prices in scenarios
//! (fallback, key-by-key override, another catalog, unknown models, stale prices), and the
//! `prices` commands.

mod common;

use common::aicost_dated as aicost;
use std::path::Path;
use std::sync::Arc;

use aicost::base::calendar::Date;
use aicost::model::catalog::Catalog;
use aicost::model::scenario::{self, LoadOptions};
use predicates::str::contains;

const EXCERPT: &str = "tests/fixtures/litellm-excerpt.json";

fn opts(today: &str) -> LoadOptions {
    LoadOptions {
        catalog: None,
        today: Date::parse(today).unwrap(),
        ..Default::default()
    }
}

fn scenario_with(models: &str) -> String {
    format!(
        r#"
name = "t"
[simulation]
arrivals = "fixed"
[[segment]]
name = "s"
users = 10
sessions_per_user_per_month = 10
[[workflow]]
name = "w"
[[workflow.step]]
name = "call"
route = "r"
input_tokens = 1000
output_tokens = 100
{models}
[[stack]]
name = "a"
[stack.route.r]
chain = [{{ model = "m" }}]
"#
    )
}

#[test]
fn litellm_import_converts_exactly_and_counts_what_it_skips() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("prices.json");
    aicost()
        .args([
            "prices",
            "import",
            "litellm",
            EXCERPT,
            "--checked",
            "2026-11-01",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success()
        .stderr(contains("imported 8 models; skipped 3"))
        .stderr(contains(
            "1 not chat/completion/responses/realtime (embedding 1)",
        ))
        .stderr(contains("1 without an input or output price"))
        .stderr(contains("1 priced 0 (unpriced, not free)"))
        .stderr(contains("off_peak_pricing: 1 entry"));
    let text = std::fs::read_to_string(&out).unwrap();
    let cat = Catalog::parse("prices.json", &text).unwrap();
    let g = cat.lookup("gpt-4o").unwrap().entry;
    assert_eq!(g.input_usd_per_mtok, Some(2.5));
    assert_eq!(g.output_usd_per_mtok, Some(10.0));
    assert_eq!(g.cached_input_usd_per_mtok, Some(1.25));
    assert_eq!(g.batch_discount(), Some(0.5));
    let mini = cat.lookup("openai/gpt-4o-mini").unwrap().entry;
    assert_eq!(mini.input_usd_per_mtok, Some(0.15));
    assert_eq!(mini.cached_input_usd_per_mtok, Some(0.075));
    let claude = cat.lookup("claude-sonnet-4-5").unwrap().entry;
    assert_eq!(claude.cache_write_usd_per_mtok, Some(3.75));
    assert_eq!(claude.cache_write_1h_usd_per_mtok, Some(6.0));
    assert_eq!(claude.min_cacheable_tokens, Some(1024.0));
    let gem = cat.lookup("gemini-2.5-pro").unwrap();
    assert_eq!(gem.key, "gemini/gemini-2.5-pro");
    let lc = &gem.entry.long_context.as_ref().unwrap().0[0];
    assert_eq!(lc.above_input_tokens, 200_000.0);
    assert_eq!((lc.input_usd_per_mtok, lc.output_usd_per_mtok), (2.5, 15.0));
    // DeepSeek's cache-hit alias is a cached-input price.
    let ds = cat.lookup("deepseek-chat").unwrap().entry;
    assert_eq!(ds.cached_input_usd_per_mtok, Some(0.028));
    // The file is the decimal that was meant, not binary noise.
    assert!(
        text.contains("\"cached_input_usd_per_mtok\": 0.028"),
        "{text}"
    );
    assert!(!text.contains("99999"), "{text}");
    assert!(cat.lookup("text-embedding-3-small").is_none());
    // It is usable at once.
    aicost()
        .args(["prices", "list", "--catalog"])
        .arg(&out)
        .assert()
        .success()
        .stdout(contains("8 of 8 models"));
}

#[test]
fn import_rejects_a_file_that_is_not_litellms_catalog_and_never_leaves_half_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "[1, 2, 3]").unwrap();
    let out = dir.path().join("out.json");
    aicost()
        .args(["prices", "import", "litellm"])
        .arg(&bad)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains("not LiteLLM's catalog"));
    assert!(!out.exists());
}

#[test]
fn a_model_without_prices_takes_the_catalogs_and_written_keys_override_key_by_key() {
    let text = scenario_with("[[model]]\nname = \"m\"\n");
    // `m` is not in the catalog: a located error with a suggestion over catalog names.
    let err = scenario::from_str_with("t.toml", &text, &opts("2026-11-23")).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("model `m` has no prices here and is not in the built-in catalog"),
        "{msg}"
    );

    let text = scenario_with("[[model]]\nname = \"openai/gpt-4o\"\noutput_usd_per_mtok = 12\n")
        .replace("model = \"m\"", "model = \"openai/gpt-4o\"");
    let l = scenario::from_str_with("t.toml", &text, &opts("2026-11-23")).unwrap();
    let m = &l.scenario.models[0];
    assert_eq!(m.provider, "openai");
    assert_eq!(m.prices.input.mean(), 2.5, "from the catalog");
    assert_eq!(m.prices.output.mean(), 12.0, "written in the scenario");
    assert_eq!(m.prices.cached_input.mean(), 1.25, "from the catalog");
    assert_eq!(
        m.prices.cache_write.mean(),
        2.5,
        "no write price: the input price"
    );
    assert_eq!(m.batch_discount.mean(), 0.5);
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    // Expected month: 100 requests × (1000 × 2.5 + 100 × 12) / 1e6 = $0.37.
    let e = aicost::sim::estimate::estimate(&l.scenario);
    assert!(
        (e.stacks[0].monthly_usd - 0.37).abs() < 1e-12,
        "{}",
        e.stacks[0].monthly_usd
    );
}

#[test]
fn a_self_priced_model_is_priced_exactly_as_before_catalogs() {
    let text = scenario_with(
        "[[model]]\nname = \"gpt-4o\"\ninput_usd_per_mtok = 3\noutput_usd_per_mtok = 11\n",
    )
    .replace("model = \"m\"", "model = \"gpt-4o\"");
    let l = scenario::from_str_with("t.toml", &text, &opts("2030-01-01")).unwrap();
    let m = &l.scenario.models[0];
    assert_eq!(
        m.prices.cached_input.mean(),
        3.0,
        "v1 default, not the catalog's"
    );
    assert_eq!(m.batch_discount.mean(), 0.0);
    assert!(m.long_context.is_empty());
    assert!(
        l.warnings.is_empty(),
        "no stale warning for prices the scenario gives"
    );
}

#[test]
fn long_context_and_cache_prices_come_along() {
    let text = scenario_with("[[model]]\nname = \"gemini-2.5-pro\"\n")
        .replace("model = \"m\"", "model = \"gemini-2.5-pro\"");
    let l = scenario::from_str_with("t.toml", &text, &opts("2026-11-23")).unwrap();
    let m = &l.scenario.models[0];
    let [lc] = m.long_context.as_slice() else {
        panic!("one threshold: {:?}", m.long_context)
    };
    assert_eq!(lc.above_input_tokens, 200_000.0);
    assert_eq!(lc.prices.input.mean(), 2.5);
    assert_eq!(lc.prices.output.mean(), 15.0);
    assert_eq!(m.min_cacheable_tokens, 2048.0);
}

#[test]
fn stale_catalog_prices_warn_after_90_days_and_do_not_fail() {
    let text = scenario_with("[[model]]\nname = \"gpt-4o\"\n")
        .replace("model = \"m\"", "model = \"gpt-4o\"");
    let checked = aicost::model::catalog::builtin()
        .lookup("gpt-4o")
        .unwrap()
        .checked
        .unwrap();
    let day = |n: i64| Date::from_days(checked.days() + n).to_string();
    let l = scenario::from_str_with("t.toml", &text, &opts(&day(90))).unwrap();
    assert!(l.warnings.is_empty());
    let l = scenario::from_str_with("t.toml", &text, &opts(&day(91))).unwrap();
    assert_eq!(l.warnings.len(), 1);
    assert!(
        l.warnings[0].message.contains("91 days ago"),
        "{}",
        l.warnings[0].message
    );
    assert!(l.warnings[0].loc.is_some());
}

#[test]
fn a_scenario_can_load_another_catalog_relative_to_itself() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("prices")).unwrap();
    std::fs::write(
        dir.path().join("prices/ours.json"),
        r#"{"aicost_catalog": 1, "checked": "2026-11-01", "models": {
  "m": {"provider": "acme", "input_usd_per_mtok": 1, "output_usd_per_mtok": 2}}}"#,
    )
    .unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(
        &path,
        format!(
            "catalog = \"prices/ours.json\"\n{}",
            scenario_with("[[model]]\nname = \"m\"\n")
        ),
    )
    .unwrap();
    let l = scenario::load_with(&path, &opts("2026-11-23")).unwrap();
    assert_eq!(l.scenario.models[0].prices.input.mean(), 1.0);
    assert_eq!(l.scenario.models[0].provider, "acme");
    // 100 requests × (1000 × 1 + 100 × 2) / 1e6.
    let e = aicost::sim::estimate::estimate(&l.scenario);
    assert!((e.stacks[0].monthly_usd - 0.12).abs() < 1e-12);
    // A loaded catalog replaces the built-in one: gpt-4o is unknown there.
    let o = LoadOptions {
        catalog: Some(Arc::new(
            Catalog::load(&dir.path().join("prices/ours.json")).unwrap(),
        )),
        today: Date::parse("2026-11-23").unwrap(),
        ..Default::default()
    };
    let text = scenario_with("[[model]]\nname = \"gpt-4o\"\n")
        .replace("model = \"m\"", "model = \"gpt-4o\"");
    assert!(scenario::from_str_with("t.toml", &text, &o).is_err());
}

#[test]
fn catalog_mistakes_are_located_in_the_catalog_or_at_the_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ours.json"),
        "{\"aicost_catalog\": 1, \"models\": {\n  \"m\": {\"input_usd_per_mtok\": 1, \"outptu_usd_per_mtok\": 2}}}",
    )
    .unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(
        &path,
        format!(
            "catalog = \"ours.json\"\n{}",
            scenario_with("[[model]]\nname = \"m\"\n")
        ),
    )
    .unwrap();
    aicost()
        .arg("validate")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(contains("ours.json:2:"))
        .stderr(contains("did you mean `output_usd_per_mtok`?"));
    std::fs::write(
        &path,
        format!(
            "catalog = \"missing.json\"\n{}",
            scenario_with("[[model]]\nname = \"m\"\n")
        ),
    )
    .unwrap();
    aicost()
        .arg("validate")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(contains("cannot read catalog"))
        .stderr(contains("s.toml:1:11"));
}

#[test]
fn unknown_models_get_a_located_did_you_mean_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(
        &path,
        scenario_with("[[model]]\nname = \"gpt-4o-mni\"\n")
            .replace("model = \"m\"", "model = \"gpt-4o-mni\""),
    )
    .unwrap();
    aicost()
        .arg("validate")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(contains("s.toml:17:8"))
        .stderr(contains("did you mean `gpt-4o-mini`?"))
        .stderr(contains("1 error in"));
}

#[test]
fn prices_list_and_show() {
    aicost()
        .args(["prices", "list", "claude"])
        .assert()
        .success()
        .stdout(contains("claude-sonnet-4-5"))
        .stdout(contains("anthropic"))
        .stdout(predicates::str::contains("gpt-4o").not());
    aicost()
        .args(["prices", "list", "gpt-4o", "--format", "json"])
        .assert()
        .success()
        .stdout(contains("\"input_usd_per_mtok\": 2.5"));
    aicost()
        .args(["prices", "show", "openai/gpt-4o"])
        .assert()
        .success()
        .stdout(contains("cached input"))
        .stdout(contains("1.25"))
        .stdout(contains("source"))
        .stdout(contains("checked"));
    aicost()
        .args(["prices", "show", "gpt-4o-2024-08-06"])
        .assert()
        .code(2)
        .stderr(contains("did you mean `gpt-4o`?"));
    aicost()
        .args(["prices", "list", "no-such-model-anywhere"])
        .assert()
        .code(2);
    for sub in [
        &["prices"][..],
        &["prices", "list"],
        &["prices", "show"],
        &["prices", "import"],
    ] {
        aicost()
            .args(sub)
            .arg("--help")
            .assert()
            .success()
            .stdout(contains("Examples:"));
    }
    assert!(Path::new(EXCERPT).exists());
}

use predicates::prelude::PredicateBooleanExt;

#[test]
fn a_json_listing_is_a_catalog_a_scenario_reads() {
    let dir = tempfile::tempdir().unwrap();
    let listing = aicost()
        .args(["prices", "list", "gpt-4o", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let path = dir.path().join("mine.json");
    std::fs::write(&path, &listing).unwrap();
    let cat = Catalog::load(&path).unwrap();
    let builtin = aicost::model::catalog::builtin();
    assert!(cat.len() >= 2, "{}", String::from_utf8_lossy(&listing));
    // Every entry keeps its prices, source and date.
    for (name, entry, checked) in cat.matching(None) {
        let (_, original, original_checked) = builtin
            .matching(Some(name))
            .into_iter()
            .find(|(n, _, _)| *n == name)
            .unwrap();
        assert_eq!(
            entry.input_usd_per_mtok, original.input_usd_per_mtok,
            "{name}"
        );
        assert_eq!(
            entry.output_usd_per_mtok, original.output_usd_per_mtok,
            "{name}"
        );
        assert_eq!(entry.source, original.source, "{name}");
        assert!(entry.source.is_some(), "{name}");
        assert_eq!(checked, original_checked, "{name}");
    }
    // A scenario prices a model from it with `catalog =`, and `--catalog` lists it.
    let scenario = dir.path().join("s.toml");
    std::fs::write(
        &scenario,
        "name = \"s\"\ncatalog = \"mine.json\"\n[simulation]\ntrials = 20\nseed = 1\n\
         [[segment]]\nname = \"a\"\nusers = 10\nsessions_per_user_per_month = 10\n\
         [[workflow]]\nname = \"w\"\n[[workflow.step]]\nname = \"s\"\nroute = \"main\"\n\
         input_tokens = 1000000\noutput_tokens = 0\n\
         [[model]]\nname = \"gpt-4o\"\n\
         [[stack]]\nname = \"x\"\n[stack.route.main]\nchain = [{ model = \"gpt-4o\" }]\n",
    )
    .unwrap();
    aicost()
        .args(["estimate", "--format", "json"])
        .arg(&scenario)
        .assert()
        .success()
        .stdout(contains("\"stacks\""));
    aicost()
        .args(["prices", "list", "--catalog"])
        .arg(&path)
        .assert()
        .success()
        .stdout(contains("gpt-4o"));
}

/// Where each model's prices come from reaches the brief: the catalog entry's source and date
/// for a model priced from it, the scenario's own `source` and `checked` otherwise.
#[test]
fn price_sources_follow_the_prices() {
    let text = scenario_with(
        "[[model]]\nname = \"gpt-4o\"\n\n\
         [[model]]\nname = \"m\"\ninput_usd_per_mtok = 1\noutput_usd_per_mtok = 2\n\
         source = \"https://example.com/prices\"\nchecked = \"2026-10-01\"\n",
    );
    let loaded = scenario::from_str_with("s.toml", &text, &opts("2026-11-23")).unwrap();
    let gpt = &loaded.scenario.models[0].price_source;
    assert_eq!(
        gpt.source.as_deref(),
        Some("https://developers.openai.com/api/docs/pricing")
    );
    assert_eq!(gpt.checked, Date::parse("2026-11-23"));
    assert!(
        gpt.catalog.as_deref().unwrap().contains("built-in"),
        "{gpt:?}"
    );
    let mine = &loaded.scenario.models[1].price_source;
    assert_eq!(mine.source.as_deref(), Some("https://example.com/prices"));
    assert_eq!(mine.checked, Date::parse("2026-10-01"));
    assert_eq!(mine.catalog, None);
    let brief = aicost::render::brief::Brief::new(
        &loaded.scenario,
        &aicost::simulate(&loaded.scenario, 20, 1).unwrap(),
    )
    .markdown();
    assert!(brief.contains("| m | "), "{brief}");
    assert!(
        brief.contains("https://example.com/prices | 2026-10-01 |"),
        "{brief}"
    );

    let bad = text.replace("2026-10-01", "October");
    let err = scenario::from_str_with("s.toml", &bad, &opts("2026-11-23"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`checked` must be a date YYYY-MM-DD, got `October`"),
        "{err}"
    );
    assert!(err.contains("model[m].checked"), "{err}");
}
