/* fastmath.h - exp, tanh and sigmoid for float arrays that the compiler can vectorise
 * (internal).
 *
 * libm's expf and tanhf are scalar calls: a loop over them runs one value at a time, so a
 * tanh layer cost 5-10x a ReLU layer. These are straight-line float code (no calls, no
 * branches, a select at most), so `gcc -O3 -march=native` turns a loop over them into vector
 * code (check with -fopt-info-vec). They are accurate to a few units in the last place:
 * tests/test_fastmath.c checks them against double-precision libm over dense grids
 * (relative error below 1e-6 wherever the result is a normal float).
 *
 * exp(x): range reduction x = n ln2 + r with n = round(x / ln2), |r| <= ln2 / 2, ln2 split
 * into a part exact in float and a small correction (Cody and Waite) so that r is exact to
 * float precision; then e^r by its Taylor series to r^7 (the first omitted term is below
 * 0.35^8 / 8! = 1.3e-9, far under float's 6e-8), and 2^n put straight into the exponent
 * bits. Results below e^-87.3 (~1e-38, the smallest normal floats) are flushed to 0, as
 * under flush-to-zero; above FLT_MAX they are infinity, as from expf: so softmax of a far
 * smaller logit gives exactly 0 and sigmoid(-200) = 1 / (1 + inf) = 0.
 *
 * tanh(x): odd, so computed on a = |x| and the sign put back. For a < 0.35 its Taylor series
 * to x^13 (truncation error below 1e-9 relative); above, (1 - e) / (1 + e) with e = e^(-2a),
 * where 1 - e has no cancellation left to speak of (e <= 0.5). a is clamped to 9, beyond
 * which tanh rounds to 1 in float anyway.
 *
 * sigmoid(x) = 1 / (1 + e^(-x)) directly rather than through tanh: relative accuracy then
 * holds in the far negative tail too, where 0.5 (1 + tanh(x/2)) would cancel to 0. */
#ifndef NN_FASTMATH_H
#define NN_FASTMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float nn_expf(float x) {
    const float log2e = 1.44269504088896341f;
    const float ln2_hi = 0.693145751953125f;      /* ln 2 to 16 bits: n * ln2_hi is exact */
    const float ln2_lo = 1.42860682030941723e-6f; /* ln 2 - ln2_hi */
    const float round_magic = 12582912.0f;        /* 1.5 * 2^23: adding it rounds to integer */
    /* Reduce a clamped copy (a NaN becomes -87.3 here, so the int conversion below is always
     * defined); the ends and NaN are put right at the return. */
    float xc = x > -87.3f ? x : -87.3f;
    xc = xc < 88.72283f ? xc : 88.72283f;
    const float n = (xc * log2e + round_magic) - round_magic;
    const float r = (xc - n * ln2_hi) - n * ln2_lo;
    float p = 1.0f / 5040;
    p = p * r + 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    /* 2^n as 2^h 2^(n-h), h = n/2, each a float built from its biased exponent (in bits
     * 23..30): n is in -126..128 after the clamp, and 2^128 alone is not a float. Both
     * products are exact (powers of two, no underflow). */
    const int32_t ni = (int32_t)n, h = ni / 2;
    const int32_t b1 = (h + 127) << 23, b2 = (ni - h + 127) << 23;
    float s1, s2;
    memcpy(&s1, &b1, sizeof s1);
    memcpy(&s2, &b2, sizeof s2);
    float y = p * s1 * s2;
    y = x < -87.3f ? 0.0f : y;          /* below ~1e-38: flushed to 0, as with FTZ */
    y = x > 88.72283f ? HUGE_VALF : y;  /* above FLT_MAX: infinity, as expf */
    return x == x ? y : x;              /* NaN in, NaN out */
}

static inline float nn_tanhf(float x) {
    float a = x < 0 ? -x : x;
    a = a > 9.0f ? 9.0f : a;
    /* Small a: tanh a = a (1 - a^2/3 + 2a^4/15 - 17a^6/315 + ...), Horner in a^2. */
    const float s = a * a;
    float q = 21844.0f / 6081075;
    q = q * s - 1382.0f / 155925;
    q = q * s + 62.0f / 2835;
    q = q * s - 17.0f / 315;
    q = q * s + 2.0f / 15;
    q = q * s - 1.0f / 3;
    q = q * s;
    const float small = a + a * q;
    /* Larger a: (1 - e) / (1 + e), e = exp(-2a). */
    const float e = nn_expf(-2.0f * a);
    const float large = (1.0f - e) / (1.0f + e);
    const float t = a < 0.35f ? small : large;
    return x < 0 ? -t : t;
}

static inline float nn_sigmoidf(float x) {
    return 1.0f / (1.0f + nn_expf(-x));
}

#endif
