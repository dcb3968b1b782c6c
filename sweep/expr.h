// Constraint expressions of sweep specs: numbers (1e6, 0x10, 512KiB), 'strings', dotted names,
// + - * / %, < <= > >= == !=, && || ! (and, or, not), parentheses. docs/SWEEPS.md has the grammar.
// The names are resolved by the caller (axis values and base-config values for `exclude:`).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sweep/util.h"

namespace mcucim::sweep {

// A value in an expression: a number, or else a string.
struct Value {
  bool is_num = true;
  double num = 0;
  std::string str;
};
// "true"/"false" are 1/0, numbers as configs write them, anything else a string.
Value value_of_text(const std::string& text);

struct Expr;  // the parsed tree (expr.cpp)

struct Constraint {
  std::string text;
  Origin origin;                      // where the expression is written (spec file:line)
  std::shared_ptr<const Expr> expr;
  std::vector<std::string> names;     // every dotted name used, in order of appearance
};

// Parse `text`; a syntax error is a ConfigError naming `origin` and the expression.
Constraint parse_constraint(const std::string& text, const Origin& origin);

// The value of a name; throws ConfigError (naming the constraint) for a name it does not know.
using NameLookup = std::function<Value(const std::string& name)>;
// Evaluate: true when the expression's value is a non-zero number or a non-empty string.
bool constraint_true(const Constraint& c, const NameLookup& lookup);

}  // namespace mcucim::sweep
