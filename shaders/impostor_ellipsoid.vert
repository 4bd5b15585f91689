#version 430 core
// impostor_ellipsoid.vert - one ellipsoid per polyline segment (A, B), instanced 14-vertex
// triangle strip of its bounding box (reference spec §5.5, mode ellipsoid_transparent).
// Centre M = (A+B)/2, long axis along A->B with radius |M-A| * f + r, short radii
// r = u_size * iota; f = 1 + 1.5 iota for inner segments, 1 for the first and the last two
// (precomputed per segment on the CPU). The frame's second axis is the view-space image of
// world +Y (re-orthonormalised); the ellipsoid is one of revolution, so it only fixes the box.
// The strip below is wound clockwise seen from outside, so with glCullFace(GL_BACK) only the
// far faces are rasterised: every covered pixel is shaded once, also with the eye inside a box.
layout(location = 0) in vec4 a_a;      // A (world), iota
layout(location = 1) in vec4 a_color;  // rgb, a0
layout(location = 2) in float a_cull;  // cull key (alpha * mean_src)
layout(location = 3) in vec4 a_b;      // B (world), f

uniform mat4 u_view;
uniform mat4 u_proj;
uniform float u_size;
uniform float u_threshold;

out vec3 v_pos;
flat out vec3 v_centre;
flat out vec3 v_axis;
flat out vec2 v_radii;
flat out vec4 v_color;

const vec3 box[14] = vec3[14](
    vec3(-1.0, 1.0, 1.0), vec3(1.0, 1.0, 1.0), vec3(-1.0, -1.0, 1.0), vec3(1.0, -1.0, 1.0),
    vec3(1.0, -1.0, -1.0), vec3(1.0, 1.0, 1.0), vec3(1.0, 1.0, -1.0), vec3(-1.0, 1.0, 1.0),
    vec3(-1.0, 1.0, -1.0), vec3(-1.0, -1.0, 1.0), vec3(-1.0, -1.0, -1.0), vec3(1.0, -1.0, -1.0),
    vec3(-1.0, 1.0, -1.0), vec3(1.0, 1.0, -1.0));

void main() {
    vec3 A = (u_view * vec4(a_a.xyz, 1.0)).xyz;
    vec3 B = (u_view * vec4(a_b.xyz, 1.0)).xyz;
    float r = u_size * a_a.w;
    vec3 axis = B - A;
    float len = length(axis);
    v_color = a_color;
    v_pos = vec3(0.0);
    v_centre = 0.5 * (A + B);
    if (!(a_cull > u_threshold) || !(r > 0.0) || !(len > 0.0)) {
        v_axis = vec3(0.0, 0.0, 1.0);
        v_radii = vec2(1.0);
        gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
        return;
    }
    float L = 0.5 * len * a_b.w + r;
    vec3 e1 = axis / len;
    vec3 y = mat3(u_view) * vec3(0.0, 1.0, 0.0);
    vec3 e2 = y - dot(y, e1) * e1;
    if (length(e2) < 1e-4) {
        vec3 x = mat3(u_view) * vec3(1.0, 0.0, 0.0);
        e2 = x - dot(x, e1) * e1;
    }
    e2 = normalize(e2);
    vec3 e3 = cross(e1, e2);
    vec3 k = box[gl_VertexID];
    vec3 p = v_centre + e1 * (k.x * L) + e2 * (k.y * r) + e3 * (k.z * r);
    v_axis = e1;
    v_radii = vec2(L, r);
    v_pos = p;
    gl_Position = u_proj * vec4(p, 1.0);
}
