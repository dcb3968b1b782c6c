// Constraint expressions: a small recursive-descent parser and an evaluator over named values.
#include "sweep/expr.h"

#include <cctype>
#include <cmath>

#include <fmt/format.h>

namespace mcucim::sweep {

// ------------------------------------------------------------------------------------------------
// Constraint expressions.
struct Expr {
  enum class Kind { Num, Str, Name, Unary, Binary } kind = Kind::Num;
  std::string op;    // Unary/Binary
  double num = 0;    // Num
  std::string text;  // Str / Name (the dotted path)
  std::shared_ptr<const Expr> a, b;
};

namespace {

using ExprPtr = std::shared_ptr<const Expr>;

struct Tok {
  enum Kind { Num, Str, Name, Op, End } kind;
  std::string text;
  double num = 0;
};

// Bounds that keep parsing, evaluation and destruction (all recursive) within a thread's stack: an
// expression has at most kMaxTokens tokens (so a chain of binary operators is at most 512 deep) and
// parentheses and prefix operators nest at most kMaxNesting deep (a 10,000-deep "((((..." overflowed
// the stack: issue 18's sweep-spec fuzzer).
constexpr size_t kMaxTokens = 1024;
constexpr int kMaxNesting = 64;

class ExprParser {
 public:
  ExprParser(const std::string& text, std::string where) : s_(text), where_(std::move(where)) {
    lex();
    if (toks_.size() > kMaxTokens + 1)
      fail(fmt::format("{} tokens, at most {} (split it into several constraints)", toks_.size() - 1, kMaxTokens));
  }
  ExprPtr parse() {
    ExprPtr e = parse_or();
    if (toks_[pos_].kind != Tok::End) fail("unexpected '" + toks_[pos_].text + "'");
    return e;
  }
  std::vector<std::string> names;  // every dotted name used

 private:
  [[noreturn]] void fail(const std::string& what) const {
    const std::string shown = s_.size() > 200 ? s_.substr(0, 200) + "..." : s_;
    throw ConfigError(where_ + ": constraint \"" + shown + "\": " + what +
                      " (expected an expression such as \"soc.cim.rows * soc.cim.cols > 65536\")");
  }
  void lex() {
    size_t i = 0;
    while (i < s_.size()) {
      const char c = s_[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
      } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                 (c == '.' && i + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i + 1])))) {
        size_t j = i;
        const bool hex = s_.compare(i, 2, "0x") == 0 || s_.compare(i, 2, "0X") == 0;
        while (j < s_.size()) {
          const char d = s_[j];
          if (std::isalnum(static_cast<unsigned char>(d)) || d == '_' || d == '.') ++j;
          else if ((d == '+' || d == '-') && !hex && j > i && (s_[j - 1] == 'e' || s_[j - 1] == 'E')) ++j;
          else break;
        }
        Tok t{Tok::Num, s_.substr(i, j - i)};
        if (!to_number(t.text, t.num)) fail("'" + t.text + "' is not a number");
        toks_.push_back(t);
        i = j;
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t j = i;
        while (j < s_.size()) {
          if (std::isalnum(static_cast<unsigned char>(s_[j])) || s_[j] == '_' || s_[j] == '.') {
            ++j;
          } else if (s_[j] == '[') {  // a report column such as regions[name=ffn].cycles
            const size_t close = s_.find(']', j);
            if (close == std::string::npos) fail("unterminated '['");
            j = close + 1;
          } else {
            break;
          }
        }
        std::string w = s_.substr(i, j - i);
        if (w == "and") toks_.push_back({Tok::Op, "&&"});
        else if (w == "or") toks_.push_back({Tok::Op, "||"});
        else if (w == "not") toks_.push_back({Tok::Op, "!"});
        else if (w == "true") toks_.push_back({Tok::Num, w, 1.0});
        else if (w == "false") toks_.push_back({Tok::Num, w, 0.0});
        else toks_.push_back({Tok::Name, w});
        i = j;
      } else if (c == '\'' || c == '"') {
        size_t j = s_.find(c, i + 1);
        if (j == std::string::npos) fail("unterminated string");
        toks_.push_back({Tok::Str, s_.substr(i + 1, j - i - 1)});
        i = j + 1;
      } else {
        static const char* two[] = {"<=", ">=", "==", "!=", "&&", "||"};
        bool done = false;
        for (const char* op : two)
          if (s_.compare(i, 2, op) == 0) {
            toks_.push_back({Tok::Op, op});
            i += 2;
            done = true;
            break;
          }
        if (done) continue;
        if (std::string("+-*/%<>!()").find(c) == std::string::npos) fail(std::string("unexpected character '") + c + "'");
        toks_.push_back({Tok::Op, std::string(1, c)});
        ++i;
      }
    }
    toks_.push_back({Tok::End, "end of expression"});
  }
  bool accept(const char* op) {
    if (toks_[pos_].kind == Tok::Op && toks_[pos_].text == op) {
      ++pos_;
      return true;
    }
    return false;
  }
  static ExprPtr bin(const std::string& op, ExprPtr a, ExprPtr b) {
    auto e = std::make_shared<Expr>();
    e->kind = Expr::Kind::Binary;
    e->op = op;
    e->a = std::move(a);
    e->b = std::move(b);
    return e;
  }
  ExprPtr parse_or() {
    ExprPtr e = parse_and();
    while (accept("||")) e = bin("||", e, parse_and());
    return e;
  }
  ExprPtr parse_and() {
    ExprPtr e = parse_not();
    while (accept("&&")) e = bin("&&", e, parse_not());
    return e;
  }
  // Counts the prefix operators and parentheses being parsed (kMaxNesting).
  struct Nest {
    explicit Nest(ExprParser& p) : p_(p) {
      if (++p_.nesting_ > kMaxNesting) p_.fail(fmt::format("nested more than {} deep (parentheses, '-', '!')", kMaxNesting));
    }
    ~Nest() { --p_.nesting_; }
    ExprParser& p_;
  };
  ExprPtr parse_not() {
    if (accept("!")) {
      Nest n(*this);
      auto e = std::make_shared<Expr>();
      e->kind = Expr::Kind::Unary;
      e->op = "!";
      e->a = parse_not();
      return e;
    }
    return parse_cmp();
  }
  ExprPtr parse_cmp() {
    ExprPtr e = parse_add();
    for (const char* op : {"<=", ">=", "==", "!=", "<", ">"})
      if (accept(op)) return bin(op, e, parse_add());
    return e;
  }
  ExprPtr parse_add() {
    ExprPtr e = parse_mul();
    while (true) {
      if (accept("+")) e = bin("+", e, parse_mul());
      else if (accept("-")) e = bin("-", e, parse_mul());
      else return e;
    }
  }
  ExprPtr parse_mul() {
    ExprPtr e = parse_unary();
    while (true) {
      if (accept("*")) e = bin("*", e, parse_unary());
      else if (accept("/")) e = bin("/", e, parse_unary());
      else if (accept("%")) e = bin("%", e, parse_unary());
      else return e;
    }
  }
  ExprPtr parse_unary() {
    if (accept("-")) {
      Nest n(*this);
      auto e = std::make_shared<Expr>();
      e->kind = Expr::Kind::Unary;
      e->op = "-";
      e->a = parse_unary();
      return e;
    }
    return parse_primary();
  }
  ExprPtr parse_primary() {
    const Tok t = toks_[pos_];
    auto e = std::make_shared<Expr>();
    switch (t.kind) {
      case Tok::Num:
        ++pos_;
        e->kind = Expr::Kind::Num;
        e->num = t.num;
        return e;
      case Tok::Str:
        ++pos_;
        e->kind = Expr::Kind::Str;
        e->text = t.text;
        return e;
      case Tok::Name:
        ++pos_;
        e->kind = Expr::Kind::Name;
        e->text = t.text;
        names.push_back(t.text);
        return e;
      case Tok::Op:
        if (accept("(")) {
          Nest n(*this);
          ExprPtr inner = parse_or();
          if (!accept(")")) fail("missing ')'");
          return inner;
        }
        fail("unexpected '" + t.text + "'");
      case Tok::End:
        fail("expression ends too early");
    }
    fail("unexpected token");
  }

  std::string s_, where_;
  std::vector<Tok> toks_;
  size_t pos_ = 0;
  int nesting_ = 0;
};

std::string value_text(const Value& v) { return v.is_num ? fmt::format("{}", v.num) : v.str; }

Value eval(const Expr& e, const NameLookup& lookup, const Constraint& c) {
  switch (e.kind) {
    case Expr::Kind::Num: return Value{true, e.num, ""};
    case Expr::Kind::Str: return Value{false, 0, e.text};
    case Expr::Kind::Name: {
      return lookup(e.text);
    }
    case Expr::Kind::Unary: {
      Value a = eval(*e.a, lookup, c);
      if (e.op == "!") return Value{true, (a.is_num ? a.num == 0 : a.str.empty()) ? 1.0 : 0.0, ""};
      if (!a.is_num)
        throw ConfigError(c.origin.str() + ": constraint \"" + c.text + "\": cannot negate the string '" + a.str + "'");
      return Value{true, -a.num, ""};
    }
    case Expr::Kind::Binary: {
      if (e.op == "&&" || e.op == "||") {
        auto truth = [](const Value& v) { return v.is_num ? v.num != 0 : !v.str.empty(); };
        const bool a = truth(eval(*e.a, lookup, c));
        if (e.op == "&&" && !a) return Value{true, 0, ""};
        if (e.op == "||" && a) return Value{true, 1, ""};
        return Value{true, truth(eval(*e.b, lookup, c)) ? 1.0 : 0.0, ""};
      }
      Value a = eval(*e.a, lookup, c), b = eval(*e.b, lookup, c);
      const bool cmp = e.op == "<" || e.op == "<=" || e.op == ">" || e.op == ">=" || e.op == "==" || e.op == "!=";
      if (cmp) {
        int r;
        if (a.is_num && b.is_num) r = a.num < b.num ? -1 : a.num > b.num ? 1 : 0;
        else {
          const std::string x = value_text(a), y = value_text(b);
          r = x < y ? -1 : x > y ? 1 : 0;
        }
        bool t = e.op == "<" ? r < 0 : e.op == "<=" ? r <= 0 : e.op == ">" ? r > 0 : e.op == ">=" ? r >= 0
                 : e.op == "==" ? r == 0 : r != 0;
        return Value{true, t ? 1.0 : 0.0, ""};
      }
      if (!a.is_num || !b.is_num)
        throw ConfigError(c.origin.str() + ": constraint \"" + c.text + "\": arithmetic '" + e.op +
                          "' on a non-number ('" + value_text(a.is_num ? b : a) + "')");
      if (e.op == "+") return Value{true, a.num + b.num, ""};
      if (e.op == "-") return Value{true, a.num - b.num, ""};
      if (e.op == "*") return Value{true, a.num * b.num, ""};
      if (e.op == "/") return Value{true, a.num / b.num, ""};
      return Value{true, std::fmod(a.num, b.num), ""};
    }
  }
  return Value{};
}

}  // namespace

Value value_of_text(const std::string& text) {
  Value v;
  if (text == "true" || text == "True") v.num = 1;
  else if (text == "false" || text == "False") v.num = 0;
  else if (!to_number(text, v.num)) {
    v.is_num = false;
    v.str = text;
  }
  return v;
}

Constraint parse_constraint(const std::string& text, const Origin& origin) {
  Constraint c;
  c.text = text;
  c.origin = origin;
  ExprParser parser(text, origin.str());
  c.expr = parser.parse();
  c.names = parser.names;
  return c;
}

bool constraint_true(const Constraint& c, const NameLookup& lookup) {
  Value v = eval(*c.expr, lookup, c);
  return v.is_num ? v.num != 0 : !v.str.empty();
}

}  // namespace mcucim::sweep
