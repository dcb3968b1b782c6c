// Shared checks for the decoder tests: compare every field of a decoded Insn.
#pragma once
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "isa/disasm.h"
#include "isa/insn.h"

namespace decode_test {
using mcucim::isa::Insn;
using mcucim::isa::IsaFeatures;
using mcucim::isa::Op;
using mcucim::isa::TClass;

inline IsaFeatures all_features() {
  IsaFeatures f;
  f.m = f.c = f.f = f.xmac = true;
  return f;
}

inline std::string hex(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", v);
  return b;
}

// The expected decoded fields (len and raw are checked separately).
struct Want {
  Op op;
  TClass tclass;
  unsigned rd = 0, rs1 = 0, rs2 = 0;
  int32_t imm = 0;
  unsigned rs3 = 0, rm = 0;
};

inline void expect_fields(const Insn& got, const Want& w, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(mcucim::isa::op_name(got.op), std::string(mcucim::isa::op_name(w.op)));
  EXPECT_EQ(static_cast<int>(got.op), static_cast<int>(w.op));
  EXPECT_EQ(static_cast<int>(got.tclass), static_cast<int>(w.tclass));
  EXPECT_EQ(got.rd, w.rd);
  EXPECT_EQ(got.rs1, w.rs1);
  EXPECT_EQ(got.rs2, w.rs2);
  EXPECT_EQ(got.rs3, w.rs3);
  EXPECT_EQ(got.imm, w.imm);
  EXPECT_EQ(got.rm, w.rm);
}

// Decode a 32-bit word with all extensions and check every field, len and raw.
inline void expect32(uint32_t raw, const Want& w, const IsaFeatures& f = all_features()) {
  const Insn got = mcucim::isa::decode(raw, f);
  expect_fields(got, w, "raw " + hex(raw));
  EXPECT_EQ(got.len, 4) << hex(raw);
  EXPECT_EQ(got.raw, raw) << hex(raw);
}

inline void expect_illegal32(uint32_t raw, const IsaFeatures& f = all_features()) {
  const Insn got = mcucim::isa::decode(raw, f);
  expect_fields(got, Want{Op::ILLEGAL, TClass::SYSTEM}, "illegal raw " + hex(raw));
  EXPECT_EQ(got.len, 4) << hex(raw);
  EXPECT_EQ(got.raw, raw) << hex(raw);
}

}  // namespace decode_test
