/* nb_rng.h - seeded pseudo-random numbers (xoshiro256**, seeded through splitmix64).
 *
 * Source: D. Blackman, S. Vigna, "Scrambled linear pseudorandom number generators",
 * ACM TOMS 47(4), 2021. Every random source in nnbundle is an nb_rng with an explicit seed;
 * independent streams (one per class, per thread, per draw) come from nb_rng_init_stream,
 * so results never depend on the thread count. Not thread-safe: one object per thread.
 */
#ifndef NB_RNG_H
#define NB_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct nb_rng {
    uint64_t s[4];
} nb_rng;

/* Seeds the generator; any seed (0 included) is valid. */
void nb_rng_init(nb_rng *rng, uint64_t seed);

/* Seeds stream `stream` of `seed`: distinct (seed, stream) pairs give independent sequences. */
void nb_rng_init_stream(nb_rng *rng, uint64_t seed, uint64_t stream);

/* Next 64 random bits. */
uint64_t nb_rng_next(nb_rng *rng);

/* Uniform double in [0, 1), 53 random bits. */
double nb_rng_uniform(nb_rng *rng);

/* Uniform integer in [0, n), unbiased (rejection sampling); n > 0. */
uint64_t nb_rng_below(nb_rng *rng, uint64_t n);

/* Standard normal deviate (Box-Muller, both values used in turn is not kept: one per call). */
double nb_rng_normal(nb_rng *rng);

/* Fisher-Yates shuffle of a uint32 array of length n in place. */
void nb_rng_shuffle_u32(nb_rng *rng, uint32_t *a, size_t n);

#endif /* NB_RNG_H */
