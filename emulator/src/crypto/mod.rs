//! The emulator's cryptography: the JWTs it signs and verifies and the claim sets they carry.

pub mod claims;
pub mod jwt;
