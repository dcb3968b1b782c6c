// RV32F single-precision floating-point semantics as pure functions on raw binary32 bit patterns.
//
// Bit-exact to IEEE 754-2008 binary32 and the RISC-V unprivileged ISA, F extension v2.2:
//  - every NaN result is the canonical NaN 0x7fc00000 (no payload propagation);
//  - tininess is detected after rounding; UF is raised only when the result is tiny and inexact;
//  - fma raises NV for inf*0 even when the addend is a quiet NaN;
//  - fmin/fmax follow v2.2 (-0 < +0, a single NaN operand yields the other operand, two NaNs yield the
//    canonical NaN, any signalling NaN raises NV);
//  - fcvt.w[u].s saturate as in the spec's table (NaN -> 2^31-1 / 2^32-1) and raise NV, never NX, when
//    the rounded value is out of range.
//
// Flags are accrued: each function ORs its exception bits into `flags` and never clears any.
// `rm` must be a resolved static rounding mode 0..4 (the caller maps DYN=7 to frm and traps on the
// reserved encodings 5 and 6 before calling). Values above RMM are treated as RNE.
//
// Implementation (fpu.cpp): with rm == RNE and a normal, finite result, the host's own IEEE float/double
// arithmetic computes the result and exactness tests decide NX (a few ns per op). Everything else
// (directed rounding, RMM, subnormal/zero/overflowing results, NaN and infinity operands) goes through
// an integer soft-float path, exposed as fpu::soft for tests. The fast path assumes the host is in its
// default floating-point environment: round-to-nearest, no flush-to-zero/denormals-are-zero (x86 MXCSR
// as set at process start); host_env_is_default() checks that.
#pragma once
#include <cstdint>

namespace mcucim::isa::fpu {

enum : unsigned { RNE = 0, RTZ = 1, RDN = 2, RUP = 3, RMM = 4 };  // rounding modes (frm / rm encoding)
enum : uint32_t { NX = 1, UF = 2, OF = 4, DZ = 8, NV = 16 };      // fflags bits (RISC-V layout)
constexpr uint32_t kCanonicalNaN = 0x7fc00000;
constexpr uint32_t kSignBit = 0x80000000;

// Arithmetic. a, b, c are binary32 bit patterns; the result is a binary32 bit pattern.
uint32_t add(uint32_t a, uint32_t b, unsigned rm, uint32_t& flags);
uint32_t sub(uint32_t a, uint32_t b, unsigned rm, uint32_t& flags);
uint32_t mul(uint32_t a, uint32_t b, unsigned rm, uint32_t& flags);
uint32_t div(uint32_t a, uint32_t b, unsigned rm, uint32_t& flags);
uint32_t sqrt(uint32_t a, unsigned rm, uint32_t& flags);
// Fused multiply-add, a*b+c with a single rounding (FMADD.S), and the other three R4 forms:
// FMSUB.S = a*b-c, FNMSUB.S = -(a*b)+c, FNMADD.S = -(a*b)-c.
uint32_t fma(uint32_t a, uint32_t b, uint32_t c, unsigned rm, uint32_t& flags);
inline uint32_t fmsub(uint32_t a, uint32_t b, uint32_t c, unsigned rm, uint32_t& flags) {
  return fma(a, b, c ^ kSignBit, rm, flags);
}
inline uint32_t fnmsub(uint32_t a, uint32_t b, uint32_t c, unsigned rm, uint32_t& flags) {
  return fma(a ^ kSignBit, b, c, rm, flags);
}
inline uint32_t fnmadd(uint32_t a, uint32_t b, uint32_t c, unsigned rm, uint32_t& flags) {
  return fma(a ^ kSignBit, b, c ^ kSignBit, rm, flags);
}

// FMIN.S / FMAX.S (v2.2 semantics, see above).
uint32_t min(uint32_t a, uint32_t b, uint32_t& flags);
uint32_t max(uint32_t a, uint32_t b, uint32_t& flags);

// Comparisons, result 0 or 1. eq is quiet (NV only for a signalling NaN); lt and le are signalling
// (NV for any NaN). Any NaN operand gives 0.
uint32_t eq(uint32_t a, uint32_t b, uint32_t& flags);
uint32_t lt(uint32_t a, uint32_t b, uint32_t& flags);
uint32_t le(uint32_t a, uint32_t b, uint32_t& flags);

// FCLASS.S: exactly one of these bits is set.
enum : uint32_t {
  kClassNegInf = 1u << 0, kClassNegNormal = 1u << 1, kClassNegSubnormal = 1u << 2, kClassNegZero = 1u << 3,
  kClassPosZero = 1u << 4, kClassPosSubnormal = 1u << 5, kClassPosNormal = 1u << 6, kClassPosInf = 1u << 7,
  kClassSNaN = 1u << 8, kClassQNaN = 1u << 9,
};
uint32_t classify(uint32_t a);

// Conversions. cvt_w_s returns the int32 result's bits; cvt_s_w takes an int32's bits.
uint32_t cvt_w_s(uint32_t a, unsigned rm, uint32_t& flags);
uint32_t cvt_wu_s(uint32_t a, unsigned rm, uint32_t& flags);
uint32_t cvt_s_w(uint32_t int_bits, unsigned rm, uint32_t& flags);
uint32_t cvt_s_wu(uint32_t uint_bits, unsigned rm, uint32_t& flags);

// Sign injection (never raise flags, never canonicalise NaNs).
inline uint32_t sgnj(uint32_t a, uint32_t b) { return (a & ~kSignBit) | (b & kSignBit); }
inline uint32_t sgnjn(uint32_t a, uint32_t b) { return (a & ~kSignBit) | (~b & kSignBit); }
inline uint32_t sgnjx(uint32_t a, uint32_t b) { return a ^ (b & kSignBit); }

// True when the host floating-point environment is the one the fast path relies on (round to nearest,
// no FTZ/DAZ). Tests and the simulator's start-up may assert it.
bool host_env_is_default();

// The integer soft-float path alone (any rm, any operands). The functions above give identical results;
// these exist so tests can check both paths.
namespace soft {
uint32_t add(uint32_t a, uint32_t b, unsigned rm, uint32_t& flags);
uint32_t mul(uint32_t a, uint32_t b, unsigned rm, uint32_t& flags);
uint32_t div(uint32_t a, uint32_t b, unsigned rm, uint32_t& flags);
uint32_t sqrt(uint32_t a, unsigned rm, uint32_t& flags);
uint32_t fma(uint32_t a, uint32_t b, uint32_t c, unsigned rm, uint32_t& flags);
}  // namespace soft

}  // namespace mcucim::isa::fpu
