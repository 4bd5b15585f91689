#version 430 core
// segment_points.vert - passes one segment record (a GL_POINTS vertex) to
// impostor_ellipsoid.geom, which does the per-segment work once instead of once per box corner.
layout(location = 0) in vec4 a_a;      // A (world), iota
layout(location = 1) in vec4 a_color;  // rgb, a0
layout(location = 2) in float a_cull;  // cull key (alpha * mean_src)
layout(location = 3) in vec4 a_b;      // B (world), f

out vec4 g_a;
out vec4 g_b;
out vec4 g_color;
out float g_cull;

void main() {
    g_a = a_a;
    g_b = a_b;
    g_color = a_color;
    g_cull = a_cull;
}
