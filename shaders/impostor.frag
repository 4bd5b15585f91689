#version 430 core
// impostor.frag - ray-cast sphere / ellipsoid of revolution, three output modes.
// The view ray from the eye (view-space origin) through the rasterised point is intersected
// with the ellipsoid in its unit-sphere-scaled space (S x = x/r + (1/L - 1/r)(a.x)a); the
// front hit gives gl_FragDepth, the normal (S^2 (p - M)) and the thickness rho = sqrt(disc/a),
// the cosine between ray and inward normal in scaled space = chord / diameter for a sphere
// (method.md §5.4-5.5). Outputs (u_output):
//   0 opaque: light (1,1,1)/sqrt 3 in view space; u_shading 1 (phong, the reference):
//             0.2 ambient + colour * max(n.l, 0) + 0.1 * max(r.v, 0)^4; 0 (soft): colour *
//             (0.55 + 0.45 max(n.l, 0)) + 0.15 * max(r.v, 0)^4, so the unlit side keeps the
//             class colour at >= 55 % instead of turning dark grey; with u_fade (the
//             one-colour class views "class" and "independent") mixed with the background
//             by a0, and discarded below a0 = 0.05
//   u_fade also mixes the colour of transparent fragments with the background by a0 (on top
//   of the opacity, which a0 already lowers)
//   1 minmax: method.md §5.6 opacity a; rgb = colour * a + background * (1 - a) (pre-mixed towards
//             the background: white in the reference); blended with MIN (rgb) / MAX (alpha):
//             order-independent
//   2 wboit:  McGuire & Bavoil 2013: accum += (colour * a, a) * w(a, z), revealage *= (1 - a)
layout(location = 0) out vec4 o_color;
layout(location = 1) out float o_reveal;

in vec3 v_pos;
flat in vec3 v_centre;
flat in vec3 v_axis;
flat in vec2 v_radii;
flat in vec4 v_color;

uniform mat4 u_proj;
uniform int u_output;
uniform float u_base_opacity;       // B
uniform float u_importance_opacity; // I
uniform float u_depth_opacity;      // D
uniform float u_depth_exponent;     // gamma
uniform vec2 u_depth_range;         // view-space z of the nearest / farthest box corner
uniform vec3 u_background;
uniform int u_fade;                 // opaque output: mix with the background by a0
uniform int u_shading;              // opaque output: 0 soft, 1 phong (reference)

vec3 scaled(vec3 x, float L, float r) {
    return x / r + (1.0 / L - 1.0 / r) * dot(v_axis, x) * v_axis;
}

void main() {
    float L = v_radii.x, r = v_radii.y;
    vec3 d = normalize(v_pos);
    vec3 O = scaled(-v_centre, L, r);
    vec3 D = scaled(d, L, r);
    float a = dot(D, D), b = dot(O, D), c = dot(O, O) - 1.0;
    float disc = b * b - a * c;
    if (disc < 0.0)
        discard;
    float t = (-b - sqrt(disc)) / a;
    if (t < 0.0)
        discard; // eye inside the impostor
    vec3 p = d * t;
    vec4 clip = u_proj * vec4(p, 1.0);
    gl_FragDepth = clip.z / clip.w * 0.5 + 0.5;
    o_reveal = 0.0;

    if (u_output == 0) {
        vec3 q = p - v_centre;
        vec3 n = normalize(q / (r * r) + (1.0 / (L * L) - 1.0 / (r * r)) * dot(v_axis, q) * v_axis);
        vec3 l = vec3(0.57735027);
        float diffuse = max(dot(n, l), 0.0);
        float spec = pow(max(dot(reflect(-l, n), -d), 0.0), 4.0);
        if (u_fade != 0 && v_color.a < 0.05)
            discard; // faded out: a background-coloured opaque disc would hide what is behind
        vec3 lit = u_shading == 1
                       ? vec3(0.2) + v_color.rgb * diffuse + vec3(0.1 * spec)
                       : v_color.rgb * (0.55 + 0.45 * diffuse) + vec3(0.15 * spec);
        lit = min(lit, vec3(1.0));
        if (u_fade != 0)
            lit = mix(u_background, lit, clamp(v_color.a, 0.0, 1.0));
        o_color = vec4(lit, 1.0);
        return;
    }

    // one-colour class views ("class", "independent"): the colour itself fades with a0 as well as the opacity, so that
    // where many faint fragments pile up (full coverage) their average stays near the
    // background instead of reaching the class colour (WBOIT averages colours)
    vec3 colour = u_fade != 0 ? mix(u_background, v_color.rgb, clamp(v_color.a, 0.0, 1.0))
                              : v_color.rgb;
    float rho = sqrt(max(disc / a, 0.0));
    float range = u_depth_range.x - u_depth_range.y;
    float z_rel = range > 1e-12 ? clamp((p.z - u_depth_range.y) / range, 0.0, 1.0) : 1.0;
    float thick = clamp(pow(rho, u_depth_exponent), 0.0, 1.0);
    float alpha = ((1.0 - u_importance_opacity) + u_importance_opacity * v_color.a) *
                  ((1.0 - u_depth_opacity) + u_depth_opacity * z_rel) *
                  (thick * (1.0 - u_base_opacity)) + u_base_opacity;
    if (u_output == 1) {
        // a <= 0 pre-mixes to the background (or beyond) and cannot lower the MIN below it or
        // raise the MAX: dropping the fragment gives the identical image, cheaper
        if (alpha <= 0.0)
            discard;
        o_color = vec4(colour * alpha + u_background * (1.0 - alpha), alpha);
        return;
    }
    alpha = clamp(alpha, 0.0, 1.0);
    if (alpha < 1.0 / 512.0)
        discard;
    float dz = 0.1 + 0.9 * z_rel; // 1 at the nearest corner, 0.1 at the farthest
    float w = clamp(pow(min(1.0, alpha * 10.0) + 0.01, 3.0) * 30.0 * dz * dz * dz, 1e-2, 30.0);
    o_color = vec4(colour * alpha, alpha) * w;
    o_reveal = alpha;
}
