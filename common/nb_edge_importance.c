/* nb_edge_importance.c - class vector and scalar importance of an edge segment.
 *
 * DESIGN: direct transcription of method.md §2.6 with two documented differences:
 * type 2's scalar is the mean of the norms (processing used a sum of means, rendering a
 * product of norms), and zero-norm nodes yield zero instead of NaN. Pure function, no
 * shared state. Reads no config keys (callers pass edge_importance_type).
 */
#include "nb_edge_importance.h"

#include <assert.h>
#include <math.h>

nb_node_stats nb_node_stats_of(const float *v, size_t n_classes) {
    double sum = 0.0, sq = 0.0;
    for (size_t c = 0; c < n_classes; c++) {
        sum += v[c];
        sq += (double)v[c] * v[c];
    }
    nb_node_stats st;
    st.mean = n_classes ? (float)(sum / (double)n_classes) : 0.0f;
    st.norm = (float)sqrt(sq);
    return st;
}

void nb_edge_importance_eval(int type, float t, size_t n_classes, const float *s, nb_node_stats ss,
                             const float *e, nb_node_stats es, float alpha, float *q, float *iota) {
    assert(type >= 0 && type < NB_EDGE_IMPORTANCE_TYPES);
    float ws, we, scalar;
    nb_edge_importance_weights(type, t, ss.norm, es.norm, nb_edge_importance_inv(ss.norm),
                               nb_edge_importance_inv(es.norm), &ws, &we);
    switch (type) {
    case 0:
        scalar = ((1.0f - t) * ss.norm + t * es.norm) * alpha;
        break;
    case 1:
        scalar = ss.norm * alpha;
        break;
    case 2:
        scalar = 0.5f * (ss.norm + es.norm) * alpha;
        break;
    default:
        scalar = es.norm * alpha;
        break;
    }
    if (q)
        for (size_t c = 0; c < n_classes; c++)
            q[c] = ws * s[c] + we * e[c];
    if (iota)
        *iota = scalar;
}
