// Helpers shared by the sweep tests: CSV tables as rows of named cells, shell quoting.
#pragma once
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace sweep_test {

using Row = std::map<std::string, std::string>;

// A CSV file (RFC 4180 quoting, no newlines inside cells) as rows keyed by the header's names.
inline std::vector<Row> read_table(const std::string& path) {
  std::vector<std::vector<std::string>> lines;
  std::ifstream f(path);
  for (std::string line; std::getline(f, line);) {
    std::vector<std::string> cells;
    std::string cell;
    bool q = false;
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (q) {
        if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') cell += '"', ++i;
        else if (c == '"') q = false;
        else cell += c;
      } else if (c == '"') q = true;
      else if (c == ',') cells.push_back(cell), cell.clear();
      else cell += c;
    }
    cells.push_back(cell);
    lines.push_back(cells);
  }
  std::vector<Row> rows;
  for (size_t i = 1; i < lines.size(); ++i) {
    Row r;
    for (size_t k = 0; k < lines[0].size() && k < lines[i].size(); ++k) r[lines[0][k]] = lines[i][k];
    rows.push_back(r);
  }
  return rows;
}

// The rows without the columns that differ between identical runs: host time, and the provenance
// (host, date, working directory, the report's temporary file name on the command line).
inline std::vector<Row> deterministic(std::vector<Row> rows) {
  for (auto& r : rows)
    for (auto it = r.begin(); it != r.end();)
      it = it->first == "host_s" || it->first.compare(0, 11, "provenance.") == 0 ? r.erase(it) : std::next(it);
  return rows;
}

inline std::string sh_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace sweep_test
