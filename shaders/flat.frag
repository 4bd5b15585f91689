#version 430 core
// flat.frag - flat colour for lines and points (opaque, depth-tested). With u_fade (the
// one-colour class views "class" and "independent") the colour is mixed with the background
// by a0, the object's importance (for the class), so unimportant objects fade into the
// background instead of darkening.
flat in vec4 v_color; // rgb, a0
layout(location = 0) out vec4 o_color;

uniform vec3 u_background;
uniform int u_fade;

void main() {
    vec3 c = v_color.rgb;
    if (u_fade != 0)
        c = mix(u_background, c, clamp(v_color.a, 0.0, 1.0));
    o_color = vec4(c, 1.0);
}
