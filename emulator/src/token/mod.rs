//! The token service: `POST /identity/token` (the endpoint reads and dispatches, the grants
//! decide, `issue` signs), its OAuth clients and delegated refresh tokens, and what hands out
//! tokens beside it: the passcode page and the VPC instance metadata service.

pub mod clients;
pub mod delegated;
pub mod endpoint;
pub mod form;
pub mod grants;
pub mod issue;
pub mod passcode;
pub mod profile_grants;
pub mod vpc;
