//! What a dollar and a token are counted under. Every figure that splits spend or tokens (the
//! report's cost drivers, the estimate's lines, the CSV columns, FOCUS meters) reads these two
//! fixed sets; the engines keep them as arrays in the hot loop and serialize them by name.

use serde::Serialize;

/// A fixed set of named amounts, stored as an array for the hot loop and serialized by name.
macro_rules! classes {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: f64,)+
        }

        impl $name {
            /// Field names in order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($field)),+];
            pub const LEN: usize = Self::NAMES.len();

            pub fn from_array(a: [f64; Self::LEN]) -> Self {
                let mut it = a.into_iter();
                $name { $($field: it.next().unwrap_or_default(),)+ }
            }

            pub fn to_array(&self) -> [f64; Self::LEN] {
                [$(self.$field),+]
            }

            pub fn add(&mut self, o: &Self) {
                $(self.$field += o.$field;)+
            }

            pub fn scaled(&self, f: f64) -> Self {
                $name { $($field: self.$field * f,)+ }
            }

            pub fn total(&self) -> f64 {
                0.0 $(+ self.$field)+
            }
        }
    };
}

classes! {
    /// Tokens of a month by how they are billed.
    Tokens {
        /// Billed at the input price (variable prompt, retrieval, uncacheable prefix).
        input,
        /// Prefix read from the prompt cache.
        cached_input,
        /// Prefix written to the prompt cache.
        cache_write,
        output,
        /// Hidden reasoning tokens.
        reasoning,
        /// Image input tokens.
        image,
        audio_input,
        audio_output,
    }
}

classes! {
    /// Spend of a month by billing class, in USD; the classes sum to the total.
    CostBreakdown {
        /// Tokens at the input price (variable prompt, retrieval, uncacheable prefix).
        input,
        cached_input,
        cache_write,
        output,
        reasoning,
        /// Image input, per token or per image.
        image,
        /// Audio input and output.
        audio,
        /// Per-call fees of external tools.
        tool_fees,
        /// Per-request fees outside the model: `aux_usd_per_request`, semantic-cache lookups.
        aux_fees,
        /// Graduated volume discounts (negative).
        volume_discount,
        /// Committed-use contract discounts (negative; applied after volume discounts).
        contract_discount,
        /// Commitment paid for but not used.
        unused_commitment,
        /// Fine-tuning jobs (one-time fees); absent from JSON where nothing was spent on them.
        #[serde(skip_serializing_if = "is_zero")]
        training,
        /// Hourly hosting of fine-tuned deployments; absent from JSON where nothing was spent.
        #[serde(skip_serializing_if = "is_zero")]
        hosting,
        /// Provisioned capacity: units × hours × the hourly price; absent where none is bought.
        #[serde(skip_serializing_if = "is_zero")]
        provisioned,
        /// The pay-as-you-go dollars of the tokens a provisioned capacity served, credited back
        /// (negative: the calls are priced pay-as-you-go, and what fit is paid by the
        /// capacity).
        #[serde(skip_serializing_if = "is_zero")]
        provisioned_served,
    }
}

/// Whether a class holds nothing: classes that most scenarios never bill stay out of the JSON.
fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// What a dollar is counted under: the fields of [`CostBreakdown`], in their order. It serializes
/// as the field's name, so a class written to JSON reads the same as the breakdown's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CostClass {
    Input,
    CachedInput,
    CacheWrite,
    Output,
    Reasoning,
    Image,
    Audio,
    ToolFees,
    AuxFees,
    VolumeDiscount,
    ContractDiscount,
    UnusedCommitment,
    Training,
    Hosting,
    Provisioned,
    ProvisionedServed,
}

impl CostClass {
    /// Every class, in [`CostBreakdown`] order.
    pub const ALL: [CostClass; CostBreakdown::LEN] = [
        CostClass::Input,
        CostClass::CachedInput,
        CostClass::CacheWrite,
        CostClass::Output,
        CostClass::Reasoning,
        CostClass::Image,
        CostClass::Audio,
        CostClass::ToolFees,
        CostClass::AuxFees,
        CostClass::VolumeDiscount,
        CostClass::ContractDiscount,
        CostClass::UnusedCommitment,
        CostClass::Training,
        CostClass::Hosting,
        CostClass::Provisioned,
        CostClass::ProvisionedServed,
    ];

    /// How many classes are priced per token (the first ones, `Input` to `Audio`): batch, volume
    /// and contract discounts apply to them, not to fees.
    pub const TOKEN_PRICED: usize = 7;

    /// The class's position in [`CostBreakdown`] arrays.
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// What a token is counted as: the fields of [`Tokens`], in their order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Input,
    CachedInput,
    CacheWrite,
    Output,
    Reasoning,
    Image,
    AudioInput,
    AudioOutput,
}

impl TokenKind {
    /// Every kind, in [`Tokens`] order.
    pub const ALL: [TokenKind; Tokens::LEN] = [
        TokenKind::Input,
        TokenKind::CachedInput,
        TokenKind::CacheWrite,
        TokenKind::Output,
        TokenKind::Reasoning,
        TokenKind::Image,
        TokenKind::AudioInput,
        TokenKind::AudioOutput,
    ];

    /// The kind's position in [`Tokens`] arrays.
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// What one line of a call's bill meters: tokens of one kind at their price, images at a price
/// each, or the calls of one tool. The meter decides the line's class, the kind its tokens count
/// as, and its label; nothing is matched by a label's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Meter {
    Input,
    CachedInput,
    /// Cache writes kept five minutes.
    CacheWrite,
    /// Cache writes kept an hour.
    CacheWrite1h,
    Output,
    Reasoning,
    /// Image input priced per token.
    ImageTokens,
    /// Image input priced per image.
    Images,
    AudioInput,
    AudioOutput,
    /// Calls of the tool at this index of the scenario's tools.
    Tool(usize),
}

impl Meter {
    /// The class the line's dollars count toward.
    pub fn class(self) -> CostClass {
        match self {
            Meter::Input => CostClass::Input,
            Meter::CachedInput => CostClass::CachedInput,
            Meter::CacheWrite | Meter::CacheWrite1h => CostClass::CacheWrite,
            Meter::Output => CostClass::Output,
            Meter::Reasoning => CostClass::Reasoning,
            Meter::ImageTokens | Meter::Images => CostClass::Image,
            Meter::AudioInput | Meter::AudioOutput => CostClass::Audio,
            Meter::Tool(_) => CostClass::ToolFees,
        }
    }

    /// The kind the line's tokens count as (for images priced each, the images' tokens); `None`
    /// for a tool, which has no tokens.
    pub fn token_kind(self) -> Option<TokenKind> {
        Some(match self {
            Meter::Input => TokenKind::Input,
            Meter::CachedInput => TokenKind::CachedInput,
            Meter::CacheWrite | Meter::CacheWrite1h => TokenKind::CacheWrite,
            Meter::Output => TokenKind::Output,
            Meter::Reasoning => TokenKind::Reasoning,
            Meter::ImageTokens | Meter::Images => TokenKind::Image,
            Meter::AudioInput => TokenKind::AudioInput,
            Meter::AudioOutput => TokenKind::AudioOutput,
            Meter::Tool(_) => return None,
        })
    }

    /// The label of the line in the estimate's arithmetic; `None` for a tool, whose line shows
    /// the tool's name.
    pub fn label(self) -> Option<&'static str> {
        Some(match self {
            Meter::Input => "input",
            Meter::CachedInput => "cached input",
            Meter::CacheWrite => "cache write",
            Meter::CacheWrite1h => "cache write 1h",
            Meter::Output => "output",
            Meter::Reasoning => "reasoning",
            Meter::ImageTokens => "image",
            Meter::Images => "images",
            Meter::AudioInput => "audio input",
            Meter::AudioOutput => "audio output",
            Meter::Tool(_) => return None,
        })
    }

    /// Whether the line bills what a call sends (its prompt) rather than what it produces or the
    /// tools it runs: all a call that fails at the provider bills under `error_billing = "input"`.
    pub fn is_input(self) -> bool {
        matches!(
            self,
            Meter::Input
                | Meter::CachedInput
                | Meter::CacheWrite
                | Meter::CacheWrite1h
                | Meter::ImageTokens
                | Meter::Images
                | Meter::AudioInput
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_serialize_as_the_breakdown_keys_in_order() {
        for (i, c) in CostClass::ALL.iter().enumerate() {
            assert_eq!(c.index(), i);
            let json = serde_json::to_string(c).expect("a class serializes");
            assert_eq!(json, format!("\"{}\"", CostBreakdown::NAMES[i]));
        }
        assert_eq!(CostBreakdown::NAMES[CostClass::TOKEN_PRICED - 1], "audio");
        for (i, k) in TokenKind::ALL.iter().enumerate() {
            assert_eq!(k.index(), i);
        }
    }

    #[test]
    fn the_memory_bound_counts_every_class() {
        assert_eq!(CostBreakdown::LEN, crate::model::sizes::BILLING_CLASSES);
    }

    #[test]
    fn a_tool_is_a_fee_whatever_it_is_called() {
        assert_eq!(Meter::Tool(0).class(), CostClass::ToolFees);
        assert_eq!(Meter::Tool(0).token_kind(), None);
        assert!(!Meter::Tool(0).is_input());
        assert_eq!(Meter::Images.token_kind(), Some(TokenKind::Image));
        assert_eq!(Meter::CacheWrite1h.class(), CostClass::CacheWrite);
    }
}
