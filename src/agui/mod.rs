//! AG-UI protocol (being merged).
pub mod events;
