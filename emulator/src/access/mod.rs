//! IAM access management: IAM Policy Management (v1 and v2 policies, roles and custom roles),
//! IAM Access Groups, and the access decisions every API of the emulator asks for.

pub mod enforce;
