#version 430 core
// wboit_composite.frag - resolves weighted blended OIT (McGuire & Bavoil, JCGT 2(2), 2013):
// colour = accum.rgb / accum.a, coverage = 1 - revealage; blended onto the opaque image with
// glBlendFuncSeparate(SRC_ALPHA, ONE_MINUS_SRC_ALPHA, ONE, ONE_MINUS_SRC_ALPHA), i.e.
// rgb = avg * (1 - R) + dst * R and alpha = (1 - R) + dst.a * R (the target's alpha stays the
// coverage of everything drawn: transparent PNGs).
layout(binding = 0) uniform sampler2D u_accum;
layout(binding = 1) uniform sampler2D u_reveal;
layout(location = 0) out vec4 o_color;

void main() {
    ivec2 px = ivec2(gl_FragCoord.xy);
    float reveal = texelFetch(u_reveal, px, 0).r;
    if (reveal >= 1.0)
        discard; // nothing transparent here
    vec4 acc = texelFetch(u_accum, px, 0);
    if (isinf(acc.a) || isinf(acc.r) || isinf(acc.g) || isinf(acc.b))
        acc.rgb = vec3(acc.a); // half-float overflow: keep the pixel finite
    o_color = vec4(acc.rgb / max(acc.a, 1e-5), 1.0 - reveal);
}
