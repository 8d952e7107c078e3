//! The roadmap to a spend target (`levers --target`): its figures, and their text and Markdown.
//! Every figure of a step is that of the levers up to it simulated together, on the same months
//! as the scenario as it is.

use serde::Serialize;

pub use super::apply::quantile_name;
use crate::base::stats::paired::Delta;

/// How the search went (see [`super::target`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Search {
    Exhaustive,
    Greedy,
}

/// How a probability reads the target, for people.
pub fn reading(p: f64) -> String {
    if (p - 0.5).abs() < 1e-12 {
        "a typical month: the median month stays under it (--probability 0.5, the default)"
            .to_string()
    } else {
        let q = quantile_name(p);
        format!("the {q} month stays under it (--probability {p})")
    }
}

/// One lever of the roadmap, in the suggested order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    /// The candidate's key, as the backlog prints it.
    pub key: String,
    pub lever: String,
    pub change: String,
    /// The effort given with `--effort`; none when not given (it then counts as 1).
    pub effort: Option<f64>,
    /// Monthly saving of this step on top of the ones before it, per trial.
    pub saving_usd: Delta,
    /// Mean monthly spend with the levers up to this one.
    pub mean_usd: f64,
    /// The month's spend at the target's probability, with the levers up to this one.
    pub quantile_usd: f64,
    /// Share of months at or under the target with the levers up to this one.
    pub probability_under: f64,
    pub probability_standard_error: f64,
}

/// One stack's roadmap.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StackRoadmap {
    pub stack: String,
    pub baseline_mean_usd: f64,
    pub baseline_quantile_usd: f64,
    pub baseline_probability_under: f64,
    /// The candidates searched: those that save on this stack on their own, less `--without`.
    pub pool: Vec<String>,
    /// Whether the set reaches the target; when not, it is the best set found.
    pub reached: bool,
    pub steps: Vec<Step>,
    /// Sum of the steps' efforts, 1 for each not given.
    pub total_effort: f64,
    pub mean_usd: f64,
    pub quantile_usd: f64,
    pub probability_under: f64,
    pub probability_standard_error: f64,
    /// Monthly saving of the whole set, per trial.
    pub saving_usd: Delta,
    /// The set's savings one lever at a time, added as if they were additive.
    pub sum_of_savings_usd: f64,
}

/// The roadmap of every stack.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Roadmap {
    pub scenario: String,
    pub trials: u64,
    pub seed: u64,
    pub target_usd: f64,
    /// Share of months that must stay at or under the target.
    pub probability: f64,
    /// How the target is read.
    pub reading: String,
    pub search: Search,
    /// Pools up to this size are searched exhaustively.
    pub exhaustive_up_to: usize,
    /// Sets of levers simulated by the search.
    pub simulated_sets: usize,
    /// Candidates or levers left out with `--without`.
    pub without: Vec<String>,
    pub stacks: Vec<StackRoadmap>,
}

/// An effort for a table: `–` when not given.
pub fn effort(e: Option<f64>) -> String {
    e.map_or("–".to_string(), |e| format!("{e}"))
}

/// One line on a stack's roadmap: the target reached with how many levers, or how short it falls.
pub fn verdict(r: &Roadmap, st: &StackRoadmap) -> String {
    use crate::base::format::{money, percent};
    let target = money(r.target_usd);
    if st.steps.is_empty() && st.reached {
        return format!(
            "already under {target}: {} of months are, with no lever",
            percent(st.probability_under)
        );
    }
    let n = st.steps.len();
    let levers = if n == 1 { "lever" } else { "levers" };
    if st.reached {
        format!(
            "{n} {levers} reach {target}: {}{} of months at or under it, mean {} a month (from {})",
            percent(st.probability_under),
            if st.probability_standard_error > 0.0 {
                format!(" ± {}", percent(st.probability_standard_error))
            } else {
                String::new()
            },
            money(st.mean_usd),
            money(st.baseline_mean_usd)
        )
    } else if st.steps.is_empty() {
        format!(
            "no set of levers reaches {target}, and none lowers the spend: {} of months are under it",
            percent(st.probability_under)
        )
    } else {
        format!(
            "no set of levers reaches {target}; the best found ({n} {levers}) keeps {} of months under it, mean {} a month (from {}), {} short at the {}",
            percent(st.probability_under),
            money(st.mean_usd),
            money(st.baseline_mean_usd),
            money(st.quantile_usd - r.target_usd),
            quantile_name(r.probability)
        )
    }
}

/// The set's savings one lever at a time, and whether they add up to what it saves together.
pub fn one_at_a_time(st: &StackRoadmap) -> String {
    use crate::base::format::money;
    let apart = (st.sum_of_savings_usd - st.saving_usd.mean).abs()
        > (2.0 * st.saving_usd.standard_error).max(0.005 * st.saving_usd.mean.abs());
    format!(
        "one at a time their savings add up to {}{}",
        money(st.sum_of_savings_usd),
        if apart {
            ", which is not what they save together (they cut the same spend)"
        } else {
            ", what they save together (they cut different spend)"
        }
    )
}

/// How the search was made and the order chosen.
pub fn search_note(r: &Roadmap) -> String {
    let how = match r.search {
        Search::Exhaustive => format!(
            "every set of levers, smallest first ({} or fewer candidates per stack)",
            r.exhaustive_up_to
        ),
        Search::Greedy => format!(
            "greedy (more than {} candidates: the lever that lowers the mean spend most per unit of effort, added one at a time; a smaller set may exist)",
            r.exhaustive_up_to
        ),
    };
    format!(
        "Search: {how}, {} sets simulated together on common random numbers. Order: most saving per unit of effort first, each step measured on top of the ones before it; an effort not given with --effort counts as 1.",
        r.simulated_sets
    )
}

/// The roadmap as text for the terminal.
pub fn render_text(r: &Roadmap, run: &str) -> String {
    use crate::base::format::{money, percent};
    let q = quantile_name(r.probability);
    let mut out = format!(
        "Roadmap to {} a month for {} · {run}\nTarget read as {}.\n",
        money(r.target_usd),
        crate::base::escape::visible(&r.scenario),
        r.reading
    );
    if !r.without.is_empty() {
        out.push_str(&format!(
            "Left out: {}\n",
            crate::base::escape::visible(&r.without.join(", "))
        ));
    }
    for st in &r.stacks {
        out.push_str(&format!(
            "\n{} — now mean {}, {q} {}, {} of months under the target\n  {}\n",
            crate::base::escape::visible(&st.stack),
            money(st.baseline_mean_usd),
            money(st.baseline_quantile_usd),
            percent(st.baseline_probability_under),
            verdict(r, st)
        ));
        if st.steps.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "  {:>2}  {:<40} {:>7} {:>12} {:>12} {:>12} {:>8}\n",
            "#",
            "lever",
            "effort",
            "saves",
            "mean after",
            format!("{q} after"),
            "under"
        ));
        for (i, step) in st.steps.iter().enumerate() {
            out.push_str(&format!(
                "  {:>2}  {:<40} {:>7} {:>12} {:>12} {:>12} {:>8}\n",
                i + 1,
                crate::base::escape::visible(&step.key),
                effort(step.effort),
                money(step.saving_usd.mean),
                money(step.mean_usd),
                money(step.quantile_usd),
                percent(step.probability_under)
            ));
        }
        for (i, step) in st.steps.iter().enumerate() {
            out.push_str(&format!(
                "  {}. {}\n",
                i + 1,
                crate::base::escape::visible(&step.change)
            ));
        }
        out.push_str(&format!(
            "  together they save {} ± {} a month; {}\n",
            money(st.saving_usd.mean),
            money(st.saving_usd.standard_error),
            one_at_a_time(st)
        ));
    }
    out.push('\n');
    out.push_str(&search_note(r));
    out.push('\n');
    out
}
