//! The emulator's clock: real time plus an offset that `POST /emulator/clock` moves, so a test
//! can make tokens, refresh sessions and passcodes expire (or be about to) without waiting.
//! Every time the emulator hands out or checks is read here.

use std::sync::atomic::{AtomicI64, Ordering};

use jiff::{SignedDuration, Timestamp};

/// The longest span of time the emulator deals in: how far the clock may move from real time,
/// and the longest lifetime of a token or passcode. A century is far beyond any real use, and
/// keeps "now + lifetime" within i64 and every time printable in IBM's formats.
pub const MAX_SPAN: i64 = 100 * 366 * 24 * 3600;

#[derive(Debug, Default)]
pub struct Clock {
    offset: AtomicI64,
}

/// The clock read once: the time and the offset it was computed with.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    pub now: i64,
    pub offset: i64,
}

/// A move of the clock beyond `MAX_SPAN` from real time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClockError {
    /// A state file's offset.
    OffsetTooFar(i64),
    /// `POST /emulator/clock`: the move and the offset it would have made.
    AdvanceTooFar { seconds: i64, offset: i64 },
}

impl std::fmt::Display for ClockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClockError::OffsetTooFar(offset) => write!(
                f,
                "clock offset {offset} s is beyond {MAX_SPAN} s from real time"
            ),
            ClockError::AdvanceTooFar { seconds, offset } => write!(
                f,
                "'advance_seconds' {seconds} would move the clock {offset} s from real time; the limit is {MAX_SPAN} s"
            ),
        }
    }
}

impl std::error::Error for ClockError {}

impl Clock {
    /// A clock resumed from a state file.
    pub fn with_offset(offset: i64) -> Result<Clock, ClockError> {
        if !(-MAX_SPAN..=MAX_SPAN).contains(&offset) {
            return Err(ClockError::OffsetTooFar(offset));
        }
        Ok(Clock {
            offset: AtomicI64::new(offset),
        })
    }

    /// Epoch seconds.
    pub fn now(&self) -> i64 {
        self.read().now
    }

    /// The time with sub-second precision, for error bodies' context times.
    pub fn timestamp(&self) -> Timestamp {
        shifted(self.offset.load(Ordering::Relaxed))
    }

    pub fn offset(&self) -> i64 {
        self.offset.load(Ordering::Relaxed)
    }

    pub fn read(&self) -> Reading {
        let offset = self.offset();
        Reading {
            now: shifted(offset).as_second(),
            offset,
        }
    }

    /// Puts the offset back to one it had (a reset); `with_offset` checked it then.
    pub fn set_offset(&self, offset: i64) {
        self.offset
            .store(offset.clamp(-MAX_SPAN, MAX_SPAN), Ordering::Release);
    }

    /// Moves the clock by `seconds` (back when negative); offsets add up. Refused, leaving the
    /// clock as it was, when the total would exceed `MAX_SPAN`.
    pub fn advance(&self, seconds: i64) -> Result<Reading, ClockError> {
        let previous = self
            .offset
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |o| {
                o.checked_add(seconds)
                    .filter(|n| (-MAX_SPAN..=MAX_SPAN).contains(n))
            })
            .map_err(|o| ClockError::AdvanceTooFar {
                seconds,
                offset: o.saturating_add(seconds),
            })?;
        let offset = previous + seconds;
        Ok(Reading {
            now: shifted(offset).as_second(),
            offset,
        })
    }
}

/// The instant of `secs` epoch seconds, for printing; the epoch itself for seconds beyond
/// what a timestamp holds (the clock never produces those, a state file might).
pub fn timestamp(secs: i64) -> Timestamp {
    Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn shifted(offset: i64) -> Timestamp {
    let real = Timestamp::now();
    real.checked_add(SignedDuration::from_secs(offset))
        .unwrap_or(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_add_up_and_stay_bounded() {
        let clock = Clock::default();
        let real = Timestamp::now().as_second();
        assert!((clock.now() - real).abs() <= 1);
        assert_eq!(clock.advance(100).unwrap().offset, 100);
        assert_eq!(clock.advance(-30).unwrap().offset, 70);
        assert!((clock.now() - real - 70).abs() <= 1);
        assert!(clock.advance(MAX_SPAN).is_err());
        assert!(clock.advance(i64::MIN).is_err());
        assert_eq!(clock.offset(), 70);
        assert!(Clock::with_offset(MAX_SPAN + 1).is_err());
        assert_eq!(Clock::with_offset(-5).unwrap().offset(), -5);
    }
}
