#version 430 core
// flat_point.vert - node mode "point": one GL_POINTS vertex per node (instanced), u_point_size
// pixels, flat class colour (the reference colours by screen position, a debug view; the class
// colour is more useful). Culled nodes collapse outside the clip volume.
layout(location = 0) in vec4 a_centre; // world xyz, importance
layout(location = 1) in vec4 a_color;
layout(location = 2) in float a_cull;

uniform mat4 u_view;
uniform mat4 u_proj;
uniform float u_threshold;
uniform float u_point_size;

flat out vec4 v_color;

void main() {
    v_color = a_color; // rgb, a0 (flat.frag fades by a0 in the class view)
    gl_PointSize = u_point_size;
    if (!(a_cull > u_threshold)) {
        gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
        return;
    }
    gl_Position = u_proj * (u_view * vec4(a_centre.xyz, 1.0));
}
