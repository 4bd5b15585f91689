#version 430 core
// overlay.frag - vertex colour with alpha (blended with SRC_ALPHA, ONE_MINUS_SRC_ALPHA).
in vec4 v_color;
layout(location = 0) out vec4 o_color;

void main() {
    o_color = v_color;
}
