//! The token service (`POST /identity/token` and what it publishes) and the services that
//! hand out tokens beside it: the passcode page and the VPC instance metadata service.

pub mod clients;
pub mod delegated;
pub mod endpoint;
pub mod form;
pub mod grants;
pub mod issue;
pub mod passcode;
pub mod profile_grants;
pub mod vpc;
