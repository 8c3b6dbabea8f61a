//! The emulator's cryptography: the JWTs it signs and verifies, the claim sets they
//! carry, the random secrets it hands out and the one it checks (the admin token).

pub mod claims;
pub mod jwt;
pub mod random;
pub mod secret;
