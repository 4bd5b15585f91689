/* nb_export_gltf.h - the drawn network as binary glTF 2.0 (.glb), for Blender and 3D viewers.
 *
 * Layout of the file (glTF 2.0 specification, section 4.4 "GLB File Format"): a 12-byte
 * header, a JSON chunk (padded with spaces to 4 bytes) and a BIN chunk (padded with zeros).
 * Scene 0 has one root node "network" whose children are
 *   "layer <l> <name>"       one per layer with visible nodes: a triangle mesh of low-poly
 *                            spheres (nb_export_sphere), centre = node position, radius =
 *                            node_size * norm (world units, as the impostors);
 *   "edges <l>-<l+1>"        one per layer pair with visible segments: one LINES primitive,
 *                            two vertices per polyline segment.
 * Vertex attributes: POSITION (float VEC3, world units; min/max given), NORMAL (spheres),
 * COLOR_0 (unsigned byte VEC4 normalized, linear RGB + the pass's opacity, nb_export_colors
 * with linear = true), _IMPORTANCE (float SCALAR: the node's display norm, the segment's
 * display iota, nb_scene.h). Materials: "nodes" (metallic 0, roughness 0.6), "edges"
 * (KHR_materials_unlit); alphaMode BLEND where the renderer's pass is transparent.
 * extras: the root node and the scene carry the layer names and sizes, the class names,
 * their palette colours (sRGB), the class view (and class), the counts and the source file;
 * each layer node its layer name, index, node count and the class names; each edge node its
 * pair and the two layer names.
 */
#ifndef NB_EXPORT_GLTF_H
#define NB_EXPORT_GLTF_H

#include <stddef.h>
#include <stdint.h>

#include "nb_export.h"
#include "nb_status.h"

/* Counts of what a glb holds (for the log and the tests). */
typedef struct nb_export_gltf_stats {
    size_t nodes;    /* network nodes (spheres) */
    size_t edges;    /* network edges with a visible segment */
    size_t segments; /* line segments */
    size_t vertices; /* all vertices of all primitives */
    size_t bytes;    /* file size */
} nb_export_gltf_stats;

/* Builds the .glb bytes of what d's scene draws with d's params. *glb (malloc'd, owned by
 * the caller, free()) holds *len bytes; stats may be NULL. Returns NB_OK, NB_E_NOMEM, or
 * NB_E_INVALID (subject "--export") when nothing is drawn or the buffer would exceed the
 * 4 GiB a glb can hold. On failure the outputs are untouched. */
nb_status nb_export_gltf_build(const nb_export_desc *d, uint8_t **glb, size_t *len,
                               nb_export_gltf_stats *stats);

/* nb_export_gltf_build, then writes path atomically (nb_file_save: errors name path). */
nb_status nb_export_gltf_save(const nb_export_desc *d, const char *path,
                              nb_export_gltf_stats *stats);

#endif /* NB_EXPORT_GLTF_H */
