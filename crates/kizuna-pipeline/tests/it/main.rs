//! The use cases over a real SQLite store: a scan judges exactly the inputs it read,
//! never what an older run left in the store.

mod scan;
