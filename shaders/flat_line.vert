#version 430 core
// flat_line.vert - edge mode "line": one GL_LINES pair per segment (instanced, 2 vertices),
// flat class colour (method.md §5.5 mode 4); culled segments collapse outside the clip
// volume.
layout(location = 0) in vec4 a_a;     // A (world), iota
layout(location = 1) in vec4 a_color; // rgb, a0
layout(location = 2) in float a_cull;
layout(location = 3) in vec4 a_b;     // B (world), f

uniform mat4 u_view;
uniform mat4 u_proj;
uniform float u_threshold;

flat out vec4 v_color;

void main() {
    v_color = a_color; // rgb, a0 (flat.frag fades by a0 in the class view)
    if (!(a_cull > u_threshold)) {
        gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
        return;
    }
    vec3 p = gl_VertexID == 0 ? a_a.xyz : a_b.xyz;
    gl_Position = u_proj * (u_view * vec4(p, 1.0));
}
