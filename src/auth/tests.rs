//! Unit tests of the credentials layer.
