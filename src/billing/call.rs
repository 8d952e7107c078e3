//! The per-call rule: what one model call is billed, line by line. A call's prefix is read from
//! or written to the prompt cache (at the write price of its time to live) when it reaches the
//! model's cacheable minimum, and is plain input below it; the rest of its input, its images
//! (per image or per token), its audio and what it produces are billed at the prices of its
//! service tier and long-context state; a flex call the provider refuses is billed at standard; a
//! call that fails at the provider bills its input or nothing, and never its output or tools; the
//! batch path keeps `1 − batch_discount` of the token dollars, not of tool fees.
//!
//! The rule is linear in the quantities it is given, so one set of functions serves both ways of
//! pricing a call: the exact engine passes one drawn call (a cache hit is a probability of 1 or
//! 0), the closed forms pass expected quantities weighted by their probability, and the moments
//! read the same rule's unit prices as the coefficients of their variance.

use crate::billing::classes::{CostClass, Meter, TokenKind, Tokens};
use crate::billing::prices::{ModelDraw, PriceDraw};
use crate::model::{CacheTtl, ErrorBilling, ServiceTier};

/// Whether a prefix of `prefix` tokens is cached (read, or written) on a model whose smallest
/// cacheable prefix is `min_cacheable_tokens`; a shorter one is billed as plain input.
#[inline]
pub fn cacheable(prefix: f64, min_cacheable_tokens: f64) -> bool {
    prefix > 0.0 && prefix >= min_cacheable_tokens
}

/// The longest prefix that is not cacheable on a model with this minimum: prefixes in
/// `(−∞, plain_prefix_limit]` are plain input, longer ones cacheable (the form the closed forms
/// cut a prefix's distribution at; the largest float below the minimum, so that the minimum
/// itself is cacheable).
pub fn plain_prefix_limit(min_cacheable_tokens: f64) -> f64 {
    if min_cacheable_tokens <= 0.0 {
        f64::NEG_INFINITY
    } else {
        min_cacheable_tokens - min_cacheable_tokens * f64::EPSILON * 2.0
    }
}

/// Whether a call bills its lines of `meter`: a call that was answered bills them all; one that
/// failed at the provider bills nothing or, under `error_billing = "input"`, what it sent (never
/// what it would have produced, nor the tools it did not run).
#[inline]
pub fn billed(meter: Meter, errored: bool, error_billing: ErrorBilling) -> bool {
    !errored || (error_billing == ErrorBilling::Input && meter.is_input())
}

/// The share of a call's token dollars that is billed: `1 − batch_discount` on the batch path,
/// else all. Tool fees are billed whole either way.
#[inline]
pub fn batch_keep(model: &ModelDraw, batch: bool) -> f64 {
    if batch {
        1.0 - model.batch_discount
    } else {
        1.0
    }
}

/// Dollars of `micro` micro-dollars (USD × 10⁶) of token lines, with the batch share `keep`.
#[inline]
pub fn usd(micro: f64, keep: f64) -> f64 {
    micro / 1e6 * keep
}

/// Dollars of `calls` calls of a tool at `usd_per_call` each.
#[inline]
pub fn tool_fee(calls: f64, usd_per_call: f64) -> f64 {
    calls * usd_per_call
}

/// The service tiers a call sent at one tier is billed at, with their probabilities.
#[derive(Clone, Copy, Debug)]
pub struct BilledTiers {
    parts: [(f64, ServiceTier); 2],
    len: usize,
}

impl BilledTiers {
    /// (probability, tier) of each way the call is billed, in order.
    pub fn as_slice(&self) -> &[(f64, ServiceTier)] {
        &self.parts[..self.len]
    }

    /// The probability that the provider refuses the call at its tier (a flex call), re-sending
    /// it at [`REFUSED_FLEX_BILLED_AT`]; 0 for the other tiers.
    pub fn refusal_rate(&self) -> f64 {
        if self.len == 2 { self.parts[1].0 } else { 0.0 }
    }
}

/// The tier a refused flex call is re-sent and billed at.
pub const REFUSED_FLEX_BILLED_AT: ServiceTier = ServiceTier::Standard;

/// How a call sent at `tier` to `model` is billed: a flex call is refused with the model's
/// `flex_unavailable_rate` and then billed at standard; other tiers are billed as sent.
pub fn billed_tiers(tier: ServiceTier, model: &ModelDraw) -> BilledTiers {
    match tier {
        ServiceTier::Flex => {
            let u = model.flex_unavailable_rate;
            BilledTiers {
                parts: [(1.0 - u, ServiceTier::Flex), (u, REFUSED_FLEX_BILLED_AT)],
                len: 2,
            }
        }
        t => BilledTiers {
            parts: [(1.0, t), (0.0, t)],
            len: 1,
        },
    }
}

/// The lines of a call's bill before tool fees: one per [`Meter`] that tokens or images are
/// billed under, the cache writes' time to live deciding which write meter applies.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Line {
    Input,
    CachedInput,
    CacheWrite,
    Output,
    Reasoning,
    ImageTokens,
    Images,
    AudioInput,
    AudioOutput,
}

impl Line {
    pub const COUNT: usize = 9;
    pub const ALL: [Line; Line::COUNT] = [
        Line::Input,
        Line::CachedInput,
        Line::CacheWrite,
        Line::Output,
        Line::Reasoning,
        Line::ImageTokens,
        Line::Images,
        Line::AudioInput,
        Line::AudioOutput,
    ];

    /// What the line meters, with the cache writes' time to live.
    pub fn meter(self, ttl: CacheTtl) -> Meter {
        match self {
            Line::Input => Meter::Input,
            Line::CachedInput => Meter::CachedInput,
            Line::CacheWrite if ttl == CacheTtl::OneHour => Meter::CacheWrite1h,
            Line::CacheWrite => Meter::CacheWrite,
            Line::Output => Meter::Output,
            Line::Reasoning => Meter::Reasoning,
            Line::ImageTokens => Meter::ImageTokens,
            Line::Images => Meter::Images,
            Line::AudioInput => Meter::AudioInput,
            Line::AudioOutput => Meter::AudioOutput,
        }
    }

    /// The unit the line's quantity counts.
    pub fn unit(self) -> &'static str {
        match self {
            Line::Images => "images",
            _ => "tokens",
        }
    }

    /// The divisor that turns micro-dollars per unit into the displayed unit price.
    pub fn price_scale(self) -> f64 {
        match self {
            Line::Images => 1e6,
            _ => 1.0,
        }
    }
}

/// A call's bill before tool fees and batch: quantity, micro-dollars (USD × 10⁶) and tokens by
/// line, for one drawn call or, weighted, for the expectation of many.
#[derive(Clone, Copy, Debug, Default)]
pub struct CallLines {
    pub quantity: [f64; Line::COUNT],
    pub micro: [f64; Line::COUNT],
    /// Tokens behind each line (for per-image pricing, the images' tokens).
    pub tokens: [f64; Line::COUNT],
}

impl CallLines {
    #[inline]
    fn add(&mut self, line: Line, quantity: f64, micro: f64) {
        self.quantity[line as usize] += quantity;
        self.micro[line as usize] += micro;
        if line != Line::Images {
            self.tokens[line as usize] += quantity;
        }
    }

    /// Add `o` weighted by `w`.
    pub fn add_scaled(&mut self, o: &CallLines, w: f64) {
        for i in 0..Line::COUNT {
            self.quantity[i] += w * o.quantity[i];
            self.micro[i] += w * o.micro[i];
            self.tokens[i] += w * o.tokens[i];
        }
    }

    /// Micro-dollars by token-priced [`CostClass`].
    #[inline]
    pub fn class_micro(&self) -> [f64; CostClass::TOKEN_PRICED] {
        let mut out = [0.0; CostClass::TOKEN_PRICED];
        for line in Line::ALL {
            out[line.meter(CacheTtl::FiveMinutes).class().index()] += self.micro[line as usize];
        }
        out
    }

    /// Tokens by [`TokenKind`].
    #[inline]
    pub fn kind_tokens(&self) -> [f64; Tokens::LEN] {
        let mut out = [0.0; Tokens::LEN];
        for line in Line::ALL {
            let kind = line
                .meter(CacheTtl::FiveMinutes)
                .token_kind()
                .unwrap_or(TokenKind::Input);
            out[kind.index()] += self.tokens[line as usize];
        }
        out
    }
}

/// The per-call rule at one price set: the prices of a call's service tier and long-context
/// state, and its cache writes' time to live.
#[derive(Clone, Copy, Debug)]
pub struct CallRule<'a> {
    pub prices: &'a PriceDraw,
    pub ttl: CacheTtl,
}

impl<'a> CallRule<'a> {
    pub fn new(prices: &'a PriceDraw, ttl: CacheTtl) -> Self {
        CallRule { prices, ttl }
    }

    /// The price of one unit of `line`: USD per million tokens, or per million images (the
    /// coefficient the moments multiply quantities by).
    #[inline]
    pub fn price(&self, line: Line) -> f64 {
        let p = self.prices;
        match line {
            Line::Input => p.input,
            Line::CachedInput => p.cached_input,
            Line::CacheWrite => match self.ttl {
                CacheTtl::FiveMinutes => p.cache_write,
                CacheTtl::OneHour => p.cache_write_1h,
            },
            Line::Output => p.output,
            Line::Reasoning => p.reasoning,
            Line::ImageTokens => p.image,
            Line::Images => p.per_image.unwrap_or(0.0) * 1e6,
            Line::AudioInput => p.audio_input,
            Line::AudioOutput => p.audio_output,
        }
    }

    /// Micro-dollars of `quantity` units of `line`.
    #[inline]
    fn bill(&self, lines: &mut CallLines, line: Line, quantity: f64) {
        let micro = match line {
            // Per image: quantity × price × 10⁶, in that order.
            Line::Images => quantity * self.prices.per_image.unwrap_or(0.0) * 1e6,
            _ => quantity * self.price(line),
        };
        lines.add(line, quantity, micro);
    }

    /// A prefix: `plain` tokens below the model's cacheable minimum (plain input) and
    /// `cacheable` tokens at or above it, read from the cache with probability `hit` and written
    /// otherwise (a drawn call passes a hit of 1 or 0).
    #[inline]
    pub fn prefix(&self, lines: &mut CallLines, plain: f64, cacheable: f64, hit: f64) {
        self.bill(lines, Line::Input, plain);
        self.bill(lines, Line::CachedInput, cacheable * hit);
        self.bill(lines, Line::CacheWrite, cacheable * (1.0 - hit));
    }

    /// The expected price of a token of a cacheable prefix read with probability `hit`, and the
    /// variance of that price (read or written, a Bernoulli draw).
    pub fn cacheable_prefix_price(&self, hit: f64) -> (f64, f64) {
        let (read, write) = (self.price(Line::CachedInput), self.price(Line::CacheWrite));
        (
            hit * read + (1.0 - hit) * write,
            hit * (1.0 - hit) * (read - write).powi(2),
        )
    }

    /// Text input beyond the prefix (the variable prompt, retrieved chunks, an agent loop's
    /// growth).
    #[inline]
    pub fn text(&self, lines: &mut CallLines, tokens: f64) {
        self.bill(lines, Line::Input, tokens);
    }

    /// `images` images of `tokens` tokens in all: per image where the model prices images so,
    /// else per token. Images without a token count (`None`) are metered in images whatever the
    /// pricing.
    #[inline]
    pub fn images(&self, lines: &mut CallLines, images: f64, tokens: Option<f64>) {
        match (self.prices.per_image, tokens) {
            (Some(_), t) => {
                self.bill(lines, Line::Images, images);
                lines.tokens[Line::Images as usize] += t.unwrap_or(0.0);
            }
            (None, Some(t)) => self.bill(lines, Line::ImageTokens, t),
            (None, None) => self.bill(lines, Line::Images, images),
        }
    }

    /// The price of one token of images of `tokens_per_image` tokens each: the per-image price
    /// spread over its tokens, or the per-token image price.
    pub fn image_token_price(&self, tokens_per_image: f64) -> f64 {
        match self.prices.per_image {
            Some(per) => per * 1e6 / tokens_per_image,
            None => self.prices.image,
        }
    }

    /// Audio input.
    #[inline]
    pub fn audio_input(&self, lines: &mut CallLines, tokens: f64) {
        self.bill(lines, Line::AudioInput, tokens);
    }

    /// What the model produces: output, reasoning and audio output tokens.
    #[inline]
    pub fn produced(&self, lines: &mut CallLines, output: f64, reasoning: f64, audio_output: f64) {
        self.bill(lines, Line::Output, output);
        self.bill(lines, Line::Reasoning, reasoning);
        self.bill(lines, Line::AudioOutput, audio_output);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prices() -> PriceDraw {
        PriceDraw {
            input: 3.0,
            output: 15.0,
            cached_input: 0.3,
            cache_write: 3.75,
            cache_write_1h: 6.0,
            reasoning: 15.0,
            image: 3.0,
            per_image: None,
            audio_input: 40.0,
            audio_output: 80.0,
        }
    }

    #[test]
    fn a_prefix_is_read_or_written_at_the_price_of_its_time_to_live() {
        let p = prices();
        let rule = CallRule::new(&p, CacheTtl::OneHour);
        let mut l = CallLines::default();
        rule.prefix(&mut l, 0.0, 1000.0, 0.0);
        rule.text(&mut l, 500.0);
        // 1,000 written at $6/M and 500 input at $3/M: 6,000 + 1,500 micro-dollars.
        let c = l.class_micro();
        assert_eq!(c[CostClass::CacheWrite.index()], 6000.0);
        assert_eq!(c[CostClass::Input.index()], 1500.0);
        assert_eq!(l.kind_tokens()[TokenKind::CacheWrite.index()], 1000.0);
        assert_eq!(
            rule.cacheable_prefix_price(0.25),
            (
                0.25 * 0.3 + 0.75 * 6.0,
                0.25 * 0.75 * (0.3f64 - 6.0).powi(2)
            )
        );
    }

    #[test]
    fn the_cacheable_minimum_is_itself_cacheable() {
        assert!(cacheable(1024.0, 1024.0));
        assert!(!cacheable(1023.0, 1024.0));
        assert!(!cacheable(0.0, 0.0));
        assert!(plain_prefix_limit(1024.0) < 1024.0);
        assert!(plain_prefix_limit(1024.0) > 1023.999);
        assert_eq!(plain_prefix_limit(0.0), f64::NEG_INFINITY);
    }

    #[test]
    fn images_priced_each_count_their_tokens_but_bill_per_image() {
        let p = PriceDraw {
            per_image: Some(0.002),
            ..prices()
        };
        let rule = CallRule::new(&p, CacheTtl::FiveMinutes);
        let mut l = CallLines::default();
        rule.images(&mut l, 3.0, Some(2400.0));
        // 3 images at $0.002: $0.006 = 6,000 micro-dollars.
        assert_eq!(l.class_micro()[CostClass::Image.index()], 6000.0);
        assert_eq!(l.kind_tokens()[TokenKind::Image.index()], 2400.0);
        assert_eq!(rule.image_token_price(800.0), 0.002 * 1e6 / 800.0);
    }

    #[test]
    fn an_errored_call_bills_at_most_its_input() {
        assert!(billed(Meter::Output, false, ErrorBilling::None));
        assert!(billed(Meter::CachedInput, true, ErrorBilling::Input));
        assert!(!billed(Meter::Output, true, ErrorBilling::Input));
        assert!(!billed(Meter::Tool(0), true, ErrorBilling::Input));
        assert!(!billed(Meter::Input, true, ErrorBilling::None));
    }

    #[test]
    fn a_refused_flex_call_is_billed_at_standard() {
        let mut m = ModelDraw::default();
        m.flex_unavailable_rate = 0.1;
        let t = billed_tiers(ServiceTier::Flex, &m);
        assert_eq!(
            t.as_slice(),
            &[(0.9, ServiceTier::Flex), (0.1, ServiceTier::Standard)]
        );
        assert_eq!(t.refusal_rate(), 0.1);
        assert_eq!(
            billed_tiers(ServiceTier::Priority, &m).as_slice(),
            &[(1.0, ServiceTier::Priority)]
        );
    }
}
