/* nb_saliency.c - per-class weight saliency (Taylor, OBD, activation-weighted magnitude).
 *
 * DESIGN: for every class c, its images (in data-set order) go through the dense network in
 * chunks of SAL_CHUNK: forward (sgemm, ReLU), the per-sample logit gradient of
 * L_c = -log softmax(z)_c, i.e. softmax(z) - onehot(c), and backward layer by layer
 * (delta_l = (delta_{l+1} W_l) masked by ReLU'). The per-sample weight gradients are never
 * formed: every statistic the methods need is one sgemm per pair and chunk,
 *   sum_n |delta_j a_i|     = (|D|^T |A|)_ji            (taylor)
 *   sum_n delta_j a_i       = (D^T A)_ji                 (taylor-mean)
 *   sum_n (delta_j a_i)^2   = ((D o D)^T (A o A))_ji     (obd)
 *   sum_n a_i^2                                           (activation, forward only)
 * accumulated (sgemm beta = 1) into the class's row of the output, then multiplied by |w|,
 * w or w^2 / 2 and divided by the image count. Sources: nb_saliency.h.
 * Threading: classes in parallel (OpenMP dynamic schedule, at most one thread per class), each
 * thread with its own workspace allocated before the region and OpenBLAS on one thread (set
 * and restored around the region), writing only its class's row of the output; no shared
 * mutable state, so the result is bit-identical whatever the thread count.
 * Networks with operators (activation only): nb_mlp_forward's node values (a channel's
 * spatial mean) per chunk of each class's images, classes in turn (the engine parallelises
 * inside a chunk), times |graph edge weight|.
 * Config keys read: none.
 */
#include "nb_saliency.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "nb_mlp.h"

#define SAL_CHUNK 256

typedef struct sal_work {
    float *act;   /* [L][SAL_CHUNK][n_max] activations, layer-major */
    float *delta; /* [2][SAL_CHUNK][n_max] ping-pong deltas */
    float *ta;    /* [SAL_CHUNK][n_max] |A| or A^2 */
    float *td;    /* [SAL_CHUNK][n_max] |D| or D^2 */
    double *sq;   /* [sum n_l] sum of a^2 per node (activation) */
    uint8_t *lab; /* [SAL_CHUNK] the scored class, as labels for nb_mlp_softmax_xent */
} sal_work;

static void work_free(sal_work *w) {
    free(w->act);
    free(w->delta);
    free(w->ta);
    free(w->td);
    free(w->sq);
    free(w->lab);
    memset(w, 0, sizeof *w);
}

static bool work_alloc(sal_work *w, size_t L, size_t n_max, size_t n_nodes) {
    size_t plane = SAL_CHUNK * n_max;
    w->act = malloc(L * plane * sizeof *w->act);
    w->delta = malloc(2 * plane * sizeof *w->delta);
    w->ta = malloc(plane * sizeof *w->ta);
    w->td = malloc(plane * sizeof *w->td);
    w->sq = malloc(n_nodes * sizeof *w->sq);
    w->lab = malloc(SAL_CHUNK * sizeof *w->lab);
    if (!w->act || !w->delta || !w->ta || !w->td || !w->sq || !w->lab) {
        work_free(w);
        return false;
    }
    return true;
}

/* Accumulates class cls's statistic over its m_total images idx[] into acc[E] (zeroed here),
 * then turns it into the saliency. */
static void class_scores(const nb_network *net, const nb_dataset *ds, const uint32_t *idx,
                         size_t m_total, size_t cls, nb_saliency_kind kind, sal_work *w,
                         size_t n_max, const size_t *edge_offset, float *acc) {
    const size_t L = net->n_layers, C = net->layer_size[L - 1], n0 = net->layer_size[0];
    const size_t plane = SAL_CHUNK * n_max;
    memset(acc, 0, edge_offset[L - 1] * sizeof *acc);
    size_t n_nodes = 0;
    for (size_t l = 0; l < L; l++)
        n_nodes += net->layer_size[l];
    memset(w->sq, 0, n_nodes * sizeof *w->sq);
    for (size_t s0 = 0; s0 < m_total; s0 += SAL_CHUNK) {
        const size_t m = m_total - s0 < SAL_CHUNK ? m_total - s0 : SAL_CHUNK;
        float *a0 = w->act;
        for (size_t r = 0; r < m; r++)
            memcpy(a0 + r * n0, ds->images + (size_t)idx[s0 + r] * ds->dim, n0 * sizeof(float));
        for (size_t l = 0; l + 1 < L; l++) {
            float *in = w->act + l * plane, *out = w->act + (l + 1) * plane;
            nb_mlp_dense_forward(in, m, net->layer_size[l], nb_network_weight(net, l),
                                 nb_network_bias(net, l), net->layer_size[l + 1], out);
            if (l + 2 < L)
                nb_mlp_relu_forward(out, m * net->layer_size[l + 1]);
        }
        if (kind == NB_SALIENCY_ACTIVATION) {
            size_t k0 = 0;
            for (size_t l = 0; l + 1 < L; l++) {
                const size_t n = net->layer_size[l];
                const float *a = w->act + l * plane;
                for (size_t r = 0; r < m; r++)
                    for (size_t i = 0; i < n; i++)
                        w->sq[k0 + i] += (double)a[r * n + i] * (double)a[r * n + i];
                k0 += n;
            }
            continue;
        }
        /* d(-log softmax_c)/dz = softmax(z) - onehot(c), per sample: the batch mean's
         * gradient (softmax - onehot) / m, times m */
        float *d = w->delta;
        memset(w->lab, (int)cls, m);
        nb_mlp_softmax_xent(w->act + (L - 1) * plane, w->lab, m, C, d, NULL);
        for (size_t k = 0; k < m * C; k++)
            d[k] *= (float)m;
        int cur = 0;
        for (size_t l = L - 1; l-- > 0;) {
            const size_t n_in = net->layer_size[l], n_out = net->layer_size[l + 1];
            const float *a = w->act + l * plane;
            const float *dl = w->delta + (size_t)cur * plane;
            float *pair = acc + edge_offset[l];
            const float *A = a, *D = dl;
            if (kind == NB_SALIENCY_TAYLOR || kind == NB_SALIENCY_OBD) {
                const bool sq = kind == NB_SALIENCY_OBD;
                for (size_t k = 0; k < m * n_in; k++)
                    w->ta[k] = sq ? a[k] * a[k] : fabsf(a[k]);
                for (size_t k = 0; k < m * n_out; k++)
                    w->td[k] = sq ? dl[k] * dl[k] : fabsf(dl[k]);
                A = w->ta;
                D = w->td;
            }
            /* pair[n_out][n_in] += D^T A */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)n_out, (int)n_in, (int)m,
                        1.0f, D, (int)n_out, A, (int)n_in, 1.0f, pair, (int)n_in);
            if (l == 0)
                break;
            /* delta_l = (delta_{l+1} W_l) o relu'(a_l) */
            float *dn = w->delta + (size_t)(1 - cur) * plane;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n_in, (int)n_out,
                        1.0f, dl, (int)n_out, nb_network_weight(net, l), (int)n_in, 0.0f, dn,
                        (int)n_in);
            nb_mlp_relu_backward(a, dn, m * n_in);
            cur = 1 - cur;
        }
    }
    const double inv = m_total ? 1.0 / (double)m_total : 0.0;
    size_t k0 = 0;
    for (size_t l = 0; l + 1 < L; l++) {
        const size_t n_in = net->layer_size[l], n_out = net->layer_size[l + 1];
        const float *wt = nb_network_weight(net, l);
        float *pair = acc + edge_offset[l];
        for (size_t j = 0; j < n_out; j++)
            for (size_t i = 0; i < n_in; i++) {
                const size_t e = j * n_in + i;
                const double wv = (double)wt[e], s = (double)pair[e] * inv;
                double v;
                switch (kind) {
                case NB_SALIENCY_TAYLOR:
                    v = fabs(wv) * s;
                    break;
                case NB_SALIENCY_TAYLOR_MEAN:
                    v = fabs(wv * s);
                    break;
                case NB_SALIENCY_OBD:
                    v = 0.5 * wv * wv * s;
                    break;
                default:
                    v = fabs(wv) * sqrt(w->sq[k0 + i] * inv);
                    break;
                }
                pair[e] = (float)v;
            }
        k0 += n_in;
    }
}

/* activation on a network with operators: node values of nb_mlp_forward (per channel the
 * spatial mean) for the images idx[offset[c]..offset[c+1]) of every class in turn (the
 * engine spreads each chunk over the threads), times |graph edge weight|. */
static nb_status activation_ops(const nb_network *net, const nb_dataset *ds, const uint32_t *idx,
                                const size_t *offset, float *scores) {
    const size_t L = net->n_layers, C = net->layer_size[L - 1], E = nb_network_n_edges(net);
    const size_t n_nodes = nb_network_n_nodes(net), dim = ds->dim;
    float *x = malloc(SAL_CHUNK * dim * sizeof *x);
    float *act = malloc(SAL_CHUNK * n_nodes * sizeof *act);
    float *logits = malloc(SAL_CHUNK * C * sizeof *logits);
    double *sq = malloc(n_nodes * sizeof *sq);
    nb_status st = NB_OK;
    if (!x || !act || !logits || !sq)
        st = NB_RAISE(NB_E_NOMEM, "saliency", "workspace of %d images", SAL_CHUNK);
    for (size_t c = 0; c < C && st == NB_OK; c++) {
        const size_t m_total = offset[c + 1] - offset[c];
        memset(sq, 0, n_nodes * sizeof *sq);
        for (size_t s0 = 0; s0 < m_total && st == NB_OK; s0 += SAL_CHUNK) {
            const size_t m = m_total - s0 < SAL_CHUNK ? m_total - s0 : SAL_CHUNK;
            for (size_t r = 0; r < m; r++)
                memcpy(x + r * dim, ds->images + (size_t)idx[offset[c] + s0 + r] * dim,
                       dim * sizeof *x);
            st = nb_mlp_forward(net, x, m, logits, act);
            for (size_t r = 0; r < m && st == NB_OK; r++)
                for (size_t k = 0; k < n_nodes; k++)
                    sq[k] += (double)act[r * n_nodes + k] * (double)act[r * n_nodes + k];
        }
        size_t k0 = 0, e0 = 0;
        for (size_t l = 0; l + 1 < L && st == NB_OK; l++) {
            const size_t n_in = net->layer_size[l], n_out = net->layer_size[l + 1];
            const float *wt = nb_network_weight(net, l);
            for (size_t j = 0; j < n_out; j++)
                for (size_t i = 0; i < n_in; i++)
                    scores[c * E + e0 + j * n_in + i] =
                        (float)(fabs((double)wt[j * n_in + i]) *
                                sqrt(sq[k0 + i] / (double)(m_total ? m_total : 1)));
            k0 += n_in;
            e0 += n_in * n_out;
        }
    }
    free(x);
    free(act);
    free(logits);
    free(sq);
    return st;
}

nb_status nb_saliency_scores(const nb_network *net, const nb_dataset *train, const uint32_t *rows,
                             size_t n_rows, nb_saliency_kind kind, float *scores) {
    if ((int)kind < 0 || kind > NB_SALIENCY_ACTIVATION)
        return NB_RAISE(NB_E_INVALID, "saliency", "unknown kind %d", (int)kind);
    if (net->n_ops > 0 && kind != NB_SALIENCY_ACTIVATION)
        return NB_RAISE(NB_E_INVALID, "network",
                        "taylor, taylor-mean and obd support dense networks only (this one has "
                        "%zu operators); use activation, bn-gamma or magnitude",
                        net->n_ops);
    const size_t L = net->n_layers, C = net->layer_size[L - 1];
    const size_t n0 = net->n_ops > 0 ? net->in_c * net->in_h * net->in_w : net->layer_size[0];
    if (L < 2 || C < 2)
        return NB_RAISE(NB_E_INVALID, "network", "needs >= 2 layers and >= 2 output classes");
    if (train->dim != n0)
        return NB_RAISE(NB_E_MISMATCH, "train set", "images have %zu values, the input takes %zu",
                        train->dim, n0);
    const size_t n = rows ? n_rows : train->n;
    size_t *offset = calloc(C + 1, sizeof *offset);
    size_t *fill = calloc(C, sizeof *fill);
    uint32_t *idx = malloc((n ? n : 1) * sizeof *idx);
    size_t *edge_offset = calloc(L, sizeof *edge_offset);
    if (!offset || !fill || !idx || !edge_offset) {
        free(offset);
        free(fill);
        free(idx);
        free(edge_offset);
        return NB_RAISE(NB_E_NOMEM, "saliency", "class index of %zu images", n);
    }
    nb_status st = NB_OK;
    for (size_t k = 0; k < n && st == NB_OK; k++) {
        const size_t r = rows ? rows[k] : k;
        if (r >= train->n || train->labels[r] >= C)
            st = NB_RAISE(NB_E_MISMATCH, "train set", "image %zu: label or index outside the set",
                          r);
        else
            offset[train->labels[r] + 1]++;
    }
    for (size_t c = 0; c < C && st == NB_OK; c++) {
        if (offset[c + 1] == 0)
            st = NB_RAISE(NB_E_MISMATCH, "train set", "class %zu has no images", c);
        offset[c + 1] += offset[c];
    }
    for (size_t k = 0; k < n && st == NB_OK; k++) {
        const size_t r = rows ? rows[k] : k;
        const size_t c = train->labels[r];
        idx[offset[c] + fill[c]++] = (uint32_t)r;
    }
    size_t n_max = 0, n_nodes = 0;
    for (size_t l = 0; l < L; l++) {
        n_max = net->layer_size[l] > n_max ? net->layer_size[l] : n_max;
        n_nodes += net->layer_size[l];
        if (l + 1 < L)
            edge_offset[l + 1] = edge_offset[l] + net->layer_size[l] * net->layer_size[l + 1];
    }
    const size_t E = edge_offset[L - 1];
    int max_threads = omp_get_max_threads();
    size_t n_work = (size_t)(max_threads > 0 ? max_threads : 1);
    n_work = net->n_ops > 0 ? 0 : n_work < C ? n_work : C;
    if (st == NB_OK && net->n_ops > 0)
        st = activation_ops(net, train, idx, offset, scores);
    sal_work *work = n_work ? calloc(n_work, sizeof *work) : NULL;
    if (st == NB_OK && n_work && !work)
        st = NB_RAISE(NB_E_NOMEM, "saliency", "workspaces");
    for (size_t t = 0; t < n_work && st == NB_OK; t++)
        if (!work_alloc(&work[t], L, n_max, n_nodes))
            st = NB_RAISE(NB_E_NOMEM, "saliency", "workspace of %zu x %zu floats", (size_t)L,
                          SAL_CHUNK * n_max);
    if (st == NB_OK && n_work) {
        const int blas_threads = openblas_get_num_threads();
        openblas_set_num_threads(1);
#pragma omp parallel for schedule(dynamic, 1) num_threads((int)n_work)
        for (size_t c = 0; c < C; c++)
            class_scores(net, train, idx + offset[c], offset[c + 1] - offset[c], c, kind,
                         &work[omp_get_thread_num()], n_max, edge_offset, scores + c * E);
        openblas_set_num_threads(blas_threads);
    }
    for (size_t t = 0; work && t < n_work; t++)
        work_free(&work[t]);
    free(work);
    free(offset);
    free(fill);
    free(idx);
    free(edge_offset);
    return st;
}
