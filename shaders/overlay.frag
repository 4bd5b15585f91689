#version 430 core
// overlay.frag - vertex colour times the atlas coverage (glyphs; solid shapes sample a white
// texel). Blended "over": rgb with SRC_ALPHA, ONE_MINUS_SRC_ALPHA and alpha with ONE,
// ONE_MINUS_SRC_ALPHA, so the target's alpha stays the coverage of everything drawn
// (transparent PNGs, nb_renderer.h).
layout(binding = 0) uniform sampler2D u_atlas; // R8 coverage
in vec2 v_uv;
in vec4 v_color;
layout(location = 0) out vec4 o_color;

void main() {
    o_color = vec4(v_color.rgb, v_color.a * texture(u_atlas, v_uv).r);
}
