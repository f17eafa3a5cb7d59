//! Tests only: does a PowerShell script parse? Uses the tree-sitter PowerShell grammar
//! (`tree-sitter-powershell`, Airbus CERT), so generated scripts are checked by a real
//! PowerShell grammar without needing PowerShell itself.
//!
//! [`syntax_errors`] lists every place the parser had to recover (an `ERROR` node) or
//! invent a token (a `MISSING` node), plus a `try` without `catch`/`finally` (PowerShell
//! refuses it; the grammar does not). [`commands`] lists the commands a script calls with
//! the parameters it passes and the `if` conditions that guard them, so a test can say
//! "this script never calls X", "never passes -Credential" or "only changes things under
//! ShouldProcess" about code, not about text in strings or comments. [`tokens`] gives the
//! code tokens, so a test can delete one structural `}` and expect an error.
//!
//! What it cannot see: PowerShell's semantic checks beyond the grammar (unknown
//! parameters, types, strict-mode errors), which only running the script would show.

use std::fmt;

use tree_sitter::{Node, Parser, Tree};

/// One place where the script does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What went wrong: `unexpected input` or `missing <token>`.
    pub message: String,
    /// The source line, trimmed and cut to 80 characters.
    pub snippet: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.line, self.column, self.message, self.snippet
        )
    }
}

fn parse(source: &str) -> Tree {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_powershell::LANGUAGE.into())
        .expect("the PowerShell grammar matches the tree-sitter ABI");
    parser
        .parse(source, None)
        .expect("tree-sitter returns a tree when no timeout or cancellation is set")
}

/// A leading UTF-8 BOM is not part of the script.
fn strip_bom(source: &str) -> &str {
    source.strip_prefix('\u{feff}').unwrap_or(source)
}

/// Every syntax error of `source`, in source order; empty when it parses.
///
/// Besides what the grammar rejects, one rule PowerShell's own parser enforces and the
/// grammar does not: a `try` needs a `catch` or a `finally`.
pub fn syntax_errors(source: &str) -> Vec<SyntaxError> {
    let source = strip_bom(source);
    let tree = parse(source);
    let mut out = Vec::new();
    if tree.root_node().has_error() {
        collect_errors(tree.root_node(), source, &mut out);
    }
    collect_rule_errors(tree.root_node(), source, &mut out);
    out.sort_by_key(|e| (e.line, e.column));
    out.dedup();
    out
}

fn collect_errors(node: Node<'_>, source: &str, out: &mut Vec<SyntaxError>) {
    if node.is_missing() {
        out.push(error_at(node, source, format!("missing {}", node.kind())));
        return;
    }
    if node.is_error() {
        // One report per region the parser skipped; what is inside is part of it.
        out.push(error_at(node, source, "unexpected input".to_string()));
        return;
    }
    if !node.has_error() {
        return;
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        collect_errors(child, source, out);
    }
}

fn collect_rule_errors(node: Node<'_>, source: &str, out: &mut Vec<SyntaxError>) {
    if node.kind() == "try_statement" {
        let mut cursor = node.walk();
        let handled = node
            .children(&mut cursor)
            .any(|c| matches!(c.kind(), "catch_clauses" | "finally_clause"));
        if !handled {
            out.push(error_at(
                node,
                source,
                "try without catch or finally".to_string(),
            ));
        }
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        collect_rule_errors(child, source, out);
    }
}

fn error_at(node: Node<'_>, source: &str, message: String) -> SyntaxError {
    let p = node.start_position();
    let line_text = source.lines().nth(p.row).unwrap_or("");
    let column = line_text
        .get(..p.column.min(line_text.len()))
        .map_or(p.column, |s| s.chars().count())
        + 1;
    let snippet: String = line_text.trim().chars().take(80).collect();
    SyntaxError {
        line: p.row + 1,
        column,
        message,
        snippet,
    }
}

/// True when `source` has no syntax error.
pub fn parses(source: &str) -> bool {
    syntax_errors(source).is_empty()
}

/// A command call in a script: its name as written and the parameters passed to it
/// (`-Name`, as written, without a trailing colon).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub name: String,
    pub parameters: Vec<String>,
    /// The arguments that are not parameters, as written (quotes kept).
    pub arguments: Vec<String>,
    /// The conditions of the `if` / `elseif` statements whose block holds this call,
    /// outermost first, as written (an `else` branch adds nothing).
    pub guards: Vec<String>,
    /// 1-based line.
    pub line: usize,
}

/// Every command call of `source` (cmdlets, functions and native programs), in source order.
pub fn commands(source: &str) -> Vec<Command> {
    let source = strip_bom(source);
    let tree = parse(source);
    let mut out = Vec::new();
    collect_commands(tree.root_node(), source, &mut Vec::new(), &mut out);
    out
}

fn text<'a>(node: Node<'_>, source: &'a str) -> &'a str {
    &source[node.byte_range()]
}

fn collect_commands(
    node: Node<'_>,
    source: &str,
    guards: &mut Vec<String>,
    out: &mut Vec<Command>,
) {
    if node.kind() == "command" {
        let mut cmd = Command {
            name: String::new(),
            parameters: Vec::new(),
            arguments: Vec::new(),
            guards: guards.clone(),
            line: node.start_position().row + 1,
        };
        if let Some(name) = node.child_by_field_name("command_name") {
            cmd.name = text(name, source).to_string();
        }
        if let Some(elements) = node.child_by_field_name("command_elements") {
            let mut cursor = elements.walk();
            for e in elements.children(&mut cursor) {
                match e.kind() {
                    "command_parameter" => cmd
                        .parameters
                        .push(text(e, source).trim_end_matches(':').to_string()),
                    "command_argument_sep" => {}
                    _ => cmd.arguments.push(text(e, source).to_string()),
                }
            }
        }
        out.push(cmd);
    }
    // The block right under an `if` / `elseif` runs only when its condition holds.
    let condition = match node.kind() {
        "if_statement" | "elseif_clause" => node
            .child_by_field_name("condition")
            .map(|c| text(c, source).to_string()),
        _ => None,
    };
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        match (&condition, child.kind()) {
            (Some(c), "statement_block") => {
                guards.push(c.clone());
                collect_commands(child, source, guards, out);
                guards.pop();
            }
            _ => collect_commands(child, source, guards, out),
        }
    }
}

/// A token of the script: a leaf of the parse tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The grammar's name: the text itself for punctuation and keywords (`}`, `)`, `if`),
    /// a rule name otherwise (`variable`, `comment`, ...).
    pub kind: &'static str,
    /// Byte range in the source (after a leading BOM, if any).
    pub start: usize,
    pub end: usize,
}

/// The leaves of the parse tree in source order: the tokens that are code, not text inside
/// a string or a comment (those are single leaves). Lets a test delete exactly one
/// structural `}` and expect a syntax error.
pub fn tokens(source: &str) -> Vec<Token> {
    let source = strip_bom(source);
    let tree = parse(source);
    let mut out = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.child_count() == 0 {
            out.push(Token {
                kind: node.kind(),
                start: node.start_byte(),
                end: node.end_byte(),
            });
            continue;
        }
        let mut cursor = node.walk();
        let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    out
}

/// The keys of every hashtable literal (`@{ Key = … }`, `[ordered]@{ … }`) written inside
/// the function `function`, one list per literal in source order (a nested literal's keys
/// follow its parent's), keys as written (quotes removed). Lets a test hold a script's output format (the properties of an object it
/// writes) to the reader of that format.
pub fn hashtable_keys(source: &str, function: &str) -> Vec<Vec<String>> {
    let source = strip_bom(source);
    let tree = parse(source);
    let mut out = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        let named = |n: Node<'_>| {
            let mut cursor = n.walk();
            n.children(&mut cursor)
                .find(|c| c.kind() == "function_name")
                .is_some_and(|c| text(c, source).eq_ignore_ascii_case(function))
        };
        if node.kind() == "function_statement" && named(node) {
            hash_literals(node, source, &mut out);
            continue;
        }
        let mut cursor = node.walk();
        let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    out
}

fn hash_literals(node: Node<'_>, source: &str, out: &mut Vec<Vec<String>>) {
    if node.kind() == "hash_literal_expression" {
        let mut keys = Vec::new();
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if n.kind() == "key_expression" {
                keys.push(
                    text(n, source)
                        .trim()
                        .trim_matches(|c| c == '\'' || c == '"')
                        .to_string(),
                );
                continue;
            }
            let mut cursor = n.walk();
            let children: Vec<Node<'_>> = n.children(&mut cursor).collect();
            stack.extend(children.into_iter().rev());
        }
        out.push(keys);
        return;
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        hash_literals(child, source, out);
    }
}

/// The S-expression of the parse tree (for debugging a failing test).
pub fn sexp(source: &str) -> String {
    parse(strip_bom(source)).root_node().to_sexp()
}
