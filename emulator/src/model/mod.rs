//! The data the emulator serves and keeps: the world of entities and what its trusted
//! profiles trust, the access data (policies, custom roles, access groups) and the role
//! catalogue they are checked against, the seed it is built from (the demo world is one), the
//! sessions refresh tokens stand for, the state file all of it is saved in, the clock every
//! time is read from, the journal of the requests answered, and what a reset restores. It imports nothing outside
//! itself but `crypto` (the state file holds the key).

pub mod access;
pub mod access_rules;
pub mod catalog;
pub mod clock;
pub mod demo;
pub mod journal;
pub mod saved;
pub mod seed;
pub mod seeding;
pub mod session;
pub mod state;
pub mod trust;
pub mod world;
