// RV32F end to end: the same float workload built hard-float (executed by the simulator's FPU model)
// and soft-float (libgcc) prints bit-identical results; a core without F traps F code.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "e2e_util.h"

using e2e::mcucim;
using testing::HasSubstr;

TEST(Float, HardAndSoftFloatBuildsAgreeBitForBit) {
  auto hard = mcucim(e2e::run_args("float_hard", "-q --set soc.core.isa=rv32imfc"));
  auto soft = mcucim(e2e::run_args("float_soft", "-q"));
  ASSERT_EQ(hard.code, 0) << hard.err;
  ASSERT_EQ(soft.code, 0) << soft.err;
  EXPECT_THAT(hard.out, HasSubstr("float checksum"));
  EXPECT_EQ(hard.out, soft.out);
}

TEST(Float, HardFloatFirmwareOnCoreWithoutFFails) {
  auto r = mcucim(e2e::run_args("float_hard", "-q"));
  EXPECT_NE(r.code, 0);
}
