// cim/noise.h, the seeded Gaussian source of the non-ideal CIM model: deterministic per seed, and its
// normals have the moments of N(0, 1) (checked against the exact values with a tolerance of several
// standard errors for 200000 draws), its uniforms those of U(0, 1).
#include <gtest/gtest.h>

#include <cmath>

#include "cim/noise.h"

using mcucim::cim::NoiseSource;

TEST(CimNoise, SameSeedSameSequenceOtherSeedOther) {
  NoiseSource a(42), b(42), c(43);
  int differ = 0;
  for (int i = 0; i < 1000; ++i) {
    const double x = a.normal(), y = b.normal(), z = c.normal();
    EXPECT_EQ(x, y);
    differ += x != z;
  }
  EXPECT_GT(differ, 990);
  a.reseed(7);
  NoiseSource d(7);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.normal(), d.normal());  // reseed drops the spare normal
}

TEST(CimNoise, MomentsOfTheNormalAndUniformDraws) {
  NoiseSource n(1);
  const int N = 200000;
  double s1 = 0, s2 = 0, s4 = 0, u1 = 0, u2 = 0;
  int beyond2 = 0;
  for (int i = 0; i < N; ++i) {
    const double x = n.normal();
    s1 += x;
    s2 += x * x;
    s4 += x * x * x * x;
    beyond2 += std::fabs(x) > 2.0;
    const double u = n.uniform();
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    u1 += u;
    u2 += u * u;
  }
  // standard errors for N = 2e5: mean 0.0022, variance 0.0032, fourth moment (3) 0.022
  EXPECT_NEAR(s1 / N, 0.0, 0.01);
  EXPECT_NEAR(s2 / N, 1.0, 0.015);
  EXPECT_NEAR(s4 / N, 3.0, 0.1);
  // P(|x| > 2) = 0.0455 for N(0, 1) (standard error 0.00047)
  EXPECT_NEAR(double(beyond2) / N, 0.0455, 0.0025);
  EXPECT_NEAR(u1 / N, 0.5, 0.003);       // U(0,1): mean 1/2
  EXPECT_NEAR(u2 / N, 1.0 / 3.0, 0.003);  // second moment 1/3
}
