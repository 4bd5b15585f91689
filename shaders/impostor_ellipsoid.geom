#version 430 core
// impostor_ellipsoid.geom - one ellipsoid per polyline segment (A, B): emits the 14-vertex
// triangle strip of its bounding box (method.md §5.5, mode ellipsoid_transparent).
// Centre M = (A+B)/2, long axis along A->B with radius |M-A| * f + r, short radii
// r = u_size * iota; f = 1 + 1.5 iota for inner segments, 1 for the first and the last two
// (precomputed per segment on the CPU). The frame's second axis is the view-space image of
// world +Y (re-orthonormalised); the ellipsoid is one of revolution, so it only fixes the box.
// The strip is wound clockwise seen from outside, so with glCullFace(GL_BACK) only the far
// faces are rasterised: every covered pixel is shaded once, also with the eye inside a box.
// A geometry shader rather than a 14-vertex instanced strip: the frame is built once per
// segment instead of 14 times (the vertex stage dominated on llvmpipe).
layout(points) in;
layout(triangle_strip, max_vertices = 14) out;

in vec4 g_a[];
in vec4 g_b[];
in vec4 g_color[];
in float g_cull[];

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
    float r = u_size * g_a[0].w;
    if (!(g_cull[0] > u_threshold) || !(r > 0.0))
        return;
    vec3 A = (u_view * vec4(g_a[0].xyz, 1.0)).xyz;
    vec3 B = (u_view * vec4(g_b[0].xyz, 1.0)).xyz;
    vec3 axis = B - A;
    float len = length(axis);
    if (!(len > 0.0))
        return;
    float L = 0.5 * len * g_b[0].w + r;
    vec3 e1 = axis / len;
    vec3 y = mat3(u_view) * vec3(0.0, 1.0, 0.0);
    vec3 e2 = y - dot(y, e1) * e1;
    if (length(e2) < 1e-4) {
        vec3 x = mat3(u_view) * vec3(1.0, 0.0, 0.0);
        e2 = x - dot(x, e1) * e1;
    }
    e2 = normalize(e2);
    vec3 e3 = cross(e1, e2);
    vec3 M = 0.5 * (A + B);
    vec3 s1 = e1 * L, s2 = e2 * r, s3 = e3 * r;
    for (int i = 0; i < 14; i++) {
        vec3 k = box[i];
        vec3 p = M + s1 * k.x + s2 * k.y + s3 * k.z;
        v_pos = p;
        v_centre = M;
        v_axis = e1;
        v_radii = vec2(L, r);
        v_color = g_color[0];
        gl_Position = u_proj * vec4(p, 1.0);
        EmitVertex();
    }
    EndPrimitive();
}
