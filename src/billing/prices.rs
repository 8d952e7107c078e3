//! A model's price set in one trial: every price a call can need for each service tier and
//! long-context state, derived once from the listed prices (a derived price follows the listed
//! one it scales with). Everything that prices a call reads its prices from here.

use crate::model::{Model, Param, Prices, ServiceTier, TierPrices};

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

    /// Prices above the long-context threshold: the listed ones, and the others scaled by the
    /// factor of the price they follow (reasoning and audio output follow output; images and
    /// audio input follow input; one-hour writes follow cache writes).
    fn long_context(&self, lc: &Prices, value: &impl Fn(&Param) -> f64) -> Self {
        let (input, output) = (value(&lc.input), value(&lc.output));
        let cache_write = value(&lc.cache_write);
        self.following(input, output, value(&lc.cached_input), cache_write)
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
    /// Indexed by service tier, then by whether the long-context tier applies.
    sets: [[PriceDraw; 2]; 3],
    /// The long-context threshold on a call's whole input, if the model has one.
    pub long_context_above: Option<f64>,
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
        let std_lc = m
            .long_context
            .as_ref()
            .map_or(std, |lc| std.long_context(&lc.prices, value));
        let tier = |t: &Option<TierPrices>| match t {
            Some(t) => {
                let base = std.tier(t, value);
                [base, base.scaled_like(&std, &std_lc)]
            }
            None => [std, std_lc],
        };
        ModelDraw {
            sets: [[std, std_lc], tier(&m.priority), tier(&m.flex)],
            long_context_above: m.long_context.as_ref().map(|lc| lc.above_input_tokens),
            batch_discount: value(&m.batch_discount),
            min_cacheable_tokens: m.min_cacheable_tokens,
            flex_unavailable_rate: m.flex.as_ref().map_or(0.0, |f| value(&f.unavailable_rate)),
        }
    }

    /// The prices of a call at `tier`, inside or outside the long-context tier.
    #[inline]
    pub fn prices_at(&self, tier: ServiceTier, long_context: bool) -> &PriceDraw {
        &self.sets[tier.index()][usize::from(long_context)]
    }

    /// Whether a call with this whole input is priced at long-context rates.
    #[inline]
    pub fn is_long_context(&self, input_tokens: f64) -> bool {
        self.long_context_above
            .is_some_and(|above| input_tokens > above)
    }

    /// The prices of a call at `tier` whose whole input is `input_tokens`.
    #[inline]
    pub fn prices(&self, tier: ServiceTier, input_tokens: f64) -> &PriceDraw {
        &self.sets[tier.index()][usize::from(self.is_long_context(input_tokens))]
    }
}
