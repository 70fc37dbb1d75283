//! Server tests: the real app on a random port with a fresh database, each
//! test on SQLite and on PostgreSQL. One test binary (not one per file) so
//! the heavy dependency graph is linked once.

#[macro_use]
mod common;

mod app_passwords;
mod auth;
mod bad_input;
mod cli;
mod crash;
mod data_center;
mod dc_clients;
mod defences;
mod git;
mod openapi;
mod rest;
mod rest_tokens;
mod rotation;
mod tokens;
mod warnings;
mod workspaces;
