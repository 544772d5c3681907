//! `#[main(flavor = "current_thread")]`: what `#[tokio::main]` does, on a paused clock.
//!
//! The output checks compile each listing's own `src/main.rs` into the `run-listing`
//! binary. For listings marked `clock = "paused"`, the name `tokio::main` there resolves
//! to this macro instead of Tokio's, so the listing's timers fire as soon as the runtime
//! has nothing else to do: a two-second sleep costs no wall time, and the printed
//! timings are exact. Everything else in the listing is untouched. (The runtime notes the
//! moment it starts for the listing's timeline: `book_outputs::timeline::clock_started`.)

use proc_macro::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};

#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    // Tokio can pause only its current-thread runtime; running a multi-thread
    // listing on one thread would change what it prints, so refuse instead.
    if !args.to_string().contains("\"current_thread\"") {
        return compile_error(
            "clock = \"paused\" needs #[tokio::main(flavor = \"current_thread\")] in the listing",
        );
    }
    let mut tokens: Vec<TokenTree> = item.into_iter().collect();
    let Some(async_at) = tokens
        .iter()
        .position(|token| matches!(token, TokenTree::Ident(ident) if ident.to_string() == "async"))
    else {
        return compile_error("#[tokio::main] goes on an `async fn main`");
    };
    tokens.remove(async_at);
    let body = match tokens.pop() {
        Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Brace => group,
        _ => return compile_error("expected the body of `async fn main`"),
    };

    // `{ <builder>.block_on(async move <body>) }`
    let builder: TokenStream = "::real_tokio::runtime::Builder::new_current_thread()\
         .enable_all()\
         .start_paused(true)\
         .build()\
         .expect(\"the paused-clock runtime starts\")\
         .block_on"
        .parse()
        .expect("the builder expression parses");
    // `async move { <note the clock's start>; <body> }`: the runner's timelines measure the
    // virtual time of each printed line from the moment the runtime starts
    // (`book_outputs::timeline::clock_started`, a no-op unless a timeline is being recorded).
    let mut inner: TokenStream = "::book_outputs::timeline::clock_started();"
        .parse()
        .expect("the clock note parses");
    inner.extend([TokenTree::Group(body)]);
    let async_block: TokenStream = [
        TokenTree::Ident(Ident::new("async", Span::call_site())),
        TokenTree::Ident(Ident::new("move", Span::call_site())),
        TokenTree::Group(Group::new(Delimiter::Brace, inner)),
    ]
    .into_iter()
    .collect();
    let mut new_body = builder;
    new_body.extend([TokenTree::Group(Group::new(
        Delimiter::Parenthesis,
        async_block,
    ))]);
    tokens.push(TokenTree::Group(Group::new(Delimiter::Brace, new_body)));
    tokens.into_iter().collect()
}

fn compile_error(message: &str) -> TokenStream {
    format!("compile_error!({message:?});")
        .parse()
        .expect("compile_error! parses")
}
