//! Lexer and recursive-descent parser for GraphQL documents (executable definitions and the
//! type-system definitions of our SDL). Error messages and positions follow graphql-js 16
//! (`Syntax Error: Expected "$", found <EOF>.` at the offending token), because yoga reports
//! them verbatim with `extensions.code = GRAPHQL_PARSE_FAILED`.

use std::sync::Arc;

use super::ast::*;
use super::error::{GraphQLError, Pos};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Eof,
    Punct(&'static str),
    Name(String),
    Int(String),
    Float(String),
    Str(String),
    BlockStr(String),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    pos: Pos,
}

fn kind_desc(t: &Tok) -> String {
    match t {
        Tok::Eof => "<EOF>".into(),
        Tok::Punct(p) => format!("\"{p}\""),
        Tok::Name(_) => "Name".into(),
        Tok::Int(_) => "Int".into(),
        Tok::Float(_) => "Float".into(),
        Tok::Str(_) => "String".into(),
        Tok::BlockStr(_) => "BlockString".into(),
    }
}

fn token_desc(t: &Tok) -> String {
    let value = match t {
        Tok::Name(v) | Tok::Int(v) | Tok::Float(v) | Tok::Str(v) | Tok::BlockStr(v) => Some(v),
        _ => None,
    };
    match value {
        Some(v) => format!("{} \"{}\"", kind_desc(t), v),
        None => kind_desc(t),
    }
}

struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    i: usize,
    line: u32,
    line_start: usize,
    /// Column cache for the current line: (byte index, UTF-16 columns from the line start).
    col_cache: std::cell::Cell<(usize, usize)>,
}

fn syntax_error(pos: Pos, desc: impl AsRef<str>) -> GraphQLError {
    GraphQLError::new(format!("Syntax Error: {}", desc.as_ref())).at(pos)
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Self {
        Lexer {
            src,
            bytes: src.as_bytes(),
            i: 0,
            line: 1,
            line_start: 0,
            col_cache: std::cell::Cell::new((0, 0)),
        }
    }

    fn pos_at(&self, i: usize) -> Pos {
        let (ci, cc) = self.col_cache.get();
        let (from, base) = if ci >= self.line_start && ci <= i {
            (ci, cc)
        } else {
            (self.line_start, 0)
        };
        let col = base
            + self.src[from..i]
                .chars()
                .map(char::len_utf16)
                .sum::<usize>();
        self.col_cache.set((i, col));
        Pos::new(self.line, col as u32 + 1)
    }

    fn char_at(&self, i: usize) -> Option<char> {
        self.src.get(i..).and_then(|s| s.chars().next())
    }

    fn print_char_at(&self, i: usize) -> String {
        match self.char_at(i) {
            None => "<EOF>".into(),
            Some(c) if (' '..='~').contains(&c) => {
                if c == '"' {
                    "'\"'".into()
                } else {
                    format!("\"{c}\"")
                }
            }
            Some(c) => format!("U+{:04X}", c as u32),
        }
    }

    fn newline(&mut self, next_start: usize) {
        self.line += 1;
        self.line_start = next_start;
    }

    fn next_token(&mut self) -> Result<Token, GraphQLError> {
        // Skip ignored tokens.
        loop {
            match self.bytes.get(self.i) {
                Some(b' ' | b'\t' | b',') => self.i += 1,
                Some(b'\n') => {
                    self.i += 1;
                    self.newline(self.i);
                }
                Some(b'\r') => {
                    self.i += 1;
                    if self.bytes.get(self.i) == Some(&b'\n') {
                        self.i += 1;
                    }
                    self.newline(self.i);
                }
                Some(b'#') => {
                    while let Some(&b) = self.bytes.get(self.i) {
                        if b == b'\n' || b == b'\r' {
                            break;
                        }
                        self.i += 1;
                    }
                }
                Some(0xEF) if self.src[self.i..].starts_with('\u{FEFF}') => self.i += 3,
                _ => break,
            }
        }
        let start = self.i;
        let pos = self.pos_at(start);
        let Some(&b) = self.bytes.get(start) else {
            return Ok(Token { tok: Tok::Eof, pos });
        };
        let punct = |p: &'static str| {
            Ok(Token {
                tok: Tok::Punct(p),
                pos,
            })
        };
        match b {
            b'!' => {
                self.i += 1;
                punct("!")
            }
            b'$' => {
                self.i += 1;
                punct("$")
            }
            b'&' => {
                self.i += 1;
                punct("&")
            }
            b'(' => {
                self.i += 1;
                punct("(")
            }
            b')' => {
                self.i += 1;
                punct(")")
            }
            b':' => {
                self.i += 1;
                punct(":")
            }
            b'=' => {
                self.i += 1;
                punct("=")
            }
            b'@' => {
                self.i += 1;
                punct("@")
            }
            b'[' => {
                self.i += 1;
                punct("[")
            }
            b']' => {
                self.i += 1;
                punct("]")
            }
            b'{' => {
                self.i += 1;
                punct("{")
            }
            b'|' => {
                self.i += 1;
                punct("|")
            }
            b'}' => {
                self.i += 1;
                punct("}")
            }
            b'.' if self.bytes.get(start + 1) == Some(&b'.')
                && self.bytes.get(start + 2) == Some(&b'.') =>
            {
                self.i += 3;
                punct("...")
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let mut j = start + 1;
                while matches!(
                    self.bytes.get(j),
                    Some(b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'0'..=b'9')
                ) {
                    j += 1;
                }
                self.i = j;
                Ok(Token {
                    tok: Tok::Name(self.src[start..j].to_string()),
                    pos,
                })
            }
            b'-' | b'0'..=b'9' => self.read_number(start, pos),
            b'"' => {
                if self.bytes.get(start + 1) == Some(&b'"')
                    && self.bytes.get(start + 2) == Some(&b'"')
                {
                    self.read_block_string(start, pos)
                } else {
                    self.read_string(start, pos)
                }
            }
            b'\'' => Err(syntax_error(
                pos,
                "Unexpected single quote character ('), did you mean to use a double quote (\")?",
            )),
            _ => Err(syntax_error(
                pos,
                format!("Unexpected character: {}.", self.print_char_at(start)),
            )),
        }
    }

    fn read_digits(&mut self) -> Result<(), GraphQLError> {
        if !matches!(self.bytes.get(self.i), Some(b'0'..=b'9')) {
            return Err(syntax_error(
                self.pos_at(self.i),
                format!(
                    "Invalid number, expected digit but got: {}.",
                    self.print_char_at(self.i)
                ),
            ));
        }
        while matches!(self.bytes.get(self.i), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        Ok(())
    }

    fn read_number(&mut self, start: usize, pos: Pos) -> Result<Token, GraphQLError> {
        self.i = start;
        let mut is_float = false;
        if self.bytes.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        if self.bytes.get(self.i) == Some(&b'0') {
            self.i += 1;
            if matches!(self.bytes.get(self.i), Some(b'0'..=b'9')) {
                return Err(syntax_error(
                    self.pos_at(self.i),
                    format!(
                        "Invalid number, unexpected digit after 0: {}.",
                        self.print_char_at(self.i)
                    ),
                ));
            }
        } else {
            self.read_digits()?;
        }
        if self.bytes.get(self.i) == Some(&b'.') {
            is_float = true;
            self.i += 1;
            self.read_digits()?;
        }
        if matches!(self.bytes.get(self.i), Some(b'e' | b'E')) {
            is_float = true;
            self.i += 1;
            if matches!(self.bytes.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            self.read_digits()?;
        }
        if matches!(
            self.bytes.get(self.i),
            Some(b'.' | b'a'..=b'z' | b'A'..=b'Z' | b'_')
        ) {
            return Err(syntax_error(
                self.pos_at(self.i),
                format!(
                    "Invalid number, expected digit but got: {}.",
                    self.print_char_at(self.i)
                ),
            ));
        }
        let text = self.src[start..self.i].to_string();
        Ok(Token {
            tok: if is_float {
                Tok::Float(text)
            } else {
                Tok::Int(text)
            },
            pos,
        })
    }

    fn read_hex4(&self, at: usize) -> Option<u32> {
        let s = self.src.get(at..at + 4)?;
        if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(s, 16).ok()
    }

    fn read_string(&mut self, start: usize, pos: Pos) -> Result<Token, GraphQLError> {
        let mut i = start + 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.char_at(i) else {
                return Err(syntax_error(self.pos_at(i), "Unterminated string."));
            };
            match c {
                '"' => {
                    self.i = i + 1;
                    return Ok(Token {
                        tok: Tok::Str(out),
                        pos,
                    });
                }
                '\n' | '\r' => return Err(syntax_error(self.pos_at(i), "Unterminated string.")),
                '\\' => {
                    let esc = self.char_at(i + 1);
                    let simple = match esc {
                        Some('"') => Some('"'),
                        Some('\\') => Some('\\'),
                        Some('/') => Some('/'),
                        Some('b') => Some('\u{8}'),
                        Some('f') => Some('\u{c}'),
                        Some('n') => Some('\n'),
                        Some('r') => Some('\r'),
                        Some('t') => Some('\t'),
                        _ => None,
                    };
                    if let Some(ch) = simple {
                        out.push(ch);
                        i += 2;
                        continue;
                    }
                    if esc == Some('u') {
                        // \u{...} or \uXXXX (with surrogate pairs).
                        if self.bytes.get(i + 2) == Some(&b'{') {
                            if let Some(end) = self.src[i + 3..].find('}') {
                                let hex = &self.src[i + 3..i + 3 + end];
                                if !hex.is_empty()
                                    && hex.len() <= 6
                                    && hex.bytes().all(|b| b.is_ascii_hexdigit())
                                {
                                    if let Some(ch) =
                                        u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
                                    {
                                        out.push(ch);
                                        i += 4 + end;
                                        continue;
                                    }
                                }
                            }
                        } else if let Some(hi) = self.read_hex4(i + 2) {
                            if let Some(ch) = char::from_u32(hi) {
                                out.push(ch);
                                i += 6;
                                continue;
                            }
                            if (0xD800..0xDC00).contains(&hi)
                                && self.src.get(i + 6..i + 8) == Some("\\u")
                            {
                                if let Some(lo) = self.read_hex4(i + 8) {
                                    if (0xDC00..0xE000).contains(&lo) {
                                        let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                        if let Some(ch) = char::from_u32(cp) {
                                            out.push(ch);
                                            i += 12;
                                            continue;
                                        }
                                    }
                                }
                            }
                        }
                        let end = self.src[i..]
                            .char_indices()
                            .nth(6)
                            .map(|(k, _)| i + k)
                            .unwrap_or(self.src.len());
                        return Err(syntax_error(
                            self.pos_at(i),
                            format!(
                                "Invalid Unicode escape sequence: \"{}\".",
                                &self.src[i..end]
                            ),
                        ));
                    }
                    let end = self.src[i..]
                        .char_indices()
                        .nth(2)
                        .map(|(k, _)| i + k)
                        .unwrap_or(self.src.len());
                    return Err(syntax_error(
                        self.pos_at(i),
                        format!(
                            "Invalid character escape sequence: \"{}\".",
                            &self.src[i..end]
                        ),
                    ));
                }
                c if (c as u32) < 0x20 && c != '\t' => {
                    return Err(syntax_error(
                        self.pos_at(i),
                        format!(
                            "Invalid character within String: {}.",
                            self.print_char_at(i)
                        ),
                    ));
                }
                c => {
                    out.push(c);
                    i += c.len_utf8();
                }
            }
        }
    }

    fn read_block_string(&mut self, start: usize, pos: Pos) -> Result<Token, GraphQLError> {
        let mut i = start + 3;
        let mut raw = String::new();
        loop {
            if i >= self.bytes.len() {
                return Err(syntax_error(self.pos_at(i), "Unterminated string."));
            }
            if self.src[i..].starts_with("\"\"\"") {
                self.i = i + 3;
                return Ok(Token {
                    tok: Tok::BlockStr(block_string_value(&raw)),
                    pos,
                });
            }
            if self.src[i..].starts_with("\\\"\"\"") {
                raw.push_str("\"\"\"");
                i += 4;
                continue;
            }
            let c = self.char_at(i).unwrap();
            match c {
                '\n' => {
                    raw.push('\n');
                    i += 1;
                    self.newline(i);
                }
                '\r' => {
                    raw.push('\n');
                    i += 1;
                    if self.bytes.get(i) == Some(&b'\n') {
                        i += 1;
                    }
                    self.newline(i);
                }
                c if (c as u32) < 0x20 && c != '\t' => {
                    return Err(syntax_error(
                        self.pos_at(i),
                        format!(
                            "Invalid character within String: {}.",
                            self.print_char_at(i)
                        ),
                    ));
                }
                c => {
                    raw.push(c);
                    i += c.len_utf8();
                }
            }
        }
    }
}

fn block_string_value(raw: &str) -> String {
    let lines: Vec<&str> = raw.split('\n').collect();
    let mut common = usize::MAX;
    let mut first_non_empty = None;
    let mut last_non_empty = None;
    for (i, line) in lines.iter().enumerate() {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        if indent == line.len() {
            continue;
        }
        first_non_empty.get_or_insert(i);
        last_non_empty = Some(i);
        if i != 0 && indent < common {
            common = indent;
        }
    }
    let Some(first) = first_non_empty else {
        return String::new();
    };
    let last = last_non_empty.unwrap();
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 || common == usize::MAX {
                *l
            } else {
                l.get(common..).unwrap_or("")
            }
        })
        .skip(first)
        .take(last + 1 - first)
        .collect::<Vec<_>>()
        .join("\n")
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    tok: Token,
    /// One token of lookahead (only used after a description string).
    peeked: Option<Token>,
    allow_type_system: bool,
    /// Current nesting (selection sets, list/object values, list types).
    depth: usize,
}

/// Nesting limit: keeps the recursive parser, validator and executor far from stack exhaustion
/// on hostile input (valid documents for our schema nest a handful of levels).
const MAX_DEPTH: usize = 128;

type PResult<T> = Result<T, GraphQLError>;

/// Parses an executable document (type-system definitions are parsed too, so that validation can
/// report them as "not executable" like graphql-js does).
pub fn parse_document(src: &str) -> PResult<Document> {
    let mut p = Parser::new(src, true)?;
    p.document()
}

/// Parses SDL (our schema file).
pub fn parse_schema_document(src: &str) -> PResult<Document> {
    parse_document(src)
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, allow_type_system: bool) -> PResult<Self> {
        let mut lexer = Lexer::new(src);
        let tok = lexer.next_token()?;
        Ok(Parser {
            lexer,
            tok,
            peeked: None,
            allow_type_system,
            depth: 0,
        })
    }

    fn advance(&mut self) -> PResult<Token> {
        let next = match self.peeked.take() {
            Some(t) => t,
            None => self.lexer.next_token()?,
        };
        Ok(std::mem::replace(&mut self.tok, next))
    }

    fn lookahead(&mut self) -> PResult<&Token> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lexer.next_token()?);
        }
        Ok(self.peeked.as_ref().unwrap())
    }

    fn peek_punct(&self, p: &str) -> bool {
        matches!(&self.tok.tok, Tok::Punct(q) if *q == p)
    }

    fn peek_keyword(&self, k: &str) -> bool {
        matches!(&self.tok.tok, Tok::Name(n) if n == k)
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(syntax_error(
                self.tok.pos,
                "Document exceeds the maximum nesting depth.",
            ));
        }
        Ok(())
    }

    fn unexpected(&self) -> GraphQLError {
        syntax_error(
            self.tok.pos,
            format!("Unexpected {}.", token_desc(&self.tok.tok)),
        )
    }

    fn expect_punct(&mut self, p: &'static str) -> PResult<Token> {
        if self.peek_punct(p) {
            return self.advance();
        }
        Err(syntax_error(
            self.tok.pos,
            format!(
                "Expected {}, found {}.",
                kind_desc(&Tok::Punct(p)),
                token_desc(&self.tok.tok)
            ),
        ))
    }

    fn optional_punct(&mut self, p: &'static str) -> PResult<bool> {
        if self.peek_punct(p) {
            self.advance()?;
            return Ok(true);
        }
        Ok(false)
    }

    fn expect_keyword(&mut self, k: &str) -> PResult<()> {
        if self.peek_keyword(k) {
            self.advance()?;
            return Ok(());
        }
        Err(syntax_error(
            self.tok.pos,
            format!("Expected \"{k}\", found {}.", token_desc(&self.tok.tok)),
        ))
    }

    fn optional_keyword(&mut self, k: &str) -> PResult<bool> {
        if self.peek_keyword(k) {
            self.advance()?;
            return Ok(true);
        }
        Ok(false)
    }

    fn name(&mut self) -> PResult<(String, Pos)> {
        if let Tok::Name(n) = &self.tok.tok {
            let n = n.clone();
            let pos = self.tok.pos;
            self.advance()?;
            return Ok((n, pos));
        }
        Err(syntax_error(
            self.tok.pos,
            format!("Expected Name, found {}.", token_desc(&self.tok.tok)),
        ))
    }

    fn document(&mut self) -> PResult<Document> {
        let mut defs = Vec::new();
        loop {
            defs.push(self.definition()?);
            if self.tok.tok == Tok::Eof {
                break;
            }
        }
        Ok(Document { definitions: defs })
    }

    fn peek_description(&self) -> bool {
        matches!(self.tok.tok, Tok::Str(_) | Tok::BlockStr(_))
    }

    fn definition(&mut self) -> PResult<Definition> {
        if self.peek_punct("{") {
            return Ok(Definition::Operation(Arc::new(
                self.operation_definition()?,
            )));
        }
        let has_description = self.peek_description();
        let keyword = if has_description {
            self.lookahead()?.clone()
        } else {
            self.tok.clone()
        };
        if let Tok::Name(k) = &keyword.tok {
            if self.allow_type_system
                && matches!(
                    k.as_str(),
                    "schema"
                        | "scalar"
                        | "type"
                        | "interface"
                        | "union"
                        | "enum"
                        | "input"
                        | "directive"
                )
            {
                return Ok(Definition::TypeSystem(self.type_system_definition()?));
            }
            if has_description {
                return Err(syntax_error(
                    self.tok.pos,
                    "Unexpected description, descriptions are supported only on type definitions.",
                ));
            }
            match k.as_str() {
                "query" | "mutation" | "subscription" => {
                    return Ok(Definition::Operation(Arc::new(
                        self.operation_definition()?,
                    )))
                }
                "fragment" => {
                    return Ok(Definition::Fragment(Arc::new(self.fragment_definition()?)))
                }
                _ => {}
            }
        }
        Err(syntax_error(
            keyword.pos,
            format!("Unexpected {}.", token_desc(&keyword.tok)),
        ))
    }

    fn operation_definition(&mut self) -> PResult<OperationDefinition> {
        let pos = self.tok.pos;
        if self.peek_punct("{") {
            let selection_set = Arc::new(self.selection_set()?);
            return Ok(OperationDefinition {
                pos,
                kind: OperationKind::Query,
                name: None,
                variables: vec![],
                directives: vec![],
                selection_set,
            });
        }
        let kind = match &self.tok.tok {
            Tok::Name(n) if n == "query" => OperationKind::Query,
            Tok::Name(n) if n == "mutation" => OperationKind::Mutation,
            Tok::Name(n) if n == "subscription" => OperationKind::Subscription,
            _ => return Err(self.unexpected()),
        };
        self.advance()?;
        let name = if matches!(self.tok.tok, Tok::Name(_)) {
            Some(self.name()?.0)
        } else {
            None
        };
        let variables = self.variable_definitions()?;
        let directives = self.directives(false)?;
        let selection_set = Arc::new(self.selection_set()?);
        Ok(OperationDefinition {
            pos,
            kind,
            name,
            variables,
            directives,
            selection_set,
        })
    }

    fn variable_definitions(&mut self) -> PResult<Vec<VariableDefinition>> {
        let mut out = Vec::new();
        if self.optional_punct("(")? {
            loop {
                out.push(self.variable_definition()?);
                if self.optional_punct(")")? {
                    break;
                }
            }
        }
        Ok(out)
    }

    fn variable_definition(&mut self) -> PResult<VariableDefinition> {
        let pos = self.tok.pos;
        self.expect_punct("$")?;
        let (name, _) = self.name()?;
        self.expect_punct(":")?;
        let type_pos = self.tok.pos;
        let ty = self.type_reference()?;
        let default_value = if self.optional_punct("=")? {
            Some(self.value(true)?)
        } else {
            None
        };
        let directives = self.directives(true)?;
        Ok(VariableDefinition {
            pos,
            name,
            name_pos: pos,
            ty,
            type_pos,
            default_value,
            directives,
        })
    }

    fn type_reference(&mut self) -> PResult<Type> {
        let ty = if self.optional_punct("[")? {
            self.enter()?;
            let inner = self.type_reference()?;
            self.depth -= 1;
            self.expect_punct("]")?;
            Type::List(Box::new(inner))
        } else {
            Type::Named(self.name()?.0)
        };
        if self.optional_punct("!")? {
            return Ok(Type::NonNull(Box::new(ty)));
        }
        Ok(ty)
    }

    fn selection_set(&mut self) -> PResult<SelectionSet> {
        let pos = self.tok.pos;
        self.expect_punct("{")?;
        self.enter()?;
        let mut items = Vec::new();
        loop {
            items.push(self.selection()?);
            if self.optional_punct("}")? {
                break;
            }
        }
        self.depth -= 1;
        Ok(SelectionSet { pos, items })
    }

    fn selection(&mut self) -> PResult<Selection> {
        if self.peek_punct("...") {
            return self.fragment();
        }
        Ok(Selection::Field(Arc::new(self.field()?)))
    }

    fn field(&mut self) -> PResult<Field> {
        let pos = self.tok.pos;
        let (first, _) = self.name()?;
        let (alias, name) = if self.optional_punct(":")? {
            (Some(first), self.name()?.0)
        } else {
            (None, first)
        };
        let arguments = self.arguments(false)?;
        let directives = self.directives(false)?;
        let selection_set = if self.peek_punct("{") {
            Some(Arc::new(self.selection_set()?))
        } else {
            None
        };
        Ok(Field {
            pos,
            alias,
            name,
            arguments,
            directives,
            selection_set,
        })
    }

    fn arguments(&mut self, is_const: bool) -> PResult<Vec<Argument>> {
        let mut out = Vec::new();
        if self.optional_punct("(")? {
            loop {
                let pos = self.tok.pos;
                let (name, _) = self.name()?;
                self.expect_punct(":")?;
                let value = self.value(is_const)?;
                out.push(Argument { pos, name, value });
                if self.optional_punct(")")? {
                    break;
                }
            }
        }
        Ok(out)
    }

    fn directives(&mut self, is_const: bool) -> PResult<Vec<Directive>> {
        let mut out = Vec::new();
        while self.peek_punct("@") {
            let pos = self.tok.pos;
            self.advance()?;
            let (name, _) = self.name()?;
            let arguments = self.arguments(is_const)?;
            out.push(Directive {
                pos,
                name,
                arguments,
            });
        }
        Ok(out)
    }

    fn fragment_name(&mut self) -> PResult<(String, Pos)> {
        if self.peek_keyword("on") {
            return Err(self.unexpected());
        }
        self.name()
    }

    fn fragment(&mut self) -> PResult<Selection> {
        let pos = self.tok.pos;
        self.expect_punct("...")?;
        let has_type_condition = self.optional_keyword("on")?;
        if !has_type_condition && matches!(self.tok.tok, Tok::Name(_)) {
            let (name, _) = self.fragment_name()?;
            let directives = self.directives(false)?;
            return Ok(Selection::FragmentSpread(FragmentSpread {
                pos,
                name,
                directives,
            }));
        }
        let type_condition_pos = self.tok.pos;
        let type_condition = if has_type_condition {
            Some(self.name()?.0)
        } else {
            None
        };
        let directives = self.directives(false)?;
        let selection_set = Arc::new(self.selection_set()?);
        Ok(Selection::InlineFragment(InlineFragment {
            pos,
            type_condition,
            type_condition_pos,
            directives,
            selection_set,
        }))
    }

    fn fragment_definition(&mut self) -> PResult<FragmentDefinition> {
        let pos = self.tok.pos;
        self.expect_keyword("fragment")?;
        let (name, name_pos) = self.fragment_name()?;
        self.expect_keyword("on")?;
        let type_condition_pos = self.tok.pos;
        let (type_condition, _) = self.name()?;
        let directives = self.directives(false)?;
        let selection_set = Arc::new(self.selection_set()?);
        Ok(FragmentDefinition {
            pos,
            name,
            name_pos,
            type_condition,
            type_condition_pos,
            directives,
            selection_set,
        })
    }

    fn value(&mut self, is_const: bool) -> PResult<Value> {
        let pos = self.tok.pos;
        let mk = |kind| Value {
            pos,
            kind,
            block: false,
        };
        match self.tok.tok.clone() {
            Tok::Punct("[") => {
                self.advance()?;
                self.enter()?;
                let mut items = Vec::new();
                while !self.optional_punct("]")? {
                    items.push(self.value(is_const)?);
                }
                self.depth -= 1;
                Ok(mk(ValueKind::List(items)))
            }
            Tok::Punct("{") => {
                self.advance()?;
                self.enter()?;
                let mut fields = Vec::new();
                while !self.optional_punct("}")? {
                    let fpos = self.tok.pos;
                    let (name, _) = self.name()?;
                    self.expect_punct(":")?;
                    let value = self.value(is_const)?;
                    fields.push(ObjectField {
                        pos: fpos,
                        name,
                        value,
                    });
                }
                self.depth -= 1;
                Ok(mk(ValueKind::Object(fields)))
            }
            Tok::Int(s) => {
                self.advance()?;
                Ok(mk(ValueKind::Int(s)))
            }
            Tok::Float(s) => {
                self.advance()?;
                Ok(mk(ValueKind::Float(s)))
            }
            Tok::Str(s) => {
                self.advance()?;
                Ok(mk(ValueKind::String(s)))
            }
            Tok::BlockStr(s) => {
                self.advance()?;
                Ok(Value {
                    pos,
                    kind: ValueKind::String(s),
                    block: true,
                })
            }
            Tok::Name(n) => {
                self.advance()?;
                Ok(mk(match n.as_str() {
                    "true" => ValueKind::Boolean(true),
                    "false" => ValueKind::Boolean(false),
                    "null" => ValueKind::Null,
                    _ => ValueKind::Enum(n),
                }))
            }
            Tok::Punct("$") => {
                if is_const {
                    self.advance()?;
                    if let Tok::Name(n) = &self.tok.tok {
                        return Err(syntax_error(
                            pos,
                            format!("Unexpected variable \"${n}\" in constant value."),
                        ));
                    }
                    return Err(self.unexpected());
                }
                self.advance()?;
                let (name, _) = self.name()?;
                Ok(mk(ValueKind::Variable(name)))
            }
            _ => Err(self.unexpected()),
        }
    }

    // ---- type system ----

    fn skip_description(&mut self) -> PResult<()> {
        if self.peek_description() {
            self.advance()?;
        }
        Ok(())
    }

    fn type_system_definition(&mut self) -> PResult<TypeSystemDefinition> {
        self.skip_description()?;
        let pos = self.tok.pos;
        let (kw, _) = self.name()?;
        match kw.as_str() {
            "schema" => {
                self.directives(true)?;
                self.expect_punct("{")?;
                let mut ops = Vec::new();
                while !self.optional_punct("}")? {
                    let kind = match self.name()?.0.as_str() {
                        "query" => OperationKind::Query,
                        "mutation" => OperationKind::Mutation,
                        "subscription" => OperationKind::Subscription,
                        _ => return Err(self.unexpected()),
                    };
                    self.expect_punct(":")?;
                    ops.push((kind, self.name()?.0));
                }
                Ok(TypeSystemDefinition::Schema {
                    pos,
                    operation_types: ops,
                })
            }
            "scalar" => {
                let (name, _) = self.name()?;
                self.directives(true)?;
                Ok(TypeSystemDefinition::Scalar { pos, name })
            }
            "type" | "interface" => {
                let (name, _) = self.name()?;
                let mut interfaces = Vec::new();
                if self.optional_keyword("implements")? {
                    self.optional_punct("&")?;
                    loop {
                        interfaces.push(self.name()?.0);
                        if !self.optional_punct("&")? {
                            break;
                        }
                    }
                }
                self.directives(true)?;
                let mut fields = Vec::new();
                if self.optional_punct("{")? {
                    while !self.optional_punct("}")? {
                        self.skip_description()?;
                        let fpos = self.tok.pos;
                        let (fname, _) = self.name()?;
                        let arguments = self.input_value_defs("(", ")")?;
                        self.expect_punct(":")?;
                        let ty = self.type_reference()?;
                        let directives = self.directives(true)?;
                        fields.push(FieldDefinition {
                            pos: fpos,
                            name: fname,
                            arguments,
                            ty,
                            directives,
                        });
                    }
                }
                if kw == "type" {
                    Ok(TypeSystemDefinition::Object {
                        pos,
                        name,
                        interfaces,
                        fields,
                    })
                } else {
                    Ok(TypeSystemDefinition::Interface {
                        pos,
                        name,
                        interfaces,
                        fields,
                    })
                }
            }
            "union" => {
                let (name, _) = self.name()?;
                self.directives(true)?;
                let mut members = Vec::new();
                if self.optional_punct("=")? {
                    self.optional_punct("|")?;
                    loop {
                        members.push(self.name()?.0);
                        if !self.optional_punct("|")? {
                            break;
                        }
                    }
                }
                Ok(TypeSystemDefinition::Union { pos, name, members })
            }
            "enum" => {
                let (name, _) = self.name()?;
                self.directives(true)?;
                let mut values = Vec::new();
                if self.optional_punct("{")? {
                    while !self.optional_punct("}")? {
                        self.skip_description()?;
                        values.push(self.name()?.0);
                        self.directives(true)?;
                    }
                }
                Ok(TypeSystemDefinition::Enum { pos, name, values })
            }
            "input" => {
                let (name, _) = self.name()?;
                self.directives(true)?;
                let fields = self.input_value_defs("{", "}")?;
                Ok(TypeSystemDefinition::InputObject { pos, name, fields })
            }
            "directive" => {
                self.expect_punct("@")?;
                let (name, _) = self.name()?;
                let arguments = self.input_value_defs("(", ")")?;
                let repeatable = self.optional_keyword("repeatable")?;
                self.expect_keyword("on")?;
                self.optional_punct("|")?;
                let mut locations = Vec::new();
                loop {
                    locations.push(self.name()?.0);
                    if !self.optional_punct("|")? {
                        break;
                    }
                }
                Ok(TypeSystemDefinition::Directive {
                    pos,
                    name,
                    arguments,
                    repeatable,
                    locations,
                })
            }
            _ => Err(syntax_error(pos, format!("Unexpected Name \"{kw}\"."))),
        }
    }

    fn input_value_defs(
        &mut self,
        open: &'static str,
        close: &'static str,
    ) -> PResult<Vec<InputValueDefinition>> {
        let mut out = Vec::new();
        if self.optional_punct(open)? {
            while !self.optional_punct(close)? {
                self.skip_description()?;
                let pos = self.tok.pos;
                let (name, _) = self.name()?;
                self.expect_punct(":")?;
                let ty = self.type_reference()?;
                let default_value = if self.optional_punct("=")? {
                    Some(self.value(true)?)
                } else {
                    None
                };
                let directives = self.directives(true)?;
                out.push(InputValueDefinition {
                    pos,
                    name,
                    ty,
                    default_value,
                    directives,
                });
            }
        }
        Ok(out)
    }
}
