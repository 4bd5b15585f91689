/* nb_rng.c - xoshiro256** generator with splitmix64 seeding.
 *
 * DESIGN: state is four 64-bit words, filled from splitmix64(seed) (Vigna's recommended
 * seeding). Streams mix the stream index into the seed through one more splitmix64 round,
 * which decorrelates (seed, stream) pairs well enough for data shuffles and weight init.
 * No shared state; one object per thread. Reads no config keys.
 */
#include "nb_rng.h"

#include <math.h>
#include <stdint.h>

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

void nb_rng_init(nb_rng *rng, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&x);
}

void nb_rng_init_stream(nb_rng *rng, uint64_t seed, uint64_t stream) {
    uint64_t x = stream ^ 0x5DEECE66Dull;
    uint64_t mixed = seed ^ splitmix64(&x);
    nb_rng_init(rng, mixed);
}

uint64_t nb_rng_next(nb_rng *rng) {
    uint64_t *s = rng->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double nb_rng_uniform(nb_rng *rng) {
    return (double)(nb_rng_next(rng) >> 11) * 0x1.0p-53;
}

uint64_t nb_rng_below(nb_rng *rng, uint64_t n) {
    /* Rejection sampling on the top of the range: unbiased for every n. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
        x = nb_rng_next(rng);
    } while (x >= limit);
    return x % n;
}

double nb_rng_normal(nb_rng *rng) {
    double u1 = nb_rng_uniform(rng);
    double u2 = nb_rng_uniform(rng);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void nb_rng_shuffle_u32(nb_rng *rng, uint32_t *a, size_t n) {
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)nb_rng_below(rng, i);
        uint32_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}
