/* nb_camera.h - the orbit camera of nnbundle-render (GL-free, cglm).
 *
 * The camera always looks at a target point (the centre of the network's bounding box) from
 * an offset given in spherical coordinates: distance, yaw (azimuth about world +Y, measured
 * from +X towards +Z) and pitch (elevation above the x-z plane). World +Y is up; layers lie
 * along +z (reference spec §3). The ten key poses of reference spec §5.1 are offsets from the
 * target, scaled by the network's size (nb_camera_fit), so a network of any extent fills the
 * view like the reference 784-81-49-10 network does.
 *
 * Matrices are OpenGL / cglm convention: float[16] column-major (element (row r, column c) at
 * m[c * 4 + r]), clip = proj * view * world, NDC in [-1, 1]^3. Screen coordinates are window
 * pixels, origin at the top-left corner, continuous (pixel column i covers [i, i+1)).
 * Angles are degrees in the struct and API. No globals; a camera belongs to one thread.
 */
#ifndef NB_CAMERA_H
#define NB_CAMERA_H

#include <stdbool.h>

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
    float shift[2];    /* lens shift of the image centre, NDC units (0 = centred; set by
                          nb_camera_set_view_rect, applied by nb_camera_projection) */
} nb_camera;

/* Initialises a camera for a scene with bounding box [bmin, bmax] (world units; an empty or
 * inverted box counts as the unit cube around the origin): target = box centre, scale =
 * box diagonal / 2.0616 (the diagonal of the reference network's box, 1 x 1 x 1.5),
 * fov_degrees as given, pose `pose` (0..9; other values give pose 6). */
void nb_camera_init(nb_camera *cam, const float bmin[3], const float bmax[3], float fov_degrees,
                    int pose);

/* Re-targets a camera to a new bounding box (live reload): keeps yaw, pitch and the distance
 * relative to the scale, moves the target to the new centre. */
void nb_camera_fit(nb_camera *cam, const float bmin[3], const float bmax[3]);

/* The offset of key pose k (0..9) of reference spec §5.1 in reference units (before scaling):
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

/* Perspective projection for a viewport of aspect = width / height (> 0), with the lens
 * shift cam->shift applied (clip x += shift[0] * w, clip y += shift[1] * w). */
void nb_camera_projection(const nb_camera *cam, float aspect, float proj[16]);

/* proj * view for a width x height viewport. */
void nb_camera_view_projection(const nb_camera *cam, float width, float height, float vp[16]);

/* Projects world point p to screen pixels (top-left origin) of a width x height viewport and
 * its window depth in [0, 1] (*depth may be NULL). Returns false (outputs untouched) if p is
 * behind the eye (clip w <= 0). */
bool nb_camera_project(const nb_camera *cam, float width, float height, const float p[3], float *sx,
                       float *sy, float *depth);

/* Off-centre view: sets cam->shift so that the look-at point (the image centre of an
 * unshifted camera) is drawn at the centre of rect = x0, y0, x1, y1 (window pixels, top-left
 * origin) of a width x height viewport, e.g. the part of the window the GUI panels leave
 * free. A lens shift, not a rotation: the picture is the same, translated. rect = NULL, or a
 * width or height <= 0, centres again (shift 0). Distance and field of view are unchanged
 * (fitting the scene into rect is the caller's choice). */
void nb_camera_set_view_rect(nb_camera *cam, float width, float height, const float rect[4]);

#endif /* NB_CAMERA_H */
