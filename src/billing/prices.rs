//! A model's price set in one trial: every price a call can need for each service tier and
//! long-context state, derived once from the listed prices (a derived price follows the listed
//! one it scales with). Everything that prices a call reads its prices from here.

use crate::model::{ListedPrices, LongContext, Model, Param, ServiceTier, TierPrices};

/// Every price a call can need, in one trial, for one service tier and long-context state:
/// USD per million tokens (per image for `per_image`). Prices a model does not have are 0;
/// validation guarantees they are never used with a non-zero quantity.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PriceDraw {
    pub input: f64,
    pub output: f64,
    pub cached_input: f64,
    pub cache_write: f64,
    pub cache_write_1h: f64,
    pub reasoning: f64,
    pub image: f64,
    pub per_image: Option<f64>,
    pub audio_input: f64,
    pub audio_output: f64,
}

/// `a / b`, the factor by which a derived price follows a listed one (1 when `b` is 0).
fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 1.0 }
}

impl PriceDraw {
    /// Standard-tier, below-threshold prices.
    fn standard(m: &Model, value: &impl Fn(&Param) -> f64) -> Self {
        let opt = |p: &Option<Param>| p.as_ref().map_or(0.0, value);
        PriceDraw {
            input: value(&m.prices.input),
            output: value(&m.prices.output),
            cached_input: value(&m.prices.cached_input),
            cache_write: value(&m.prices.cache_write),
            cache_write_1h: opt(&m.cache_write_1h),
            reasoning: value(&m.reasoning),
            image: value(&m.image_input),
            per_image: m.input_per_image.as_ref().map(value),
            audio_input: opt(&m.audio_input),
            audio_output: opt(&m.audio_output),
        }
    }

    /// Prices above a long-context threshold: the listed ones, and the others scaled by the
    /// factor of the price they follow (reasoning and audio output follow output; images and
    /// audio input follow input; one-hour writes follow cache writes unless listed).
    fn long_context(&self, lc: &LongContext, value: &impl Fn(&Param) -> f64) -> Self {
        let p = &lc.prices;
        let (input, output) = (value(&p.input), value(&p.output));
        let cache_write = value(&p.cache_write);
        let mut out = self.following(input, output, value(&p.cached_input), cache_write);
        if let Some(w) = &lc.cache_write_1h {
            out.cache_write_1h = value(w);
        }
        out
    }

    /// A service tier's prices above a long-context threshold as listed there: the listed ones,
    /// and the others those of `self` (the tier's prices scaled like the standard ones).
    fn listed(&self, t: &ListedPrices, value: &impl Fn(&Param) -> f64) -> Self {
        let get = |p: &Option<Param>, fallback: f64| p.as_ref().map_or(fallback, value);
        let input = get(&t.input, self.input);
        let output = get(&t.output, self.output);
        let cached_input = get(&t.cached_input, self.cached_input);
        let cache_write = get(&t.cache_write, self.cache_write);
        self.following(input, output, cached_input, cache_write)
    }

    /// Prices with these listed input, output, cached-read and cache-write prices, and the other
    /// classes scaled by the factor of the price they follow.
    fn following(&self, input: f64, output: f64, cached_input: f64, cache_write: f64) -> Self {
        let f_in = ratio(input, self.input);
        let f_out = ratio(output, self.output);
        PriceDraw {
            input,
            output,
            cached_input,
            cache_write,
            cache_write_1h: self.cache_write_1h * ratio(cache_write, self.cache_write),
            reasoning: self.reasoning * f_out,
            image: self.image * f_in,
            per_image: self.per_image.map(|p| p * f_in),
            audio_input: self.audio_input * f_in,
            audio_output: self.audio_output * f_out,
        }
    }

    /// Prices of a service tier: its listed prices, and the others scaled like above.
    fn tier(&self, t: &TierPrices, value: &impl Fn(&Param) -> f64) -> Self {
        let get = |p: &Option<Param>, fallback: f64| p.as_ref().map_or(fallback, value);
        let input = get(&t.input, self.input);
        let output = get(&t.output, self.output);
        let cache_write = get(&t.cache_write, self.cache_write * ratio(input, self.input));
        let cached_input = get(&t.cached_input, self.cached_input);
        self.following(input, output, cached_input, cache_write)
    }

    /// Every price times `factor` (a provider's `price_multiplier`).
    fn times(&self, factor: f64) -> Self {
        PriceDraw {
            input: self.input * factor,
            output: self.output * factor,
            cached_input: self.cached_input * factor,
            cache_write: self.cache_write * factor,
            cache_write_1h: self.cache_write_1h * factor,
            reasoning: self.reasoning * factor,
            image: self.image * factor,
            per_image: self.per_image.map(|p| p * factor),
            audio_input: self.audio_input * factor,
            audio_output: self.audio_output * factor,
        }
    }

    /// These prices scaled class by class by the long-context factors `lc / base`.
    fn scaled_like(&self, base: &PriceDraw, lc: &PriceDraw) -> Self {
        PriceDraw {
            input: self.input * ratio(lc.input, base.input),
            output: self.output * ratio(lc.output, base.output),
            cached_input: self.cached_input * ratio(lc.cached_input, base.cached_input),
            cache_write: self.cache_write * ratio(lc.cache_write, base.cache_write),
            cache_write_1h: self.cache_write_1h * ratio(lc.cache_write_1h, base.cache_write_1h),
            reasoning: self.reasoning * ratio(lc.reasoning, base.reasoning),
            image: self.image * ratio(lc.image, base.image),
            per_image: self
                .per_image
                .map(|p| p * ratio(lc.per_image.unwrap_or(p), base.per_image.unwrap_or(p))),
            audio_input: self.audio_input * ratio(lc.audio_input, base.audio_input),
            audio_output: self.audio_output * ratio(lc.audio_output, base.audio_output),
        }
    }
}

/// One model's prices in one trial.
#[derive(Clone, Debug, Default)]
pub struct ModelDraw {
    /// Indexed by long-context level (0 below every threshold), then by service tier.
    sets: Vec<[PriceDraw; 3]>,
    /// The long-context thresholds on a call's whole input, ascending (empty without any).
    pub long_context_above: Vec<f64>,
    pub batch_discount: f64,
    pub min_cacheable_tokens: f64,
    /// Probability that a flex call is refused and re-sent at standard.
    pub flex_unavailable_rate: f64,
}

impl ModelDraw {
    /// A model's prices with every parameter at its mean, for expected-value arithmetic.
    pub fn at_means(m: &Model) -> Self {
        Self::with(m, &|p: &Param| p.mean())
    }

    /// A model's prices with each parameter valued by `value`.
    pub fn with(m: &Model, value: &impl Fn(&Param) -> f64) -> Self {
        let std = PriceDraw::standard(m, value);
        let tier_base = |t: &Option<TierPrices>| t.as_ref().map_or(std, |t| std.tier(t, value));
        let (priority, flex) = (tier_base(&m.priority), tier_base(&m.flex));
        let mut sets = vec![[std, priority, flex]];
        for lc in &m.long_context {
            let std_lc = std.long_context(lc, value);
            let level = |base: PriceDraw, listed: &Option<ListedPrices>| {
                let scaled = base.scaled_like(&std, &std_lc);
                listed.as_ref().map_or(scaled, |l| scaled.listed(l, value))
            };
            sets.push([std_lc, level(priority, &lc.priority), level(flex, &lc.flex)]);
        }
        // The provider's multiplier, on the whole sheet: every class, tier and level.
        if m.price_multiplier != 1.0 {
            for set in &mut sets {
                for p in set.iter_mut() {
                    *p = p.times(m.price_multiplier);
                }
            }
        }
        ModelDraw {
            sets,
            long_context_above: m
                .long_context
                .iter()
                .map(|lc| lc.above_input_tokens)
                .collect(),
            batch_discount: value(&m.batch_discount),
            min_cacheable_tokens: m.min_cacheable_tokens,
            flex_unavailable_rate: m.flex.as_ref().map_or(0.0, |f| value(&f.unavailable_rate)),
        }
    }

    /// The prices of a call at `tier` and long-context `level` (0: below every threshold;
    /// `k`: above the `k`-th lowest).
    #[inline]
    pub fn prices_at(&self, tier: ServiceTier, level: usize) -> &PriceDraw {
        &self.sets[level][tier.index()]
    }

    /// The long-context level of a call with this whole input: how many thresholds it exceeds
    /// (the whole request is priced at the highest one crossed).
    #[inline]
    pub fn level(&self, input_tokens: f64) -> usize {
        self.long_context_above
            .iter()
            .take_while(|&&above| input_tokens > above)
            .count()
    }

    /// Whether the model has long-context prices.
    #[inline]
    pub fn has_long_context(&self) -> bool {
        !self.long_context_above.is_empty()
    }

    /// The prices of a call at `tier` whose whole input is `input_tokens`.
    #[inline]
    pub fn prices(&self, tier: ServiceTier, input_tokens: f64) -> &PriceDraw {
        self.prices_at(tier, self.level(input_tokens))
    }
}
