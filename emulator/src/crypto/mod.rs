//! The emulator's cryptography: the JWTs it signs and verifies, the claim sets they
//! carry, and the random secrets it hands out.

pub mod claims;
pub mod jwt;
pub mod random;
