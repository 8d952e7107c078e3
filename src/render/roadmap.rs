//! The roadmap to a spend target (`levers --target --format markdown`) as a Markdown section a
//! brief can hold: one table per stack, levers in the suggested order.

use crate::analysis::levers::{
    Roadmap, effort, one_at_a_time, quantile_name, search_note, verdict,
};

/// The roadmap as a Markdown section, to append to a brief.
pub fn render_markdown(r: &Roadmap) -> String {
    use super::markdown::escape;
    use crate::base::format::{money, percent};
    let q = quantile_name(r.probability);
    let mut out = format!(
        "## Roadmap to {} a month\n\nTarget read as {}. {} simulated months, seed {}.\n\n",
        escape(&money(r.target_usd)),
        escape(&r.reading),
        r.trials,
        r.seed
    );
    if !r.without.is_empty() {
        out.push_str(&format!("Left out: {}.\n\n", escape(&r.without.join(", "))));
    }
    for st in &r.stacks {
        out.push_str(&format!(
            "### {}\n\n{}.\n\n",
            escape(&st.stack),
            escape(&verdict(r, st))
        ));
        if st.steps.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "| # | lever | change | effort | saves a month | mean after | {q} after | months under |\n|--:|---|---|--:|--:|--:|--:|--:|\n"
        ));
        for (i, step) in st.steps.iter().enumerate() {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
                i + 1,
                escape(&step.key),
                escape(&step.change),
                effort(step.effort),
                escape(&money(step.saving_usd.mean)),
                escape(&money(step.mean_usd)),
                escape(&money(step.quantile_usd)),
                escape(&percent(step.probability_under))
            ));
        }
        out.push_str(&format!(
            "\nTogether they save {} ± {} a month; {}.\n\n",
            escape(&money(st.saving_usd.mean)),
            escape(&money(st.saving_usd.standard_error)),
            escape(&one_at_a_time(st))
        ));
    }
    out.push_str(&format!("_{}_\n", escape(&search_note(r))));
    out
}
