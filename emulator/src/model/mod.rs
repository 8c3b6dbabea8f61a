//! The data the emulator serves and keeps: the world of entities, the seed it is built from,
//! the state file it is saved in, and the clock every time is read from.

pub mod clock;
pub mod demo;
pub mod seed;
pub mod seeding;
pub mod session;
pub mod state;
pub mod trust;
pub mod world;
