//! `aicost fit` on small hand-made logs whose every figure is worked out by hand: aggregates
//! that contradict themselves, names that merge after replacement, a column named twice, a
//! fractional token count, and `--update` on links and segments several workflows share.

mod common;

use common::aicost_dated as aicost;
use common::fit_update;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

/// Aggregate rows whose summed parts exceed their total (cache reads and writes above the input,
/// reasoning above the output) cannot come from valid calls: the pair counts as malformed, as a
/// raw row that breaks the rule does, and is not fitted.
#[test]
fn aggregates_whose_parts_exceed_their_total_are_malformed() {
    let dir = tempfile::tempdir().unwrap();
    let base = "workflow,model,measure,bucket,n,sum,sum_sq,sum_ln,sum_ln2\n\
                w,gpt-4o,input_tokens_all,160,10,10000,10000000,69.07,477.1\n\
                w,gpt-4o,output_tokens,106,10,1000,100000,46.05,212.1\n\
                w,gpt-4o,ok_calls,,10,,,,\n\
                w,,requests_weekday,,10,,,,\n\
                w,,users,,2,,,,\n\
                w,,user_requests,,2,10,50,,\n\
                ,,days_weekday,,5,,,,\n\
                ,,days_weekend,,0,,,,\n";
    let ok = dir.path().join("ok.csv");
    std::fs::write(&ok, base).unwrap();
    aicost().arg("fit").arg(&ok).assert().success();
    for (file, extra, says) in [
        (
            "cached.csv",
            "w,gpt-4o,cached_tokens,170,10,99999999,1e15,100,1000\nw,gpt-4o,cache_hits,,10,,,,\n",
            "cached (99999999) and cache-write (0) tokens exceed input tokens (10000)",
        ),
        (
            "writes.csv",
            "w,gpt-4o,cache_write_tokens,,10,1e9,,,\nw,gpt-4o,cache_read_tokens,,10,0,,,\n",
            "cached (0) and cache-write (1000000000) tokens exceed input tokens (10000)",
        ),
        (
            "reasoning.csv",
            "w,gpt-4o,reasoning_tokens,110,10,5000,2500000,60,400\n",
            "reasoning (5000) and audio (0) output tokens exceed output tokens (1000)",
        ),
    ] {
        let p = dir.path().join(file);
        std::fs::write(&p, format!("{base}{extra}")).unwrap();
        aicost()
            .arg("fit")
            .arg(&p)
            .assert()
            .code(2)
            .stderr(contains("malformed"))
            .stderr(contains(format!("{file}:2: workflow `w`, model `gpt-4o`")))
            .stderr(contains(says));
    }
    // A day number out of range is a number, said as much.
    let days = dir.path().join("days.csv");
    std::fs::write(&days, format!("{base}w,,first_day,,-99999999,,,,\n")).unwrap();
    aicost()
        .arg("fit")
        .arg(&days)
        .args(["--max-malformed", "0.5"])
        .assert()
        .success()
        .stderr(contains("whole number of days since 1970-01-01"))
        .stderr(contains("is not a number").not());
}

/// Names that differ only in control characters become one workflow; `fit` says which, and a
/// count from aggregates counts rows, not calls.
#[test]
fn names_merged_by_replacement_are_named_and_aggregate_rows_are_not_calls() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("coll.csv");
    std::fs::write(
        &log,
        "timestamp,user,workflow,model,input_tokens,output_tokens,status\n\
         2026-10-01T10:00:00Z,u1,a\tb,gpt-4o,100,10,ok\n\
         2026-10-01T10:00:00Z,u2,\"a\nb\",gpt-4o,5000,900,ok\n\
         2026-10-01T10:00:00Z,u3,a\u{FFFD}b,gpt-4o,300,30,ok\n\
         2026-10-02T10:00:00Z,u3,c\u{FFFD}d,gpt-4o,300,30,ok\n\
         2026-10-02T10:00:00Z,u3,c\u{FFFD}d,gpt-4o,300,30,ok\n",
    )
    .unwrap();
    let agg = dir.path().join("agg.csv");
    aicost()
        .arg("fit")
        .arg(&log)
        .arg("--aggregates-out")
        .arg(&agg)
        .assert()
        .success()
        .stderr(contains(
            "2 calls name a workflow or model with control characters",
        ))
        .stderr(contains("became one name: `a\u{FFFD}b`; rename"));
    let rows = std::fs::read_to_string(&agg)
        .unwrap()
        .replace("a\u{FFFD}b", "a\u{1}b");
    let n = rows.lines().filter(|l| l.starts_with("a\u{1}b,")).count();
    assert!(n > 2, "{rows}");
    std::fs::write(&agg, rows).unwrap();
    aicost()
        .arg("fit")
        .arg(&agg)
        .assert()
        .success()
        .stderr(contains(format!(
            "{n} aggregate rows name a workflow or model with control characters"
        )))
        .stderr(contains("calls name").not());
}

/// Two workflows whose steps share a route and model: the link gets the rate of all their calls
/// together, 8 failures over 20 calls = 0.4 (not the last workflow's 0.5), and a note says so.
#[test]
fn update_writes_the_call_weighted_rate_of_a_shared_link() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = "timestamp,user,workflow,model,input_tokens,cached_tokens,output_tokens,status\n"
        .to_string();
    for (workflow, calls, failed) in [("draft", 8, 2), ("summarize", 12, 6)] {
        for i in 0..calls {
            let status = if i < failed {
                "validation_failed"
            } else {
                "ok"
            };
            log += &format!(
                "2026-11-{:02}T10:00:00Z,u{},{workflow},claude-sonnet-4-5,{},0,{},{status}\n",
                1 + i % 20,
                i % 3,
                3000 + 10 * i,
                500 + 7 * i
            );
        }
    }
    let csv = dir.path().join("l.csv");
    std::fs::write(&csv, log).unwrap();
    let (_, out, run) = fit_update(
        dir.path(),
        &csv,
        r#"name = "shared"
[[segment]]
name = "all"
users = 3
sessions_per_user_per_day = 1
[[workflow]]
name = "draft"
[[workflow.step]]
name = "clause"
route = "drafting"
# 800 tokens in May
input_tokens = 100
output_tokens = 10
[[workflow]]
name = "summarize"
[[workflow.step]]
name = "summary"
route = "drafting"
input_tokens = 100
output_tokens = 10
[[model]]
name = "claude-sonnet-4-5"
[[stack]]
name = "sonnet"
[stack.route.drafting]
chain = [{ model = "claude-sonnet-4-5" }]
"#,
    );
    run.success()
        .stderr(contains(
            "route `drafting`, model `claude-sonnet-4-5` is shared by 2 workflows (`draft` 0.25 over 8 calls, `summarize` 0.5 over 12 calls): the call-weighted validation_failure_rate 0.4 is written",
        ));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains(
            "chain = [{ model = \"claude-sonnet-4-5\", validation_failure_rate = 0.4, max_attempts = 2 }]"
        ),
        "{text}"
    );
    // The comment above a replaced value stays, marked as the old figure's.
    assert!(
        text.contains("# (fit: was 100) 800 tokens in May\ninput_tokens = "),
        "{text}"
    );
    assert!(!text.contains("validation_failure_rate = 0.5"), "{text}");
    aicost().arg("validate").arg(&out).assert().success();
}

/// A scenario `fit` wrote puts workflows that share users into one segment; updating it from
/// newer logs that hold every one of them refits that segment (6 users where there were 4), once.
#[test]
fn update_refits_a_shared_segment_when_all_its_workflows_are_logged() {
    let dir = tempfile::tempdir().unwrap();
    let log = |users: u32| {
        let mut text =
            "timestamp,user,workflow,model,input_tokens,cached_tokens,output_tokens,status\n"
                .to_string();
        for day in 2..=6 {
            for u in 0..users {
                for (w, n) in [("a", 1), ("b", 2)] {
                    for k in 0..n {
                        text += &format!(
                            "2026-11-{:02}T1{k}:00:00Z,u{u},{w},gpt-4o,{},0,{},ok\n",
                            day,
                            900 + 13 * u + 7 * day,
                            100 + 5 * u + day
                        );
                    }
                }
            }
        }
        text
    };
    std::fs::write(dir.path().join("old.csv"), log(4)).unwrap();
    std::fs::write(dir.path().join("new.csv"), log(6)).unwrap();
    let fitted = dir.path().join("fitted.toml");
    aicost()
        .current_dir(dir.path())
        .args(["fit", "old.csv", "--out", "fitted.toml"])
        .assert()
        .success();
    let text = std::fs::read_to_string(&fitted).unwrap();
    assert!(text.contains("name = \"a+b\"\nusers = 4\n"), "{text}");
    let out = aicost()
        .current_dir(dir.path())
        .args([
            "fit",
            "new.csv",
            "--update",
            "fitted.toml",
            "--out",
            "new.toml",
        ])
        .assert()
        .success()
        .stderr(contains("is shared with").not())
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert_eq!(
        err.matches("updated segment `a+b` (shared by workflows that are all in the logs)")
            .count(),
        1,
        "{err}"
    );
    let text = std::fs::read_to_string(dir.path().join("new.toml")).unwrap();
    assert!(text.contains("name = \"a+b\"\nusers = 6"), "{text}");
    aicost()
        .current_dir(dir.path())
        .args(["validate", "new.toml"])
        .assert()
        .success();
}

/// A plain CSV with two `status` columns: which one holds the status cannot be told, so the log
/// is refused at its header instead of the last column winning.
#[test]
fn a_column_named_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("dup.csv");
    std::fs::write(
        &p,
        "timestamp,user,workflow,model,input_tokens,output_tokens,status,status\n\
         2026-10-03T10:00:00Z,u,w,gpt-4o,10,5,ok,error\n",
    )
    .unwrap();
    aicost()
        .arg("fit")
        .arg(&p)
        .assert()
        .code(2)
        .stderr(contains("dup.csv:1"))
        .stderr(contains(
            "the column `status` appears twice (columns 7 and 8)",
        ));
}

/// A token count with a fraction (`10.5`) is a malformed line, not rounded to 11; `10.0` is 10.
#[test]
fn a_fractional_token_count_is_malformed() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("float.jsonl");
    let span = |input: &str| {
        format!(
            "{{\"name\": \"chat\", \"startTimeUnixNano\": \"1790845200000000000\", \"attributes\": {{\"gen_ai.request.model\": \"gpt-4o\", \"gen_ai.usage.input_tokens\": {input}, \"gen_ai.usage.output_tokens\": 100, \"enduser.id\": \"u1\"}}}}\n"
        )
    };
    std::fs::write(&p, span("10.5") + &span("1000.0")).unwrap();
    aicost()
        .arg("fit")
        .arg(&p)
        .args(["--max-malformed", "0.6"])
        .assert()
        .success()
        .stderr(contains("1 malformed"))
        .stderr(contains("float.jsonl:1:"))
        .stderr(contains("10.5"));
}
