// The semihosting sandbox (issue 18): a program reaches host files only below --semihost-root, writes
// only with --semihost-write, never escapes the root, never runs a command; and semihosting calls
// cannot read host memory, make the host allocate gigabytes, or write into read-only flash.
// The program is workloads/semihost_probe (raw semihosting calls; results printed one per line).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "e2e_util.h"

using e2e::mcucim;
using testing::HasSubstr;
namespace fs = std::filesystem;

namespace {
// A fresh folder per test: root/ (the sandbox) with inside.txt, sub/, a symlink to ../outside.txt, a
// symlink to .. and a symlink to inside.txt; outside.txt next to root/.
struct Sandbox {
  fs::path dir, root;
  explicit Sandbox(const std::string& name) {
    dir = fs::path(e2e::tmpdir()) / name;
    fs::remove_all(dir);
    root = dir / "root";
    fs::create_directories(root / "sub");
    std::ofstream(dir / "outside.txt") << "secret\n";
    std::ofstream(root / "inside.txt") << "hello\n";
    fs::create_symlink("../outside.txt", root / "link_out");
    fs::create_symlink("..", root / "up");
    fs::create_symlink("inside.txt", root / "link_in");
  }
  std::string read(const fs::path& p) const { return e2e::slurp(p.string()); }
};
std::string probe(const std::string& args, const std::string& options = "") {
  return "run -c " + e2e::cfg() + " --elf " + e2e::fw("semihost_probe") + " -q " + options + " --args '" + args + "'";
}
std::string root_opt(const Sandbox& s, bool write = false) {
  return "--semihost-root " + s.root.string() + (write ? " --semihost-write" : "");
}
constexpr const char* kRefused = "open=-1 errno=13";  // EACCES
}  // namespace

TEST(Sandbox, NoRootMeansNoHostFiles) {
  Sandbox s("noroot");
  auto r = mcucim(probe("read " + (s.root / "inside.txt").string()));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(kRefused));
  EXPECT_THAT(r.err, HasSubstr("--semihost-root"));
}

TEST(Sandbox, ReadingBelowTheRootWorks) {
  Sandbox s("read");
  auto r = mcucim(probe("read inside.txt", root_opt(s)));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("read=6 data=hello"));
  // A symlink that stays inside the root is followed.
  EXPECT_THAT(mcucim(probe("read link_in", root_opt(s))).out, HasSubstr("read=6 data=hello"));
}

TEST(Sandbox, AbsolutePathIsRefused) {
  Sandbox s("abs");
  auto r = mcucim(probe("read " + (s.dir / "outside.txt").string(), root_opt(s)));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(kRefused));
  EXPECT_THAT(r.err, HasSubstr("leads outside the folder"));
  EXPECT_THAT(r.out, testing::Not(HasSubstr("secret")));
}

TEST(Sandbox, DotDotIsRefused) {
  Sandbox s("dotdot");
  auto r = mcucim(probe("read ../outside.txt", root_opt(s)));
  EXPECT_THAT(r.out, HasSubstr(kRefused));
  EXPECT_THAT(r.err, HasSubstr("leads outside the folder"));
  EXPECT_THAT(mcucim(probe("read sub/../../outside.txt", root_opt(s))).out, HasSubstr(kRefused));
}

TEST(Sandbox, SymlinksLeavingTheRootAreRefused) {
  Sandbox s("symlink");
  auto r = mcucim(probe("read link_out", root_opt(s)));
  EXPECT_THAT(r.out, HasSubstr(kRefused));
  EXPECT_THAT(r.err, HasSubstr("leads outside the folder"));
  EXPECT_THAT(mcucim(probe("read up/outside.txt", root_opt(s))).out, HasSubstr(kRefused));
  // Writing through a symlink out of the root does not touch the target.
  EXPECT_THAT(mcucim(probe("write link_out", root_opt(s, true))).out, HasSubstr(kRefused));
  EXPECT_EQ(s.read(s.dir / "outside.txt"), "secret\n");
}

TEST(Sandbox, WritingNeedsSemihostWrite) {
  Sandbox s("nowrite");
  auto r = mcucim(probe("write inside.txt", root_opt(s)));
  EXPECT_THAT(r.out, HasSubstr(kRefused));
  EXPECT_THAT(r.err, HasSubstr("--semihost-write"));
  EXPECT_EQ(s.read(s.root / "inside.txt"), "hello\n");  // not truncated
  auto w = mcucim(probe("write new.txt", root_opt(s, true)));
  EXPECT_THAT(w.out, HasSubstr("write=6"));
  EXPECT_EQ(s.read(s.root / "new.txt"), "pwned\n");
  auto up = mcucim(probe("write ../new.txt", root_opt(s, true)));
  EXPECT_THAT(up.out, HasSubstr(kRefused));
  EXPECT_FALSE(fs::exists(s.dir / "new.txt"));
  EXPECT_EQ(mcucim(probe("read x", "--semihost-write")).code, 2);  // --semihost-write alone
}

TEST(Sandbox, RemoveAndRenameStayInsideTheRoot) {
  Sandbox s("rmmv");
  EXPECT_THAT(mcucim(probe("remove ../outside.txt", root_opt(s, true))).out, HasSubstr("remove=-1 errno=13"));
  EXPECT_THAT(mcucim(probe("remove " + (s.dir / "outside.txt").string(), root_opt(s, true))).out,
              HasSubstr("remove=-1 errno=13"));
  EXPECT_THAT(mcucim(probe("remove up/outside.txt", root_opt(s, true))).out, HasSubstr("remove=-1 errno=13"));
  EXPECT_TRUE(fs::exists(s.dir / "outside.txt"));
  EXPECT_THAT(mcucim(probe("rename inside.txt ../moved.txt", root_opt(s, true))).out, HasSubstr("rename=-1 errno=13"));
  EXPECT_THAT(mcucim(probe("rename ../outside.txt stolen.txt", root_opt(s, true))).out, HasSubstr("rename=-1 errno=13"));
  EXPECT_TRUE(fs::exists(s.root / "inside.txt"));
  EXPECT_TRUE(fs::exists(s.dir / "outside.txt"));
  // Without --semihost-write nothing is removed even inside the root.
  EXPECT_THAT(mcucim(probe("remove inside.txt", root_opt(s))).out, HasSubstr("remove=-1 errno=13"));
  EXPECT_TRUE(fs::exists(s.root / "inside.txt"));
  // Inside the root, with --semihost-write, both work.
  EXPECT_THAT(mcucim(probe("rename inside.txt sub/moved.txt", root_opt(s, true))).out, HasSubstr("rename=0"));
  EXPECT_EQ(s.read(s.root / "sub" / "moved.txt"), "hello\n");
  EXPECT_THAT(mcucim(probe("remove sub/moved.txt", root_opt(s, true))).out, HasSubstr("remove=0"));
  EXPECT_FALSE(fs::exists(s.root / "sub" / "moved.txt"));
}

TEST(Sandbox, SystemNeverRunsACommand) {
  Sandbox s("system");
  const fs::path marker = s.dir / "ran";
  // ${IFS}: one argument for the probe, a space for a shell (if the call ever reached one).
  auto r = mcucim(probe("system touch${IFS}" + marker.string(), root_opt(s, true)));
  EXPECT_THAT(r.out, HasSubstr("system=-1 errno=13"));
  EXPECT_THAT(r.err, HasSubstr("never runs host commands"));
  EXPECT_FALSE(fs::exists(marker));
}

TEST(Sandbox, SeekPastTheFeaturesFileReadsNothing) {
  // Once copied 256 bytes of host heap into the program (heap-buffer-overflow read).
  auto r = mcucim(probe("features-seek"));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("notread=256 changed=0"));
}

TEST(Sandbox, HugeReadDoesNotMakeTheHostAllocateIt) {
  // A read of 0xF0000000 bytes once allocated that much host memory up front; now it moves data in
  // 64 KiB chunks. The features file has 5 bytes: 0xF0000000 - 5 are not read. Without a sanitizer the
  // run is limited to 2 GB of address space, so the old behaviour fails here.
#ifdef MCUCIM_SANITIZE
  const std::string ulimit;
#else
  const std::string ulimit = "ulimit -v 2000000 && ";
#endif
  const std::string cmd = ulimit + std::string(MCUCIM_BINARY_DIR) + "/mcucim " + probe("bigread") + " > " +
                          e2e::tmpdir() + "/bigread.out 2>&1";
  const int st = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << e2e::slurp(e2e::tmpdir() + "/bigread.out");
  EXPECT_THAT(e2e::slurp(e2e::tmpdir() + "/bigread.out"), HasSubstr("notread=4026531835"));
}

TEST(Sandbox, ReadIntoReadOnlyFlashIsAFault) {
  // Semihosting wrote into flash although the program itself cannot; now the call faults.
  auto r = mcucim(probe("flashread"));
  EXPECT_EQ(r.code, 125) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("not in writable memory"));
}
