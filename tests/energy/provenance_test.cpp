// Provenance: SHA-256 against the FIPS 180-4 example vectors, and the report's `provenance` object
// against sha256sum and git run independently on the same files and tree; `mcucim --version`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../e2e/e2e_util.h"
#include "sim/provenance.h"
#include "sim/sha256.h"

using nlohmann::json;
using testing::HasSubstr;

namespace {
std::string sha(const std::string& s) {
  mcucim::sim::Sha256 h;
  h.update(s.data(), s.size());
  return h.hex();
}
// First word of a shell command's output ("" if it failed).
std::string first_word(const std::string& cmd) {
  const std::string out = e2e::tmpdir() + "/cmd.out";
  if (std::system((cmd + " > " + out + " 2>/dev/null").c_str()) != 0) return "";
  std::string w;
  std::ifstream(out) >> w;
  return w;
}
}  // namespace

TEST(Sha256, FipsExamples) {
  EXPECT_EQ(sha(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // One million 'a', fed in uneven pieces (exercises the partial-block path).
  mcucim::sim::Sha256 h;
  const std::string chunk(997, 'a');
  size_t left = 1000000;
  while (left) {
    const size_t n = std::min(left, chunk.size());
    h.update(chunk.data(), n);
    left -= n;
  }
  EXPECT_EQ(h.hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Provenance, ShellJoinQuotesWhatTheShellWouldSplit) {
  EXPECT_EQ(mcucim::sim::shell_join({"mcucim", "run", "--args", "-n 8 -i it's"}),
            "mcucim run --args '-n 8 -i it'\\''s'");
}

// Every report names its inputs with the hashes sha256sum computes, the build's commit as git sees
// the source tree, and the command line as given.
TEST(Provenance, ReportHashesEqualSha256sumAndCommitEqualsGit) {
  const std::string data = e2e::tmpdir() + "/blob.bin";
  {
    std::ofstream f(data, std::ios::binary);
    for (int i = 0; i < 5000; ++i) f.put(static_cast<char>(i * 7 + 3));
  }
  const std::string rep = e2e::tmpdir() + "/prov.json";
  auto r = e2e::mcucim(e2e::run_args("selfcheck", "-q --load " + data + "@0x80040000 --report " + rep));
  ASSERT_EQ(r.code, 0) << r.err;
  std::ifstream f(rep);
  ASSERT_TRUE(f);
  const json p = json::parse(f)["provenance"];
  ASSERT_TRUE(p.is_object());
  ASSERT_EQ(p["inputs"].size(), 3u);
  std::map<std::string, json> by_role;
  for (const auto& in : p["inputs"]) by_role[in["role"].get<std::string>()] = in;
  for (const auto& [role, path] : {std::pair<std::string, std::string>{"elf", e2e::fw("selfcheck")},
                                   {"load", data}, {"config", e2e::cfg()}}) {
    const json& in = by_role[role];
    EXPECT_EQ(in["path"], path) << role;
    EXPECT_EQ(in["sha256"], first_word("sha256sum " + path)) << role;
    EXPECT_EQ(in["size_bytes"], std::filesystem::file_size(path)) << role;
  }
  EXPECT_EQ(by_role["load"]["address"], "0x80040000");
  EXPECT_THAT(p["command_line"].get<std::string>(), HasSubstr("run -c " + e2e::cfg()));
  EXPECT_EQ(p["argv"][1], "run");
  EXPECT_FALSE(p["host"].get<std::string>().empty());
  EXPECT_EQ(p["date"].get<std::string>().size(), 20u);  // YYYY-MM-DDTHH:MM:SSZ
  // The commit the build recorded is the source tree's HEAD (when the tree is a git checkout).
  const std::string head = first_word("git -C " + std::string(MCUCIM_SOURCE_DIR) + " rev-parse HEAD");
  EXPECT_EQ(p["mcucim"]["commit"], head.empty() ? std::string("unknown") : head);
  if (!head.empty()) {
    EXPECT_TRUE(p["mcucim"]["dirty"].is_boolean());
  }

  auto v = e2e::mcucim("--version");
  EXPECT_EQ(v.code, 0);
  EXPECT_THAT(v.out, HasSubstr("mcucim " + p["mcucim"]["version"].get<std::string>() + " (commit " +
                               p["mcucim"]["commit"].get<std::string>()));
}
