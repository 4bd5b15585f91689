/* nb_edge_importance.h - the one definition of an edge segment's class importance.
 *
 * Source: method.md §2.6 (edge_importance_type 0..3). The bundler (segment density and
 * advection) and the renderer (colour and impostor size) both call this function, so the
 * processing and rendering formulas cannot drift apart (fixes method.md §8.1 item 7: the
 * original renders with type 0 always and uses a sum in processing but a product in
 * rendering).
 *
 * For a segment at parameter t in [0, 1] along an edge from node s to node e:
 *   type 0 (blend):  q = (1-t)*s/|s| + t*e/|e|,    iota = ((1-t)*|s| + t*|e|) * alpha
 *   type 1 (source): q = s/|s|,                     iota = |s| * alpha
 *   type 2 (both):   q = (s + e)/(|s| + |e|),        iota = 0.5*(|s| + |e|) * alpha
 *   type 3 (target): q = e/|e|,                     iota = |e| * alpha
 * |x| is the L2 norm of the node's class vector. A zero-norm node contributes a zero vector
 * (never NaN). Rendering shares are q / sum(q) (L1-normalised, method.md §5.3).
 */
#ifndef NB_EDGE_IMPORTANCE_H
#define NB_EDGE_IMPORTANCE_H

#include <stddef.h>

#define NB_EDGE_IMPORTANCE_TYPES 4

/* Derived per-node statistics of a class-importance vector (method.md §2.5). */
typedef struct nb_node_stats {
    float mean; /* (1/C) * sum_c v[c] */
    float norm; /* sqrt(sum_c v[c]^2) */
} nb_node_stats;

/* mean and L2 norm of v[n_classes]. */
nb_node_stats nb_node_stats_of(const float *v, size_t n_classes);

/* 1/x for x > 0, else 0: the inverse norm a zero-norm node gets (so it contributes zero). */
static inline float nb_edge_importance_inv(float x) {
    return x > 0.0f ? 1.0f / x : 0.0f;
}

/* The weights of the class vector q = ws * s + we * e of a segment at parameter t (the table
 * above), from the node norms |s|, |e| and their inverses inv_s = nb_edge_importance_inv(|s|),
 * inv_e likewise. nb_edge_importance_eval computes q with exactly these float operations, so
 * a caller that precomputes the inverses per node and builds q itself (the fast density
 * back-end, in SIMD) gets the same bits. type 0..3; any other value is treated as 3.
 * Inline: it sits in the density back-end's per-segment loop. */
static inline void nb_edge_importance_weights(int type, float t, float norm_s, float norm_e,
                                              float inv_s, float inv_e, float *ws, float *we) {
    switch (type) {
    case 0:
        *ws = (1.0f - t) * inv_s;
        *we = t * inv_e;
        break;
    case 1:
        *ws = inv_s;
        *we = 0.0f;
        break;
    case 2:
        *ws = *we = nb_edge_importance_inv(norm_s + norm_e);
        break;
    default:
        *ws = 0.0f;
        *we = inv_e;
        break;
    }
}

/* Evaluates the class vector q[n_classes] (may be NULL) and the scalar importance *iota
 * (may be NULL) of a segment at parameter t of an edge.
 *   type:      0..3 (edge_importance_type); other values are a programmer error (asserted).
 *   t:         position along the edge, 0 = source, 1 = target (spec uses k/N for segment k).
 *   s, e:      float32[n_classes] class importance of source and target node, in [0, 1].
 *   ss, es:    their nb_node_stats_of().
 *   alpha:     normalised |weight| of the edge, in [0, 1].
 * Thread-safe, allocation-free. */
void nb_edge_importance_eval(int type, float t, size_t n_classes, const float *s, nb_node_stats ss,
                             const float *e, nb_node_stats es, float alpha, float *q, float *iota);

#endif /* NB_EDGE_IMPORTANCE_H */
