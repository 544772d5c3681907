// Placeholder: this listing is being written.
fn main() {}
