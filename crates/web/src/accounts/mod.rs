//! Accounts in the console: an administrator or a district office makes the accounts
//! that work below it (streets, centres, secretaries, liaisons, members) within its
//! territory, with scope chosen in the division and organisation pickers; resets a
//! password (a new one shown once) and disables an account. Every change is audited.

pub mod pages;
