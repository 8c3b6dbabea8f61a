//! The HTTP edge: the router and its middleware, the accept loop, IBM's error bodies, the
//! caller of a platform API, reading a request's body, flags and headers, and the limits on
//! what one client may make the server hold.

pub mod caller;
pub mod errors;
pub mod limits;
pub mod params;
pub mod router;
pub mod server;
