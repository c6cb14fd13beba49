//! IP ranges of `IpAddress` conditions: does a list of CIDR blocks leave out
//! any caller?

use std::net::IpAddr;

/// Whether the CIDR blocks together cover every IPv4 address or every IPv6
/// address. Either is enough for a caller who wants in: they pick the family.
/// Values that are not CIDR blocks or addresses are ignored (they match
/// nothing).
pub fn covers_every_address(values: &[String]) -> bool {
    let mut v4: Vec<(u128, u128)> = Vec::new();
    let mut v6: Vec<(u128, u128)> = Vec::new();
    for v in values {
        let (addr, len) = match v.trim().split_once('/') {
            Some((a, l)) => (a, l.parse::<u32>().ok()),
            None => (v.trim(), None),
        };
        match addr.parse::<IpAddr>() {
            Ok(IpAddr::V4(a)) => {
                push_block(&mut v4, u128::from(u32::from(a)), len.unwrap_or(32), 32)
            }
            Ok(IpAddr::V6(a)) => push_block(&mut v6, u128::from(a), len.unwrap_or(128), 128),
            Err(_) => {}
        }
    }
    covers_all(v4, u128::from(u32::MAX)) || covers_all(v6, u128::MAX)
}

/// Adds the block `addr/len` of a `bits`-wide family as an inclusive range.
fn push_block(ranges: &mut Vec<(u128, u128)>, addr: u128, len: u32, bits: u32) {
    if len > bits {
        return;
    }
    let host_bits = bits - len;
    let size_mask = if host_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    let start = addr & !size_mask;
    ranges.push((start, start | size_mask));
}

/// Whether the inclusive ranges cover `0..=max`.
fn covers_all(mut ranges: Vec<(u128, u128)>, max: u128) -> bool {
    ranges.sort_unstable();
    let mut next = 0u128; // first address not yet covered
    for (start, end) in ranges {
        if start > next {
            return false;
        }
        if end >= max {
            return true;
        }
        next = next.max(end + 1);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every(values: &[&str]) -> bool {
        covers_every_address(&values.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn whole_families_cover_everyone() {
        assert!(every(&["0.0.0.0/0"]));
        assert!(every(&["::/0"]));
        assert!(every(&["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/2"]));
        assert!(every(&["203.0.113.0/24", "0.0.0.0/0"]));
    }

    #[test]
    fn partial_ranges_do_not() {
        assert!(!every(&["203.0.113.0/24"]));
        assert!(!every(&["0.0.0.0/1"]));
        assert!(!every(&["0.0.0.0/1", "192.0.0.0/2"]));
        assert!(!every(&["not-an-ip", "10.0.0.0/8"]));
        assert!(!every(&[]));
    }
}
