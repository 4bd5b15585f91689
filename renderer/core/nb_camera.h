/* nb_camera.h - the orbit camera of nnbundle-render (GL-free, cglm).
 *
 * The camera always looks at a target point (the centre of the network's bounding box) from
 * an offset given in spherical coordinates: distance, yaw (azimuth about world +Y, measured
 * from +X towards +Z) and pitch (elevation above the x-z plane). World +Y is up; layers lie
 * along +z (method.md §3). The ten key poses of method.md §5.1 are offsets from the
 * target, scaled by the network's size (nb_camera_fit), so a network of any extent fills the
 * view like the reference 784-81-49-10 network does.
 *
 * Matrices are OpenGL / cglm convention: float[16] column-major (element (row r, column c) at
 * m[c * 4 + r]), clip = proj * view * world, NDC in [-1, 1]^3. Screen coordinates are window
 * pixels, origin at the top-left corner, continuous (pixel column i covers [i, i+1)).
 * Angles are degrees in the struct and API. No globals; a camera belongs to one thread.
 *
 * Framing (nb_camera_bounds_*): the caller streams the spheres that will be drawn (node
 * impostors, edge capsules, ...) into an accumulator set up for the camera's current yaw,
 * pitch and fov, a viewport and a target sub-rectangle of it; nb_camera_bounds_fit then moves
 * the eye (target, distance, lens shift) so that every sphere lies inside the sub-rectangle
 * minus a margin and the drawing touches it on two opposite sides. The fit is exact for
 * spheres (plane tests against the frustum of the sub-rectangle), O(1) memory and O(n) time.
 */
#ifndef NB_CAMERA_H
#define NB_CAMERA_H

#include <stdbool.h>
#include <stddef.h>

#define NB_CAMERA_POSES 10

/* Limits (documented so the GUI can show them). */
#define NB_CAMERA_PITCH_LIMIT         85.0 /* degrees, |pitch| <= this */
#define NB_CAMERA_MIN_DISTANCE_FACTOR 0.02 /* distance >= factor * scale */
#define NB_CAMERA_MAX_DISTANCE_FACTOR 50.0 /* distance <= factor * scale */

typedef struct nb_camera {
    float target[3];   /* world units: the point looked at */
    float distance;    /* world units, > 0 */
    float yaw;         /* degrees, wrapped to [0, 360) */
    float pitch;       /* degrees, [-NB_CAMERA_PITCH_LIMIT, NB_CAMERA_PITCH_LIMIT] */
    float fov_degrees; /* vertical field of view, (1, 170) */
    float scale;       /* size of the scene relative to the reference network (1 = same) */
    float near_plane;  /* world units, 0.01 * scale */
    float far_plane;   /* world units, 100 * scale */
    float shift[2];    /* lens shift, NDC units (x right, y up), added to the projected point:
                        * the target appears at NDC (shift[0], shift[1]); 0, 0 = centred */
} nb_camera;

/* Default framing margin: the share of the target rectangle's width (left and right) and
 * height (top and bottom) left free around the drawing (config key camera_margin). */
#define NB_CAMERA_DEFAULT_MARGIN 0.03f

/* Accumulator of the framing constraints (see the header comment). Treat as opaque. */
typedef struct nb_camera_bounds {
    float right[3], up[3], forward[3]; /* the camera frame at nb_camera_bounds_begin */
    float tan_x, tan_y;                /* half-angle tangents of the sub-rectangle's frustum */
    float sec_x, sec_y;                /* sqrt(1 + tan^2) */
    float min_l, min_r, min_b, min_t;  /* minima of the four plane constraints */
    float lo[3], hi[3];                /* world box of the sphere centres */
    float shift[2];                    /* lens shift that centres the sub-rectangle */
    size_t n;                          /* spheres added */
} nb_camera_bounds;

/* Initialises a camera for a scene with bounding box [bmin, bmax] (world units; an empty or
 * inverted box counts as the unit cube around the origin): target = box centre, scale =
 * box diagonal / 2.0616 (the diagonal of the reference network's box, 1 x 1 x 1.5),
 * fov_degrees as given, pose `pose` (0..9; other values give pose 6). */
void nb_camera_init(nb_camera *cam, const float bmin[3], const float bmax[3], float fov_degrees,
                    int pose);

/* Starts a framing for cam's current orientation (yaw, pitch) and fov on a width x height
 * viewport (pixels, > 0). rect: the sub-rectangle to fill, {x0, y0, x1, y1} in pixels of
 * that viewport, top-left origin, x0 < x1, y0 < y1 (NULL = the whole viewport; it is clipped
 * to the viewport). margin: share of the rectangle's width left free on the left and on the
 * right, and of its height at the top and at the bottom, [0, 0.45] (clamped). cam is not
 * changed. */
void nb_camera_bounds_begin(nb_camera_bounds *b, const nb_camera *cam, float width, float height,
                            const float rect[4], float margin);

/* Adds one sphere (centre: world units; radius >= 0, world units; a negative or non-finite
 * radius counts as 0, a non-finite centre is ignored). A capsule is two spheres (its ends);
 * an ellipsoid of revolution with semi-axes L >= r lies in the capsule of radius r between
 * M - (L - r) e and M + (L - r) e. */
void nb_camera_bounds_add(nb_camera_bounds *b, const float centre[3], float radius);

/* Frames what was added: keeps yaw, pitch and fov, sets the eye so that every sphere lies
 * inside the rectangle minus the margin, touching it on the left and right or on the top and
 * bottom (whichever binds), centred in the other direction; the target becomes the point of
 * the view axis at the depth of the centres' box centre, the lens shift centres the
 * rectangle. scale and the clip planes are not changed, but the distance is clamped to the
 * camera's limits (so a scene far smaller or larger than `scale` may not fill the rectangle).
 * Returns false (cam unchanged) when nothing was added. */
bool nb_camera_bounds_fit(const nb_camera_bounds *b, nb_camera *cam);

/* Like nb_camera_bounds_fit but keeps the target of cam (cam must have the orientation and fov
 * given to nb_camera_bounds_begin; the target may differ): the lens shift is set to centre
 * the rectangle and the distance to the smallest one at which every sphere fits (turntables
 * orbit about a fixed point). With the target inside the spheres' hull such a distance always
 * exists; otherwise the distance is clamped to the camera's minimum. Returns false (cam
 * unchanged) when nothing was added. */
bool nb_camera_bounds_fit_distance(const nb_camera_bounds *b, nb_camera *cam);

/* Projected extent of spheres (exact: the tangent planes through the eye), for an optional
 * second pass after nb_camera_bounds_fit: the fit is exact in the direction that binds but
 * centres the other direction by equal plane slack, which can leave the drawing a few percent
 * off-centre in pixels when its extremes lie at different depths. Treat as opaque. */
typedef struct nb_camera_extent {
    float right[3], up[3], forward[3], eye[3];
    float tan_x, tan_y; /* half-angle tangents of the whole viewport */
    float lo[2], hi[2]; /* NDC extent before the lens shift (x right, y up) */
    size_t n;
} nb_camera_extent;

/* Starts measuring for cam (position, orientation, fov) on a width x height viewport. */
void nb_camera_extent_begin(nb_camera_extent *e, const nb_camera *cam, float width, float height);

/* Adds a sphere (as nb_camera_bounds_add). Spheres that contain the eye or reach behind it
 * are ignored (their extent is unbounded). */
void nb_camera_extent_add(nb_camera_extent *e, const float centre[3], float radius);

/* The measured extent in pixels of the viewport given to nb_camera_extent_begin, with the
 * lens shift of cam applied: box = {x0, y0, x1, y1}, top-left origin. False when empty. */
bool nb_camera_extent_pixels(const nb_camera_extent *e, const nb_camera *cam, float width,
                             float height, float box[4]);

/* Sets cam's lens shift so that the measured extent is centred in rect (as in
 * nb_camera_bounds_begin; NULL = the whole viewport) in both directions. cam must be the
 * camera given to nb_camera_extent_begin up to its shift. False (cam unchanged) when empty. */
bool nb_camera_extent_centre(const nb_camera_extent *e, nb_camera *cam, float width, float height,
                             const float rect[4]);

/* Re-targets a camera to a new bounding box (live reload): keeps yaw, pitch and the distance
 * relative to the scale, moves the target to the new centre. */
void nb_camera_fit(nb_camera *cam, const float bmin[3], const float bmax[3]);

/* The offset of key pose k (0..9) of method.md §5.1 in reference units (before scaling):
 * 1 FRONT (3.5,0,0), 2 RIGHT (0,0,2.5), 0 and 9 LEFT (0,0,-2.5), 7 LOWER_BACK_RIGHT
 * (-2.75,-1,1.25), 3 and 4 BACK_RIGHT (-2.5,0,2.5), 5 UPPER_BACK_LEFT (-2,2,-2),
 * 6 UPPER_BACK_RIGHT (-2,2,2), 8 BACK (-4,0,0). Returns false (offset untouched) for k
 * outside 0..9. */
bool nb_camera_pose_offset(int k, float offset[3]);

/* Moves the camera to key pose k (0..9): offset * scale from the target. Returns false
 * (camera unchanged) for k outside 0..9. */
bool nb_camera_set_pose(nb_camera *cam, int k);

/* Sets the camera from an offset eye - target (world units, non-zero). */
void nb_camera_set_offset(nb_camera *cam, const float offset[3]);

/* The eye position, world units. */
void nb_camera_eye(const nb_camera *cam, float eye[3]);

/* Unit vectors of the camera frame in world space: forward (eye -> target), right, up. */
void nb_camera_basis(const nb_camera *cam, float forward[3], float right[3], float up[3]);

/* Auto-orbit step: yaw += degrees (any sign); distance and pitch are kept. */
void nb_camera_orbit(nb_camera *cam, float yaw_degrees, float pitch_degrees);

/* Mouse orbit: a drag of (dx, dy) pixels turns yaw by dx * 0.5 degrees and pitch by
 * dy * 0.5 degrees (drag down looks from higher up), pitch clamped. */
void nb_camera_drag_orbit(nb_camera *cam, float dx, float dy);

/* Mouse pan: moves the target (and the eye with it) in the view plane so that the point under
 * the cursor follows it: (dx, dy) pixels in a viewport `height` pixels high. */
void nb_camera_drag_pan(nb_camera *cam, float dx, float dy, float height);

/* Wheel zoom: distance *= 0.9^steps (steps > 0 zooms in), clamped to the distance limits. */
void nb_camera_zoom(nb_camera *cam, float steps);

/* W/A/S/D: forward > 0 moves the eye towards the target (dolly) by forward * 0.1 * scale,
 * right > 0 moves eye and target to the right by right * 0.1 * scale (reference: 0.1 units per
 * frame while a key is held). Distance clamped to the limits. */
void nb_camera_move(nb_camera *cam, float forward, float right);

/* View matrix (world -> view, right-handed, looking down -z). */
void nb_camera_view(const nb_camera *cam, float view[16]);

/* Perspective projection for a viewport of aspect = width / height (> 0), with the lens shift
 * (cam->shift) applied after it: NDC x += shift[0], y += shift[1]. */
void nb_camera_projection(const nb_camera *cam, float aspect, float proj[16]);

/* proj * view for a width x height viewport. */
void nb_camera_view_projection(const nb_camera *cam, float width, float height, float vp[16]);

/* Projects world point p to screen pixels (top-left origin) of a width x height viewport and
 * its window depth in [0, 1] (*depth may be NULL). Returns false (outputs untouched) if p is
 * behind the eye (clip w <= 0). */
bool nb_camera_project(const nb_camera *cam, float width, float height, const float p[3], float *sx,
                       float *sy, float *depth);

/* Keeps the picture where it was relative to a viewport sub-rectangle that moved (the part
 * of the window the GUI panels leave free, after a panel opened, closed or moved): adds to
 * cam->shift the offset, in NDC, from the centre of old_rect to the centre of new_rect
 * (x0, y0, x1, y1, window pixels, top-left origin, width x height viewport). A lens shift,
 * not a rotation: what was centred in old_rect is centred in new_rect, at the same distance.
 * Does nothing if either rect is NULL or not finite, or width or height <= 0. */
void nb_camera_follow_rect(nb_camera *cam, float width, float height, const float old_rect[4],
                           const float new_rect[4]);

#endif /* NB_CAMERA_H */
