//! Pure domain rules of 信访 work: identity numbers, phone numbers, the bundled code tables,
//! the working-day calendar and the statutory clocks. Nothing here touches the database, the
//! clock or the network; "today" is always passed in.

pub mod calendar;
pub mod codes;
pub mod deadline;
pub mod idcard;
pub mod phone;
