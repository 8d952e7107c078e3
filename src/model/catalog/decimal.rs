//! Unit conversion of prices without binary rounding noise.
//!
//! LiteLLM stores USD per token (`2.5e-06`); aicost works in USD per million tokens. Multiplying the
//! binary double by 1e6 gives `2.4999999999999996`, a price nobody wrote. Instead the shortest
//! decimal that reads back as the same double (Rust's `{:e}`) has its exponent shifted by six, and
//! the result is parsed: the nearest double to the decimal value the source meant, so `2.5e-06`
//! becomes exactly `2.5`.

/// `x × 10^shift`, computed on the shortest decimal representation of `x`.
pub(crate) fn shift_decimal(x: f64, shift: i32) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    let text = format!("{x:e}");
    let Some((mantissa, exponent)) = text.split_once('e') else {
        return x * 10f64.powi(shift);
    };
    let Ok(exponent) = exponent.parse::<i32>() else {
        return x * 10f64.powi(shift);
    };
    format!("{mantissa}e{}", exponent + shift)
        .parse()
        .unwrap_or(x * 10f64.powi(shift))
}

/// USD per token → USD per million tokens.
pub(crate) fn per_token_to_per_mtok(usd_per_token: f64) -> f64 {
    shift_decimal(usd_per_token, 6)
}

/// USD per thousand tokens → USD per million tokens.
pub fn per_ktok_to_per_mtok(usd_per_ktok: f64) -> f64 {
    shift_decimal(usd_per_ktok, 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_token_prices_become_the_decimals_that_were_meant() {
        assert_ne!(1e-07 * 1e6, 0.1, "the naive product is off");
        assert_ne!(5e-08 * 1e6, 0.05, "the naive product is off");
        for (per_token, per_mtok) in [
            (2.5e-06, 2.5),
            (1e-05, 10.0),
            (1.25e-07, 0.125),
            (3.75e-06, 3.75),
            (2.8e-08, 0.028),
            (1.5e-05, 15.0),
            (6.25e-07, 0.625),
            (1.1e-06, 1.1),
            (0.00015, 150.0),
            (7e-09, 0.007),
            (1e-07, 0.1),
            (5e-08, 0.05),
            (4.2e-08, 0.042),
        ] {
            assert_eq!(per_token_to_per_mtok(per_token), per_mtok, "{per_token}");
        }
        assert_eq!(per_token_to_per_mtok(0.0), 0.0);
        assert_eq!(per_ktok_to_per_mtok(0.0025), 2.5);
    }
}
