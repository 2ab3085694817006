//! Pure domain rules of 信访 work: identity numbers, phone numbers and the bundled code tables.
//! Nothing here touches the database, the clock or the network; "today" is always passed in.

pub mod codes;
pub mod idcard;
pub mod phone;
