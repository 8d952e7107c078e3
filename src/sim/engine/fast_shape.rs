//! The shape of one workflow's request cost on one stack, measured once per run on the fast
//! engine's reference sample of exactly simulated requests: the skewness of a day's sum, the
//! relative request costs that sampled users draw (with, under incidents, the costs of each
//! request's repeats), and the size-biased draw of the request a hard cap refuses.

/// The shape of one workflow's request cost on one stack, from the reference sample.
#[derive(Clone, Debug)]
pub(super) struct Shape {
    /// Skewness of the list-price cost of a request: the reference sample's, or the closed
    /// form's where that is larger (a heavy tail the sample does not reach).
    pub(super) skew: f64,
    /// Request costs divided by their mean, for sampling single users' requests.
    pub(super) relative: Vec<f64>,
    /// Running sums of `relative`, for drawing a request with probability in proportion to its
    /// cost.
    cumulative: Vec<f64>,
    pub(super) latencies: Vec<f64>,
    /// Per request of `relative`, the costs of an incident's repeats of that request (the
    /// same prompt sent again), each repeat's column rescaled to mean 1: in units of the
    /// expected repeat. Empty where no incident reaches the workflow.
    rewalks: Vec<Vec<f64>>,
}

/// The stride at which a reference sample of `n` requests is kept for single users' costs
/// (about 4,096 of them).
pub(super) fn kept_stride(n: usize) -> usize {
    (n / 4096).max(1)
}

impl Shape {
    /// Set the repeats of each kept request (per request, per repeat, in dollars), rescaling
    /// each repeat's column to mean 1 so that a user's repeats cost the trial's expected repeat
    /// on average, whatever the number of them. A column that costs nothing (every request a
    /// semantic-cache hit, say) is taken at its expectation.
    pub(super) fn set_rewalks(&mut self, mut rewalks: Vec<Vec<f64>>) {
        let columns = rewalks.iter().map(Vec::len).min().unwrap_or(0);
        for j in 0..columns {
            let mean = rewalks.iter().map(|r| r[j]).sum::<f64>() / rewalks.len() as f64;
            for r in &mut rewalks {
                r[j] = if mean > 0.0 { r[j] / mean } else { 1.0 };
            }
        }
        for r in &mut rewalks {
            r.truncate(columns);
        }
        self.rewalks = if columns > 0 && rewalks.len() == self.relative.len() {
            rewalks
        } else {
            Vec::new()
        };
    }

    /// Repeat `j` (from 0) of kept request `i`, in units of the expected repeat; `None` beyond
    /// the repeats recorded.
    pub(super) fn rewalk(&self, i: usize, j: usize) -> Option<f64> {
        self.rewalks.get(i).and_then(|r| r.get(j)).copied()
    }

    /// A request's cost relative to the mean, drawn in proportion to its cost (size-biased) from
    /// `u` uniform on [0, 1). The request that a month's spend crosses the hard cap in is such a
    /// draw: the crossing is a uniform point of the month's dollars, so a request is hit in
    /// proportion to its cost, and the gap it leaves below the cap is a uniform share of it.
    /// That gap then has the density `P(X > g) / E[X]` of a renewal process's undershoot, with
    /// mean `E[X²] / (2·E[X])`: half a request only where every request costs the same.
    pub(super) fn size_biased(&self, u: f64) -> f64 {
        let Some(&total) = self.cumulative.last() else {
            return 1.0;
        };
        let i = self
            .cumulative
            .partition_point(|&c| c <= u * total)
            .min(self.relative.len() - 1);
        self.relative[i]
    }
}

/// The shape of a reference sample of (cost, latency) pairs.
pub(super) fn shape(samples: Vec<(f64, Option<f64>)>) -> Shape {
    let costs: Vec<f64> = samples.iter().map(|(c, _)| *c).collect();
    let n = costs.len() as f64;
    let mean = costs.iter().sum::<f64>() / n.max(1.0);
    let (mut m2, mut m3) = (0.0, 0.0);
    for c in &costs {
        let d = c - mean;
        m2 += d * d;
        m3 += d * d * d;
    }
    let var = m2 / n.max(1.0);
    let sd = var.sqrt();
    let skew = if sd > 0.0 {
        m3 / n / (sd * sd * sd)
    } else {
        0.0
    };
    // About 4,096 of the requests for single users' costs, rescaled so that their mean is
    // exactly 1 (a user's requests then cost the trial's expected request on average); every
    // request's latency.
    let stride = kept_stride(costs.len());
    let kept: Vec<f64> = costs.iter().step_by(stride).copied().collect();
    let kept_mean = kept.iter().sum::<f64>() / kept.len().max(1) as f64;
    let relative: Vec<f64> = if kept_mean > 0.0 {
        kept.iter().map(|c| c / kept_mean).collect()
    } else {
        Vec::new()
    };
    let cumulative = relative
        .iter()
        .scan(0.0, |sum, r| {
            *sum += r;
            Some(*sum)
        })
        .collect();
    Shape {
        skew,
        relative,
        cumulative,
        latencies: samples.iter().filter_map(|(_, l)| *l).collect(),
        rewalks: Vec::new(),
    }
}

/// The dollars of the share of a day the hard cap refused, `1 - served`, as they would have been
/// billed at the prices of the moment it refused them, as the exact engine prices each refused
/// request: from the state the cap froze (refused requests cross no volume tier), and at what
/// they would have been billed, drawn against a commitment or not (not the committed spend they
/// would have added, which is nothing while a commitment is unused). `spend` bills a share of
/// the day in place and returns (committed spend, the share's billed dollars); it is left billed
/// at `served`.
pub(super) fn refused_at_margin(spend: &mut impl FnMut(f64) -> (f64, f64), served: f64) -> f64 {
    let step = (1.0 - served).min(1e-6);
    let next = spend(served + step).1;
    let at = spend(served).1;
    (1.0 - served) * ((next - at) / step).max(0.0)
}
