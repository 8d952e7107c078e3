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

/// Index of each billing class in [`CostBreakdown`] arrays.
pub mod class {
    pub const INPUT: usize = 0;
    pub const CACHED_INPUT: usize = 1;
    pub const CACHE_WRITE: usize = 2;
    pub const OUTPUT: usize = 3;
    pub const REASONING: usize = 4;
    pub const IMAGE: usize = 5;
    pub const AUDIO: usize = 6;
    pub const TOOL_FEES: usize = 7;
    pub const AUX_FEES: usize = 8;
    pub const VOLUME_DISCOUNT: usize = 9;
    pub const CONTRACT_DISCOUNT: usize = 10;
    pub const UNUSED_COMMITMENT: usize = 11;
    /// Classes priced per token, to which batch, volume and contract discounts apply.
    pub const TOKEN_CLASSES: usize = 7;
}

/// Index of each token kind in [`Tokens`] arrays.
pub mod token {
    pub const INPUT: usize = 0;
    pub const CACHED_INPUT: usize = 1;
    pub const CACHE_WRITE: usize = 2;
    pub const OUTPUT: usize = 3;
    pub const REASONING: usize = 4;
    pub const IMAGE: usize = 5;
    pub const AUDIO_INPUT: usize = 6;
    pub const AUDIO_OUTPUT: usize = 7;
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_bound_counts_every_class() {
        assert_eq!(CostBreakdown::LEN, crate::model::sizes::BILLING_CLASSES);
    }
}
