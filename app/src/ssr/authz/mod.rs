//! Authorization, on the server, for every action: [`guard`] decides who
//! may call a server function (the signed-in user and their role), and
//! [`token_admin`] who may create, edit or revoke which tokens, shared by the
//! web's server functions and the REST API.

pub mod guard;
pub mod token_admin;
